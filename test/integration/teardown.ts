// Jest globalTeardown of the integration tests: at the end of a run, removes the Docker objects its stacks left
// (its test files are all done: the jest process and its workers count as finished) and those of killed runs, and
// stops the second engine when this run started it and no other run uses it (its image cache volume stays).
//
// A run that is killed (a CI timeout, Ctrl-C) never gets here: the next run's globalSetup (./sweep.ts) finds what
// it left by its dead pid, and scripts/test.sh runs this file with node from its trap when it is stopped.
import { sweepLeftovers, withChildren } from "./sweep";
import { TEST_RUN_PID_ENV, stopSecondEngineIfUnused } from "./secondEngine";

/**
 * `finishedRun`: the jest process whose test files are done; none when run from scripts/test.sh's trap, which
 * has ended jest first (its pid is gone then, and its objects are removed as a killed run's).
 */
export function endOfRun(finishedRun?: number): void {
    const finished = finishedRun === undefined ? new Set<number>() : withChildren(finishedRun);
    const failures: string[] = [];
    for (const [what, clean] of [
        ["removing the stacks' leftovers", () => sweepLeftovers(finished)],
        ["stopping the second engine", () => stopSecondEngineIfUnused(finished)],
    ] as const) {
        try {
            clean();
        } catch (err) {
            failures.push(`${what}: ${(err as Error).message}`);
        }
    }
    if (failures.length > 0) throw new Error(`coverage-spy tests: the end of the run failed ${failures.join("; ")}`);
}

export default function teardown(): void {
    endOfRun(Number(process.env[TEST_RUN_PID_ENV] ?? process.pid));
}

if (require.main === module) endOfRun();
