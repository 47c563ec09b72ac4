// The user's test suite: run by bash (else /bin/sh) in a process group of its own, its output both in tests.log and
// on stderr, stopped at its time limit.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nowMs } from "./log";

/** What the suite did. */
export interface SuiteResult {
    /** Its exit code: 128 + the signal's number when a signal ended it; 124 when its time ran out (137 if killed). */
    exitCode: number;
    durationMs: number;
    /** Set only when the time limit stopped it. */
    timedOutAfterSeconds?: number;
}

export interface RunningSuite {
    /** The suite's process, also its process group's id. */
    pid: number;
    ended: Promise<SuiteResult>;
    /** Stops the whole suite (SIGTERM to its group, SIGKILL after a grace), as an interrupt does. */
    stop(): void;
}

/** After the time limit's SIGTERM, how long the suite gets before SIGKILL (timeout --kill-after=10). */
const KILL_AFTER_MS = 10_000;

/** The variable the shell reads the command from, so the command is never part of other shell text. */
const COMMAND_VARIABLE = "COVERAGE_SPY_TEST_COMMAND";

/**
 * One stream for the suite's stdout and stderr, as a terminal gives them, so tests.log keeps their order: the shell
 * points its stderr at its stdout, then runs the command as its own text.
 */
const SHELL_SCRIPT = `exec 2>&1\neval "$${COMMAND_VARIABLE}"`;

/**
 * The shell that runs the test command: bash from PATH, as test commands were always run (`source venv/bin/activate
 * && pytest` is bash, not POSIX), else /bin/sh on a machine without bash.
 */
export function suiteShell(searchPath: string | undefined = process.env.PATH): string {
    for (const dir of (searchPath ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, "bash");
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
            // not here
        }
    }
    return "/bin/sh";
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
        process.kill(-pid, signal);
    } catch {
        // the group has ended
    }
}

function isFolder(dir: string): boolean {
    try {
        return fs.statSync(dir).isDirectory();
    } catch {
        return false;
    }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
    if (code !== null) return code;
    return 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
}

/**
 * This process's environment as the suite gets it: what Node reads as it starts (empty for this process, see
 * RunDescription.suiteNodeVariables) as the host or the test environment had it, null for unset.
 */
export function suiteEnvironment(
    own: NodeJS.ProcessEnv,
    nodeVariables: Record<string, string | null> = {},
): NodeJS.ProcessEnv {
    const env = { ...own };
    for (const [name, value] of Object.entries(nodeVariables)) {
        if (value === null) delete env[name];
        else env[name] = value;
    }
    return env;
}

/**
 * Starts the suite in `cwd` with `env`. Its own process group (the group's id is its pid)
 * keeps a terminal's Ctrl-C from reaching it past the run, and lets the time limit and an interrupt stop every
 * process it started. A folder that cannot be entered fails the suite (exit code 1), saying so in its log.
 */
export function startSuite(
    command: string,
    cwd: string,
    timeoutSeconds: number,
    logFile: string,
    env: NodeJS.ProcessEnv = process.env,
): RunningSuite {
    const log = fs.createWriteStream(logFile);
    if (!isFolder(cwd)) {
        const line = `[coverage-spy] cannot enter the test working folder ${cwd}: it is not a folder\n`;
        process.stderr.write(line);
        const ended = new Promise<SuiteResult>((resolve) =>
            log.end(line, () => resolve({ exitCode: 1, durationMs: 0 })),
        );
        return { pid: 0, ended, stop: () => undefined };
    }
    const started = nowMs();
    const child = spawn(suiteShell(), ["-c", SHELL_SCRIPT], {
        cwd,
        detached: true,
        env: { ...env, [COMMAND_VARIABLE]: command },
        stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout?.on("data", (d: Buffer) => {
        log.write(d);
        process.stderr.write(d);
    });
    let timedOut = false;
    let killed = false;
    let killTimer: NodeJS.Timeout | undefined;
    /** SIGTERM to the whole suite, then SIGKILL to what is left of it after a grace. */
    const terminate = () => {
        if (child.pid === undefined || killTimer !== undefined) return;
        signalGroup(child.pid, "SIGTERM");
        killTimer = setTimeout(() => {
            killed = true;
            signalGroup(child.pid!, "SIGKILL");
        }, KILL_AFTER_MS);
    };
    const limit =
        timeoutSeconds > 0
            ? setTimeout(() => {
                  timedOut = true;
                  terminate();
              }, timeoutSeconds * 1000)
            : undefined;
    const ended = new Promise<SuiteResult>((resolve) => {
        let exitCode = 1;
        let durationMs = 0;
        child.once("error", (err) => {
            log.write(`[coverage-spy] could not run the test suite in ${cwd}: ${err.message}\n`);
            exitCode = 1;
        });
        child.once("exit", (code, signal) => {
            durationMs = nowMs() - started;
            exitCode = exitCodeOf(code, signal);
        });
        // Once its output is closed too: every line is in the log before the results are written.
        child.once("close", () => {
            clearTimeout(limit);
            clearTimeout(killTimer);
            if (durationMs === 0) durationMs = nowMs() - started;
            const result: SuiteResult = timedOut
                ? { exitCode: killed ? 137 : 124, durationMs, timedOutAfterSeconds: timeoutSeconds }
                : { exitCode, durationMs };
            log.end(() => resolve(result));
        });
    });
    return { pid: child.pid ?? 0, ended, stop: terminate };
}
