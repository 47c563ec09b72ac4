// Benchmark: a real `pulumi up` of the demo's coverage stack (bin/cli/main.js up, the same as npm run coverage)
// on the three demo images (Python 3.13, 3.11, 3.9), a few rounds each. Prints per-phase medians (engine start,
// each resource step from the engine's events, the suite inside the test run) and the graceful stop time.
//   source scripts/pulumi-env.sh && npm run build && node bin/bench/ritual.js [rounds]
// (results go in bench/RESULTS.md by hand, with the date and machine)
import { DEMO_TEST_COMMAND } from "../test/integration/demoExpectations";
import { measureDemo } from "../test/integration/stackRun";
import { median } from "./median";

const rounds = Number(process.argv[2] ?? "3");
if (!process.env.PULUMI_BACKEND_URL) throw new Error("source scripts/pulumi-env.sh first");
for (const image of [
    "coverage-spy/demo-app:latest",
    "coverage-spy/demo-app:bookworm",
    "coverage-spy/demo-app:bullseye",
]) {
    const phases: Record<string, number[]> = {};
    const stops: number[] = [];
    for (let round = 0; round < rounds; round++) {
        const run = measureDemo(`bench-${process.pid}-${round}`, image, DEMO_TEST_COMMAND, "fail");
        try {
            for (const [phase, ms] of Object.entries(run.phasesMs)) (phases[phase] ??= []).push(ms);
            (phases.testSuite ??= []).push(run.summary.tests.durationMs);
            stops.push(run.summary.services.demo.stopMs ?? NaN);
        } finally {
            run.cleanup();
        }
    }
    const row = Object.entries(phases)
        .map(([phase, ms]) => `${phase} ${median(ms)} ms`)
        .join(", ");
    console.log(`${image} (median of ${rounds}): ${row}; graceful stop ${median(stops)} ms (all: ${stops.join(", ")})`);
}
