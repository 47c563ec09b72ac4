import { spawnSync } from "child_process";
import { hostProcesses } from "../../components/hostProcesses";
import { runningServiceContainers } from "../../components/service/runningServices";

/** What an interrupt stopped. */
export interface Interrupted {
    /** Pids of the test run and its suite that were asked to stop. */
    processes: number[];
    /** Service containers stopped gracefully. */
    services: string[];
}

/** Pids whose environment says they belong to this stack's test run (the script, the suite and its children). */
function testRunProcesses(stack: string, proc: string): number[] {
    // COVERAGE_SPY_RUN_DIR is set only in the test run's environment, never in the driver's or the engine's.
    return hostProcesses(proc)
        .filter(
            ({ env }) =>
                env.includes(`COVERAGE_SPY_STACK=${stack}`) && env.some((v) => v.startsWith("COVERAGE_SPY_RUN_DIR=")),
        )
        .map(({ pid }) => pid);
}

/**
 * Stops a stack's test run now: SIGTERM to the test-run script and every process of its suite, then a graceful
 * `docker stop` of its running services (each with its own stop timeout), so every process saves its data.
 * Needed because the engine runs its plugins in process groups of their own: a terminal's Ctrl-C reaches the
 * driver and the engine, never the test run, and the engine's cancel then kills the test-run script outright,
 * leaving the suite and the services running. Finds the processes by their environment (Linux /proc).
 */
export function interruptTestRun(stack: string, proc = "/proc"): Interrupted {
    const processes = testRunProcesses(stack, proc).filter((pid) => {
        try {
            process.kill(pid, "SIGTERM");
            return true;
        } catch {
            return false;
        }
    });
    let services: string[];
    try {
        services = runningServiceContainers(stack);
    } catch {
        services = []; // no engine to ask: nothing of ours is running there
    }
    // One docker stop for all: the engine stops them side by side, each with the stop timeout the component gave it.
    if (services.length > 0) spawnSync("docker", ["stop", ...services], { encoding: "utf8" });
    return { processes, services };
}
