// What the tests need from the machine, found by jest itself so that `npx jest path/to/test` works from a fresh
// clone after `npm ci`, as it does through `npm test` (scripts/test.sh, which prepares all this first and says
// so with COVERAGE_SPY_TEST_ENV=ready).
import { spawnSync } from "child_process";
import { projectRoot } from "../components/programConfig";

/** The checkout: from test/ under jest, from bin/test/ when a benchmark runs the compiled file. */
const REPO_ROOT = projectRoot(__dirname);

function run(command: string, what: string): string {
    const result = spawnSync("bash", ["-c", command], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        stdio: ["ignore", "pipe", "inherit"],
    });
    if (result.status !== 0) throw new Error(`coverage-spy tests: ${what} failed (exit ${result.status}); see above`);
    return result.stdout;
}

/**
 * COVERAGE_SPY_LIB, the folder of coverage.py builds the tests read configs and run their oracles with
 * (scripts/spy-lib.sh), prepared when unset; returns it. The product needs none: its spy image has its own.
 */
export function ensureSpyLib(): string {
    const lib =
        process.env.COVERAGE_SPY_LIB ||
        (run("bash scripts/spy-lib.sh", "preparing the spy lib").trim().split("\n").pop() ?? "");
    process.env.COVERAGE_SPY_LIB = lib;
    return lib;
}

/** The Docker engine, toolchain and images, the spy lib, the engine's environment (pulumi-env.sh), the build. */
export function ensureEngine(): void {
    if (process.env.COVERAGE_SPY_TEST_ENV === "ready") return;
    run("bash scripts/setup.sh >&2", "setting up the engine, toolchain and images");
    ensureSpyLib();
    const env = run("source scripts/pulumi-env.sh >&2 && env -0", "reading scripts/pulumi-env.sh");
    for (const entry of env.split("\0").filter((e) => e.includes("="))) {
        const at = entry.indexOf("=");
        process.env[entry.slice(0, at)] = entry.slice(at + 1);
    }
    run("node node_modules/typescript/bin/tsc -p tsconfig.json >&2", "building (tsc)");
    process.env.COVERAGE_SPY_TEST_ENV = "ready";
}
