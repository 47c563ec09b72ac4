// Benchmark: the packed package in a fresh Pulumi project (test/integration/freshProject.ts: the README's program,
// the user's environment only) against this checkout's own program, both through the plain `pulumi up` of the demo.
// The fresh project's first up (its spy image built from a base tag of its own, so never built before under that
// name) is timed once; then both warm ups, interleaved (the order reversed every other round), after one warm-up
// each. Prints a Markdown section (medians with their range) on stdout, progress on stderr.
//
//   source scripts/pulumi-env.sh && npx tsc -p tsconfig.json
//   node bin/bench/package/freshProject.js [rounds]
// Default: 5 rounds. Stacks itest-bench-{fresh,repo}-<pid>, destroyed at the end, also after a failure.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    REPO_ROOT,
    devStackConfig,
    docker,
    removeStackConfig,
    spyBaseImage,
    writeStackConfig,
} from "../../test/integration/engine";
import { coveragePins, spyImageTag } from "../../components/engine/spyImage";
import { createFreshProject } from "../../test/integration/freshProject";
import { median } from "../median";

const log = (line: string) => process.stderr.write(`[bench-package] ${line}\n`);

/** Wall milliseconds of one command; throws with its output when it fails. */
function timed(label: string, run: () => { status: number | null; out: string }): number {
    const started = process.hrtime.bigint();
    const result = run();
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    if (result.status !== 0) throw new Error(`${label} failed (exit ${result.status}):\n${result.out.slice(-4000)}`);
    log(`${label}: ${ms} ms`);
    return ms;
}

function plainUpInThisCheckout(stack: string): { status: number | null; out: string } {
    const result = spawnSync("pulumi", ["up", "--yes", "--skip-preview", "--suppress-outputs", "--stack", stack], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    return { status: result.status, out: `${result.stdout}\n${result.stderr}` };
}

function range(values: number[]): string {
    return `${median(values)} (${Math.min(...values)}–${Math.max(...values)})`;
}

function main(): void {
    const rounds = Number(process.argv[2] ?? "5");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-bench-package-"));
    const freshStack = `itest-bench-fresh-${process.pid}`;
    const repoStack = `itest-bench-repo-${process.pid}`;
    const base = `coverage-spy/spy-base:bench-${process.pid}`;
    docker("tag", spyBaseImage(), base);
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-bench-reports-"));
    writeStackConfig(repoStack, { ...devStackConfig(), "coverage-spy:reportDir": reports });
    const project = createFreshProject(work, freshStack, { spyBaseImage: base });
    const freshUp = () =>
        project.run("pulumi", ["up", "--yes", "--skip-preview", "--suppress-outputs", "--stack", freshStack]);
    try {
        const init = spawnSync("pulumi", ["stack", "init", repoStack, "--non-interactive"], {
            cwd: REPO_ROOT,
            encoding: "utf8",
        });
        if (init.status !== 0) throw new Error(init.stderr);
        const first = timed("fresh project, first up", freshUp);
        timed("this checkout, first up", () => plainUpInThisCheckout(repoStack));
        const fresh: number[] = [];
        const repo: number[] = [];
        for (let round = 0; round < rounds; round++) {
            const sides = [
                () => fresh.push(timed(`round ${round + 1}: fresh project`, freshUp)),
                () => repo.push(timed(`round ${round + 1}: this checkout`, () => plainUpInThisCheckout(repoStack))),
            ];
            for (const side of round % 2 === 0 ? sides : [...sides].reverse()) side();
        }
        const load = os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(" ");
        process.stdout.write(
            [
                `### The packed package in a fresh project against this checkout (\`node bin/bench/package/freshProject.js ${rounds}\`)`,
                `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; ${os.cpus().length} cores, load average ${load} at the end; ${rounds} rounds after one warm-up each, interleaved (the order reversed every other round); the plain \`pulumi up --yes --skip-preview\` of the demo, wall milliseconds, median (range).`,
                "",
                "| run | fresh project (packed package) | this checkout (its own program) |",
                "| --- | --- | --- |",
                `| first up (the fresh project builds its spy image) | ${first} | – |`,
                `| warm up | ${range(fresh)} | ${range(repo)} |`,
                "",
            ].join("\n"),
        );
    } finally {
        project.run("pulumi", ["destroy", "--yes", "--stack", freshStack, "--non-interactive"]);
        spawnSync("pulumi", ["destroy", "--yes", "--remove", "--stack", repoStack, "--non-interactive"], {
            cwd: REPO_ROOT,
        });
        removeStackConfig(repoStack);
        const assetsDir = path.join(project.dir, "node_modules", "coverage-spy", "coverage-spy");
        const built = spyImageTag({ assetsDir, baseImage: base, pins: coveragePins(assetsDir) });
        spawnSync("docker", ["image", "rm", "--force", base, built]);
        fs.rmSync(work, { recursive: true, force: true });
        fs.rmSync(reports, { recursive: true, force: true });
    }
}

main();
