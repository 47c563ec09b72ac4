// A stack's test runs on a Kubernetes cluster that still run: on Docker an interrupt finds a run by its service
// containers' labels; a cluster's pods are out of this host's sight, so its runs are found by their own processes.
import * as path from "path";
import { hostProcesses } from "../../components/hostProcesses";
import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { ENGINE_DRIVER_VARIABLE, ENGINE_STACK_VARIABLE } from "./engineProcesses";
import { processGone } from "./stackLocks";

/** Whether a process was started by this command or by one that is gone: a live update's run is its own. */
function ownOrOrphaned(env: string[]): boolean {
    const driver = Number(env.find((v) => v.startsWith(`${ENGINE_DRIVER_VARIABLE}=`))?.split("=")[1]);
    return Number.isInteger(driver) && driver > 0 && (driver === process.pid || processGone(driver));
}

/**
 * The run folders (where each keeps its pid file) of the stack's running test runs whose services are on a
 * cluster, started by this command or by one that is gone: read from the description in the environment of the
 * test run's processes (the suite's inherit it).
 */
export function clusterTestRunDirs(stack: string, proc = "/proc"): string[] {
    const dirs = new Set<string>();
    for (const { env } of hostProcesses(proc)) {
        if (!env.includes(`${ENGINE_STACK_VARIABLE}=${stack}`) || !ownOrOrphaned(env)) continue;
        const description = env.find((v) => v.startsWith(`${TEST_RUN_VARIABLE}=`));
        if (description === undefined) continue;
        let run: { runDir?: unknown; engine?: { kind?: unknown } };
        try {
            run = JSON.parse(description.slice(TEST_RUN_VARIABLE.length + 1)) as typeof run;
        } catch {
            continue; // not a run description: not a test run's
        }
        if (run.engine?.kind === "kubectl" && typeof run.runDir === "string" && path.isAbsolute(run.runDir))
            dirs.add(run.runDir);
    }
    return [...dirs].sort();
}

/** How long a stopped test run gets to stop its services on the cluster (pods' grace included) and end. */
const RUN_STOP_MS = 5 * 60 * 1000;

/**
 * Waits until the test runs asked to stop have ended: each stops its suite, then scales its services to 0, and a
 * run that went on would scale the next run's pods down. Returns those still running after RUN_STOP_MS.
 */
export async function testRunsEnded(runners: number[], timeoutMs = RUN_STOP_MS): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    let left = runners.filter((pid) => !processGone(pid));
    while (left.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        left = left.filter((pid) => !processGone(pid));
    }
    return left;
}
