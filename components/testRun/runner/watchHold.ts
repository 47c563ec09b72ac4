// The test run held by `coverage-spy watch`: instead of running the suite, it hands the suite's command and
// environment to the watch command through a folder that command names, and waits there while the command runs the
// suite itself, cycle after cycle, against the live services; the command's release lets the run go on (the graceful
// stop, the harvest of the whole run).
import * as fs from "fs";
import * as path from "path";
import { PatchDescription } from "./description";
import { log } from "./log";
import { SuiteResult } from "./suite";

/** The variable naming the watch command's folder; unset, the test run runs the suite itself. */
export const WATCH_VARIABLE = "COVERAGE_SPY_WATCH";

/** In the watch folder: the watch command's pid (written before the update starts). */
export const WATCHER_FILE = "watcher.json";
/** In the watch folder: the suite as the test run would have run it (WatchedSuite). */
export const SUITE_FILE = "suite.json";
/** In the watch folder: the watch command's release, with the last cycle's suite result (a SuiteResult). */
export const RELEASE_FILE = "release.json";

/** What the test run hands over: everything it would have given the suite. */
export interface WatchedSuite {
    /** The test run's pid, so the command can tell the run that holds from one that ended. */
    runnerPid: number;
    /** The run's folder (tests.log, sources/, the reports after the harvest). */
    runDir: string;
    testCommand: string;
    testWorkingDir: string;
    testTimeoutSeconds: number;
    /** The suite's whole environment: the services' URLs, the user's test environment, this host's. */
    environment: Record<string, string>;
    /** What the run's summary reads its patch coverage with. */
    patch?: PatchDescription;
}

/** How often the hold looks for the release and for the watch command. */
const LOOK_EVERY_MS = 200;

/** Written whole (a rename): the other side never reads half of it. */
export function writeWatchFile(dir: string, name: string, value: unknown): void {
    const file = path.join(dir, name);
    fs.writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(value)}\n`);
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
}

/** A watch file's value, or undefined while it is not there. */
export function readWatchFile<T>(dir: string, name: string): T | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as T;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
    }
}

/** Whether a process with this pid runs (on this host). */
export function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The suite's environment without the hold's variable: what the suite starts holds no run of its own. */
export function watchedEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
    return Object.fromEntries(
        Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== WATCH_VARIABLE),
    );
}

/**
 * Hands the suite to the watch command in `dir` and waits for its release; resolves to the last cycle's suite result,
 * which the run reports as its suite's. Bounded by the command: when it ended without a release (killed), the run goes
 * on at once, reporting the suite as interrupted, so the services still stop gracefully and nothing is left running
 * (nor the command's folder).
 */
export async function holdForWatch(dir: string, suite: Omit<WatchedSuite, "runnerPid">): Promise<SuiteResult> {
    const watcher = readWatchFile<{ pid: number }>(dir, WATCHER_FILE);
    if (watcher === undefined) {
        // Not a failure that may leave the services running: the run goes on to stop them, its suite not run.
        log(
            `error: ${WATCH_VARIABLE} names ${dir}, which holds no ${WATCHER_FILE} (coverage-spy watch sets it): the suite was not run`,
        );
        return { exitCode: 2, durationMs: 0 };
    }
    writeWatchFile(dir, SUITE_FILE, { runnerPid: process.pid, ...suite } satisfies WatchedSuite);
    log(`held by coverage-spy watch (pid ${watcher.pid}): the services run until it ends`);
    for (;;) {
        const released = readWatchFile<SuiteResult>(dir, RELEASE_FILE);
        if (released !== undefined) {
            log("released by coverage-spy watch: stopping services gracefully");
            return released;
        }
        if (!isRunning(watcher.pid)) {
            log(`coverage-spy watch (pid ${watcher.pid}) ended without releasing the run: stopping services`);
            // Its folder is left to no one else: the command would have removed it.
            fs.rmSync(dir, { recursive: true, force: true });
            return { exitCode: 130, durationMs: 0 };
        }
        await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
    }
}
