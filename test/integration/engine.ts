import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { projectRoot } from "../../components/programConfig";
import { labelledObjects as objectsOfStack } from "../../cli/recovery/recovery";
import { markSecondEngineStartedByTests, markSecondEngineUser, secondEngineRunning } from "./secondEngine";

export const REPO_ROOT = projectRoot(__dirname);

/** Runs docker and returns its trimmed stdout. */
export function docker(...args: string[]): string {
    const result = spawnSync("docker", args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`docker ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout.trim();
}

/** Whether the image can import coverage (a production image must not: coverage-spy mounts its own). */
export function imageHasCoverage(image: string): boolean {
    const probe = "import importlib.util; print(importlib.util.find_spec('coverage') is not None)";
    return docker("run", "--rm", "--entrypoint", "python3", image, "-c", probe) === "True";
}

/** Names of Docker objects of one kind carrying the stack's labels. */
export function labelledObjects(kind: "container" | "volume" | "network", stack: string): string[] {
    return objectsOfStack(kind, "coverage-spy", stack).map((o) => o.name);
}

let madeSpyBaseImage: string | undefined;

/**
 * The spyBaseImage of this repository's stacks (scripts/spy-base-image.sh: the local trixie base with this machine's
 * CA bundle for pip), made once per process; the engine's spy image is then built from it when missing.
 */
export function spyBaseImage(): string {
    if (madeSpyBaseImage === undefined) {
        const result = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "spy-base-image.sh")], { encoding: "utf8" });
        if (result.status !== 0) throw new Error(`scripts/spy-base-image.sh failed:\n${result.stderr}`);
        madeSpyBaseImage = result.stdout.trim();
    }
    return madeSpyBaseImage;
}

/** The demo stack's config (stacks/Pulumi.dev.yaml), to reuse under another stack name; its spyBaseImage made. */
export function devStackConfig(): Record<string, unknown> {
    spyBaseImage();
    const file = parse(fs.readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, unknown>;
    };
    return file.config;
}

/** Writes stacks/Pulumi.NAME.yaml (integration stack files are git-ignored). */
export function writeStackConfig(stack: string, config: Record<string, unknown>): void {
    fs.writeFileSync(path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`), stringify({ config }));
}

export function removeStackConfig(stack: string): void {
    fs.rmSync(path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`), { force: true });
}

/** Lines of a demo source file carrying the `# demo: not-hit` marker (1-based). */
export function markedLines(file: string): number[] {
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .map((line, i) => (/#\s*demo:\s*not-hit\b/.test(line) ? i + 1 : 0))
        .filter((n) => n > 0);
}

/**
 * The second Docker engine (scripts/second-engine.sh: dockerd in a container, which cannot see this machine's
 * folders) started, with `images` loaded into it: its DOCKER_HOST, and the address its published ports answer at.
 * The end of the test run stops it again when this run started it (./secondEngine.ts, ./teardown.ts).
 */
export function startSecondEngine(images: string[]): { host: string; address: string } {
    const run = (...args: string[]): string => {
        const result = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "second-engine.sh"), ...args], {
            encoding: "utf8",
            timeout: 15 * 60 * 1000,
        });
        if (result.status !== 0)
            throw new Error(`scripts/second-engine.sh ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
        return result.stdout;
    };
    // Marked before the start: a start that fails half-way still leaves a container for the run's end to stop.
    markSecondEngineUser();
    if (!secondEngineRunning()) markSecondEngineStartedByTests();
    run("start");
    run("load", ...images);
    const env = Object.fromEntries(
        run("env")
            .trim()
            .split("\n")
            .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    return { host: env.DOCKER_HOST, address: env.COVERAGE_SPY_SECOND_ENGINE_ADDRESS };
}
