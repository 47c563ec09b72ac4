import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { interruptTestRun } from "../../cli/recovery/interruptTestRun";
import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { PID_FILE, readPidFile } from "../../components/testRun/runner/pidFile";
import { testRunDescription } from "../../components/testRun/testRunScript";
import { tempDir } from "./fixtures";
import { runnerProgram, scriptService } from "./runnerProgram";

const TEST_RUN = runnerProgram("testRunMain");
const RUN_ID = "20261205T160000Z-intrpt";

/**
 * A stand-in docker for the interrupt: `ps` answers the stack's running service with its run's labels (report
 * folder and run id), `stop` stops it (or fails with DOCKER_STOP_FAIL), `inspect` says whether it runs.
 * Every call goes to calls.log.
 */
const FAKE_DOCKER = `#!/bin/sh
echo "$*" >> "$FAKE_STATE/calls.log"
last=""; for a in "$@"; do last=$a; done
case "$1" in
  ps) [ -e "$FAKE_STATE/stopped" ] || printf 'cs-unit-api\\t%s\\t%s\\n' "$FAKE_REPORT_DIR" "$FAKE_RUN_ID" ;;
  inspect) [ -e "$FAKE_STATE/stopped" ] && echo false || echo true ;;
  stop)
    if [ -n "\${DOCKER_STOP_FAIL:-}" ]; then echo "Error response from daemon: cannot stop container: $last" >&2; exit 1; fi
    touch "$FAKE_STATE/stopped"; echo "$last" ;;
esac
`;

/** Waits until `ready` holds: on the event itself, checked as often as a loaded machine allows. */
async function until(what: string, ready: () => boolean, child: ChildProcess): Promise<void> {
    while (!ready()) {
        if (child.exitCode !== null) throw new Error(`the test run ended (${child.exitCode}) before ${what}`);
        await new Promise((resolve) => setImmediate(resolve));
    }
}

function processGone(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return false;
    } catch {
        return true;
    }
}

describe("an interrupt of a running test run (cli/recovery/interruptTestRun.ts)", () => {
    let work: string;
    let runDir: string;
    let env: Record<string, string>;
    const savedPath = process.env.PATH;

    beforeEach(() => {
        work = tempDir();
        const bin = path.join(work, "bin");
        fs.mkdirSync(bin);
        fs.mkdirSync(path.join(work, "state"));
        fs.writeFileSync(path.join(bin, "docker"), FAKE_DOCKER, { mode: 0o755 });
        runDir = path.join(work, "reports", "runs", RUN_ID);
        env = {
            PATH: `${bin}:${savedPath}`,
            FAKE_STATE: path.join(work, "state"),
            FAKE_REPORT_DIR: path.join(work, "reports"),
            FAKE_RUN_ID: RUN_ID,
        };
        // interruptTestRun runs in this process, as the command's does: it finds the stand-in on PATH too.
        Object.assign(process.env, env);
    });
    afterEach(() => {
        process.env.PATH = savedPath;
        delete process.env.DOCKER_STOP_FAIL;
    });

    /** Starts the test run of one service whose suite records its pid, then hangs until it is stopped. */
    function startRun(): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
        const suitePid = path.join(work, "suite.pid");
        const description = testRunDescription(
            {
                runDir,
                testWorkingDir: work,
                testTimeoutSeconds: 300,
                testCommand: `echo $$ > '${suitePid}.tmp' && mv '${suitePid}.tmp' '${suitePid}' && exec sleep 300`,
                services: [scriptService("api")],
            },
            {},
        );
        const child = spawn(process.execPath, [TEST_RUN], {
            env: { ...process.env, ...env, [TEST_RUN_VARIABLE]: JSON.stringify(description) },
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
        return { child, exited, stderr: () => stderr };
    }

    it("finds the run by its pid file, stops its suite and then its services gracefully", async () => {
        const run = startRun();
        const suitePidFile = path.join(work, "suite.pid");
        // The suite's shell may write its pid before the run records the suite's group: wait for both.
        await until(
            "the suite ran and the run recorded it",
            () => fs.existsSync(suitePidFile) && readPidFile(runDir)?.suiteGroup !== undefined,
            run.child,
        );
        const suitePid = Number(fs.readFileSync(suitePidFile, "utf8"));
        // The pid file names the run and its suite's process group (the suite's shell leads it).
        expect(readPidFile(runDir)).toEqual({ runner: run.child.pid, suiteGroup: suitePid });

        const interrupted = interruptTestRun("unit");
        // The run, then its suite's group: unless the run, which stops its suite at once, was quicker (a busy
        // machine can pause this process between the two signals), and the group was gone.
        expect([[run.child.pid, suitePid], [run.child.pid]]).toContainEqual(interrupted.processes);
        expect(await run.exited).toBe(130);
        expect(processGone(suitePid)).toBe(true);
        expect(run.stderr()).toContain(
            "[coverage-spy] interrupted: stopping the test suite, then the services gracefully so their data is saved",
        );
        expect(run.stderr()).toContain(
            "[coverage-spy] error: the run was interrupted (the test suite and the services were stopped)",
        );
        const calls = fs.readFileSync(path.join(work, "state", "calls.log"), "utf8");
        expect(calls).toContain("stop --time 1 cs-unit-api");
        // A run that ended leaves no pid file for a later interrupt to act on.
        expect(fs.existsSync(path.join(runDir, PID_FILE))).toBe(false);
    });

    it("says which services docker could not stop, and why, instead of calling them stopped", () => {
        process.env.DOCKER_STOP_FAIL = "1";
        const interrupted = interruptTestRun("unit");
        expect(interrupted.processes).toEqual([]);
        expect(interrupted.services).toEqual([]);
        expect(interrupted.notStopped).toEqual({
            services: ["cs-unit-api"],
            cause: "Error response from daemon: cannot stop container: cs-unit-api",
        });
    });

    it("leaves alone the pid file of a run whose services stopped: its pids may be another program's by now", () => {
        fs.mkdirSync(runDir, { recursive: true });
        // A test run the engine killed outright leaves its pid file; the pid is this test's own, which must live on.
        fs.writeFileSync(path.join(runDir, PID_FILE), JSON.stringify({ runner: process.pid }));
        fs.writeFileSync(path.join(work, "state", "stopped"), "");
        expect(interruptTestRun("unit")).toEqual({ processes: [], services: [], clusterRunners: [] });
    });

    it("stops nothing of a run whose pid file is gone (it ended)", () => {
        fs.mkdirSync(runDir, { recursive: true });
        const interrupted = interruptTestRun("unit");
        expect(interrupted.processes).toEqual([]);
        expect(interrupted.services).toEqual(["cs-unit-api"]);
    });
});
