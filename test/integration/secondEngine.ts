// Who started the second Docker engine (scripts/second-engine.sh) and which test runs use it, so that the end of
// a test run stops it when that run's tests started it and no other live run still needs it. Its image cache volume
// stays (`second-engine.sh stop`), so the next start does not load the images again.
//
// Marks, in one folder of this machine's temporary directory: "started-by-tests" (a test run found the engine not
// running and started it; an engine a person started by hand has none, and is never stopped here) and one
// "user-<pid>" per test run using it, <pid> being the run's jest process. A run killed before its teardown leaves
// its user mark behind: the pid is gone then, and the next run's globalSetup (or scripts/test.sh's trap) ends it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../../components/programConfig";
import { processGone } from "../../cli/recovery/stackLocks";

/** The pid of the test run's jest process, set by the integration tests' globalSetup (./sweep.ts). */
export const TEST_RUN_PID_ENV = "COVERAGE_SPY_TEST_RUN_PID";
export const SECOND_ENGINE_CONTAINER = "coverage-spy-second-engine";
export const SECOND_ENGINE_VOLUME = "coverage-spy-second-engine-data";

const MARKS_DIR = path.join(os.tmpdir(), "coverage-spy-second-engine");
const STARTED_MARK = "started-by-tests";
const USER_MARK = /^user-(\d+)$/;

/**
 * Writes a line to stderr at once: at a run's end, jest's reporter has wrapped process.stderr and would drop what
 * it still buffers when jest exits.
 */
export function say(message: string): void {
    fs.writeSync(2, `[coverage-spy] ${message}\n`);
}

/** The test run this process belongs to: jest's process (see TEST_RUN_PID_ENV), else this process. */
export function testRunPid(): number {
    const pid = Number(process.env[TEST_RUN_PID_ENV]);
    return Number.isInteger(pid) && pid > 0 ? pid : process.pid;
}

export function secondEngineRunning(): boolean {
    const inspect = spawnSync("docker", ["container", "inspect", "-f", "{{.State.Running}}", SECOND_ENGINE_CONTAINER], {
        encoding: "utf8",
    });
    return inspect.status === 0 && inspect.stdout.trim() === "true";
}

/** Marks this test run as one using the second engine: no other run's end stops the engine while it lives. */
export function markSecondEngineUser(dir = MARKS_DIR): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `user-${testRunPid()}`), "");
}

/** Marks the engine as started by a test run (it was not running before): the last run using it stops it. */
export function markSecondEngineStartedByTests(dir = MARKS_DIR): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, STARTED_MARK), "");
}

export interface SecondEngineMarks {
    startedByTests: boolean;
    /** The jest pids of the test runs that marked themselves as using it. */
    users: number[];
}

export function readSecondEngineMarks(dir = MARKS_DIR): SecondEngineMarks {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    return {
        startedByTests: names.includes(STARTED_MARK),
        users: names.flatMap((n) => USER_MARK.exec(n)?.[1] ?? []).map(Number),
    };
}

/**
 * What the end of a run does with the second engine: `endedUsers`, the runs that use it no more (their process is
 * gone, or is one of `finished`, the run that is ending), lose their mark; the engine is stopped when a test run
 * started it and no other run uses it.
 */
export function secondEngineDecision(
    marks: SecondEngineMarks,
    gone: (pid: number) => boolean,
    finished: ReadonlySet<number> = new Set(),
): { stop: boolean; endedUsers: number[] } {
    const endedUsers = marks.users.filter((pid) => finished.has(pid) || gone(pid));
    const liveUsers = marks.users.filter((pid) => !endedUsers.includes(pid));
    return { stop: marks.startedByTests && liveUsers.length === 0, endedUsers };
}

/** Stops the second engine when no test run needs it any more and a test run started it (see the file's header). */
export function stopSecondEngineIfUnused(finished: ReadonlySet<number> = new Set(), dir = MARKS_DIR): void {
    const { stop, endedUsers } = secondEngineDecision(readSecondEngineMarks(dir), processGone, finished);
    for (const pid of endedUsers) fs.rmSync(path.join(dir, `user-${pid}`), { force: true });
    if (!stop) return;
    const script = path.join(projectRoot(__dirname), "scripts", "second-engine.sh");
    const result = spawnSync("bash", [script, "stop"], { encoding: "utf8" });
    if (result.status !== 0)
        throw new Error(
            `coverage-spy tests: scripts/second-engine.sh stop failed (exit ${result.status}): ${result.stderr}` +
                `Stop it by hand: bash scripts/second-engine.sh stop`,
        );
    fs.rmSync(path.join(dir, STARTED_MARK), { force: true });
    say(
        `stopped ${SECOND_ENGINE_CONTAINER}, which an integration test run started ` +
            `(its image cache, volume ${SECOND_ENGINE_VOLUME}, is kept)`,
    );
}
