// Benchmark: the measurement ritual on the real Docker engine (the component's own specs, script and harvester),
// on the three demo images (Python 3.13, 3.11, 3.9), a few rounds each. Prints per-phase medians and the graceful stop time.
//   npm run build && node bin/bench/ritual.js [rounds]   (results go in bench/RESULTS.md by hand, with the date)
import { DEMO_TEST_COMMAND } from "../test/integration/demoExpectations";
import { measureDemo } from "../test/integration/demoRitual";

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

const rounds = Number(process.argv[2] ?? "3");
if (!process.env.COVERAGE_SPY_LIB) throw new Error("set COVERAGE_SPY_LIB (scripts/spy-lib.sh prints it)");
for (const image of ["coverage-spy/demo-app:latest", "coverage-spy/demo-app:bookworm", "coverage-spy/demo-app:bullseye"]) {
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
    const row = Object.entries(phases).map(([phase, ms]) => `${phase} ${median(ms)} ms`).join(", ");
    console.log(`${image} (median of ${rounds}): ${row}; graceful stop ${median(stops)} ms (all: ${stops.join(", ")})`);
}
