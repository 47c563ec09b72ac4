// The test run's pid file in its run folder: how an interrupt (cli/recovery) finds the run and its suite.
import * as fs from "fs";
import * as path from "path";

export const PID_FILE = "test-run.pid";

export interface TestRunPids {
    /** The test run's own process. */
    runner: number;
    /** The suite's process group, once it runs: it outlives a test run the engine killed outright. */
    suiteGroup?: number;
}

/** Written whole or not at all (a rename): an interrupt reading it meanwhile never sees half of it. */
export function writePidFile(runDir: string, pids: TestRunPids): void {
    const file = path.join(runDir, PID_FILE);
    fs.writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(pids)}\n`);
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
}

export function removePidFile(runDir: string): void {
    fs.rmSync(path.join(runDir, PID_FILE), { force: true });
}

/** The pids a run folder's pid file names, or undefined when it has none (no run, or one that ended). */
export function readPidFile(runDir: string): TestRunPids | undefined {
    let value: unknown;
    try {
        value = JSON.parse(fs.readFileSync(path.join(runDir, PID_FILE), "utf8"));
    } catch {
        return undefined;
    }
    const pids = value as Partial<TestRunPids>;
    const isPid = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n > 1;
    if (!isPid(pids.runner)) return undefined;
    return { runner: pids.runner, ...(isPid(pids.suiteGroup) ? { suiteGroup: pids.suiteGroup } : {}) };
}
