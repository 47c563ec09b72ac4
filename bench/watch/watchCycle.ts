// Benchmark: a `coverage-spy watch` cycle on the demo (Enter to its summary: reset, the suite, the snapshot with the
// start-up lines, the summary printed) against the docker-compose overlay ritual's whole cycle
// (bench/compose-overlay/ritual.sh), interleaved A B A B ... after one unmeasured warm-up of each. Goal: the watch
// cycle takes the suite plus at most 1.0 s. Prints a Markdown section (medians with their range) on stdout, progress
// on stderr.
//
//   source scripts/pulumi-env.sh && npx tsc -p tsconfig.json
//   node bin/bench/watch/watchCycle.js [rounds]
// Default: 5 rounds. The stack bench-watch-<pid> is destroyed at the end and the compose project removed, also after
// a failure.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "../../test/integration/demoExpectations";
import { REPO_ROOT } from "../../test/integration/engine";
import { commandInBackground, until } from "../../test/integration/runInBackground";
import { configure, demoService, destroyStack } from "../../test/integration/stackRun";
import { medianRange } from "../median";

const log = (line: string) => process.stderr.write(`[bench-watch] ${line}\n`);
const RITUAL = path.join(REPO_ROOT, "bench", "compose-overlay", "ritual.sh");

/** One cycle's milliseconds: the whole, and the suite's part. */
interface Cycle {
    totalMs: number;
    suiteMs: number;
}

/** The overlay ritual once; its own timings (ritual.sh --timings-file). */
function overlayCycle(): Cycle {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-watch-")), "b.json");
    const run = spawnSync("bash", [RITUAL, "--timings-file", file], { cwd: REPO_ROOT, encoding: "utf8" });
    if (run.status !== 0)
        throw new Error(`the overlay ritual failed (exit ${run.status}):\n${run.stderr.slice(-3000)}`);
    const timings = JSON.parse(fs.readFileSync(file, "utf8")) as { cycle: number; suite: number };
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    return { totalMs: timings.cycle, suiteMs: timings.suite };
}

function row(label: string, cycles: Cycle[]): string {
    const s = (values: number[]) =>
        medianRange(
            values.map((ms) => ms / 1000),
            2,
        );
    return (
        `| ${label} | ${s(cycles.map((c) => c.totalMs))} | ${s(cycles.map((c) => c.suiteMs))} | ` +
        `${s(cycles.map((c) => c.totalMs - c.suiteMs))} |`
    );
}

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? "5");
    if (!(rounds >= 1)) throw new Error("usage: node bin/bench/watch/watchCycle.js [rounds]");
    const stack = `bench-watch-${process.pid}`;
    configure({ stack, service: demoService(DEMO_IMAGE), testCommand: DEMO_TEST_COMMAND, lostProcesses: "fail" });
    const load = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const loadBefore = load();
    const watch = commandInBackground(["watch", "--stack", stack], undefined, undefined, true);
    const a: Cycle[] = [];
    const b: Cycle[] = [];
    try {
        log(`stack ${stack}: starting the services once (watch)`);
        await until("the first watch cycle", () => watch.output().includes("cycle 1:"), 10 * 60_000);
        overlayCycle();
        for (let n = 1; n <= rounds; n++) {
            const started = Date.now();
            watch.child.stdin!.write("\n");
            // The line that ends a cycle comes after its summary; the suite's own time is in its report folder.
            const line = new RegExp(`cycle ${n + 1}: .* reports in (\\S+)`);
            await until(`watch cycle ${n + 1}`, () => line.test(watch.output()));
            const totalMs = Date.now() - started;
            const tests = path.join(line.exec(watch.output())![1], "tests.json");
            a.push({
                totalMs,
                suiteMs: (JSON.parse(fs.readFileSync(tests, "utf8")) as { durationMs: number }).durationMs,
            });
            b.push(overlayCycle());
            log(
                `round ${n} of ${rounds}: watch ${totalMs} ms (suite ${a[n - 1].suiteMs}), overlay ${b[n - 1].totalMs} ms`,
            );
        }
    } finally {
        watch.child.kill("SIGINT");
        await watch.exited;
        destroyStack(stack);
        spawnSync("bash", [RITUAL, "clean"], { cwd: REPO_ROOT, stdio: "ignore" });
    }
    process.stdout.write(
        [
            "",
            `### A watch cycle against the compose overlay's cycle (\`node bin/bench/watch/watchCycle.js ${rounds}\`)`,
            `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; ${os.cpus().length} cores; load average ` +
                `${loadBefore} before, ${load()} after; rounds: ${rounds}, interleaved (A then B) after one warm-up of each.`,
            "- A, `coverage-spy watch` on the demo: Enter to the cycle's summary (reset, the suite, the snapshot with " +
                "the start-up lines, the summary), the services started once",
            "- B, the overlay pattern: `bash bench/compose-overlay/ritual.sh` (compose down, up, ready, the suite, stop, " +
                "harvest)",
            "",
            "| side | cycle (s) | suite (s) | cycle - suite (s) |",
            "| --- | --- | --- | --- |",
            row("A watch", a),
            row("B overlay", b),
            "",
        ].join("\n"),
    );
}

main().catch((err: Error) => {
    log(err.message);
    process.exit(1);
});
