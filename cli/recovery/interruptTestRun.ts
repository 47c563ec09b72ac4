import * as path from "path";
import { DockerCommandError, docker } from "../../components/engine/dockerCli";
import { LABEL_REPORT_DIR, LABEL_ROLE, LABEL_RUN_ID, LABEL_STACK } from "../../components/shared/naming";
import { readPidFile } from "../../components/testRun/runner/pidFile";
import { clusterTestRunDirs } from "./clusterTestRuns";

/** What an interrupt stopped. */
export interface Interrupted {
    /** Pids of the test run and its suite's process group that were asked to stop. */
    processes: number[];
    /** Service containers stopped gracefully. */
    services: string[];
    /** Services `docker stop` could not stop, with Docker's answer: they may still run. */
    notStopped?: { services: string[]; cause: string };
    /** The processes of test runs on a cluster asked to stop: each stops its services itself, then ends. */
    clusterRunners: number[];
}

/** A running service container of the stack, and the run folder of the run that started it. */
interface RunningService {
    name: string;
    runDir?: string;
}

/**
 * The stack's running service containers, sorted, each with its run's folder (from the labels the component puts
 * on it), where that run's test run writes its pid file. None when docker cannot answer: then nothing of the stack
 * runs there either.
 */
function runningServices(stack: string): RunningService[] {
    let listed: string;
    try {
        listed = docker([
            "ps",
            "--filter",
            `label=${LABEL_STACK}=${stack}`,
            "--filter",
            `label=${LABEL_ROLE}=service`,
            "--format",
            `{{.Names}}\t{{.Label "${LABEL_REPORT_DIR}"}}\t{{.Label "${LABEL_RUN_ID}"}}`,
        ]).stdout;
    } catch {
        return [];
    }
    return listed
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => {
            const [name, reportDir, runId] = line.split("\t");
            const labelled = reportDir && runId && path.isAbsolute(reportDir) && /^[\w.-]+$/.test(runId);
            return { name, ...(labelled ? { runDir: path.join(reportDir, "runs", runId) } : {}) };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
}

/** Sends SIGTERM to a pid (a negative one: a process group); whether it was there to receive it. */
function terminate(pid: number): boolean {
    try {
        process.kill(pid, "SIGTERM");
        return true;
    } catch {
        return false;
    }
}

/**
 * The test runs' processes asked to stop: each run itself (it stops its suite, then the services, gracefully) and
 * its suite's whole process group, which outlives a test run the engine's cancel killed outright. Only runs that
 * still run (their services found running, or their own processes): a pid file a killed run left behind is never
 * acted on once its run is over (its pids may be another program's by then).
 */
function stopTestRuns(runDirs: ReadonlySet<string>): number[] {
    const stopped: number[] = [];
    for (const runDir of runDirs) {
        const pids = readPidFile(runDir);
        if (pids === undefined) continue;
        if (terminate(pids.runner)) stopped.push(pids.runner);
        if (pids.suiteGroup !== undefined && terminate(-pids.suiteGroup)) stopped.push(pids.suiteGroup);
    }
    return stopped;
}

/** Stops the services gracefully: one docker stop for all, each with the stop timeout the component gave it. */
function stopServices(services: string[]): Pick<Interrupted, "services" | "notStopped"> {
    if (services.length === 0) return { services };
    try {
        docker(["stop", ...services], { waits: "container" });
        return { services };
    } catch (err) {
        // Docker names each container it could not stop in its error output.
        const cause = err instanceof DockerCommandError ? err.stderr.trim() || err.message : (err as Error).message;
        const failed = services.filter((s) => cause.includes(s));
        const notStopped = failed.length > 0 ? failed : services;
        return {
            services: services.filter((s) => !notStopped.includes(s)),
            notStopped: { services: notStopped, cause },
        };
    }
}

/**
 * Stops a stack's test run now: SIGTERM to the test run and its suite's process group (found by the pid file in
 * the run folder), then a graceful `docker stop` of its running services, so every process saves its data (a run
 * on a cluster scales its services to 0 itself, as it ends: clusterRunners, for a caller to wait for). Needed
 * because the engine runs its plugins in process groups of their own: a terminal's Ctrl-C reaches the driver and
 * the engine, never the test run, and the engine's cancel then kills the test run outright, leaving the suite and
 * the services running.
 */
export function interruptTestRun(stack: string): Interrupted {
    const running = runningServices(stack);
    const onCluster = clusterTestRunDirs(stack);
    // Read before the stop: a run removes its pid file as it ends.
    const clusterRunners = onCluster.flatMap((runDir) => readPidFile(runDir)?.runner ?? []);
    const processes = stopTestRuns(new Set([...running.flatMap((s) => (s.runDir ? [s.runDir] : [])), ...onCluster]));
    return {
        processes,
        clusterRunners: clusterRunners.filter((pid) => processes.includes(pid)),
        ...stopServices(running.map((s) => s.name)),
    };
}
