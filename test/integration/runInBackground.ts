import { ChildProcess, spawn, spawnSync } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "./engine";
import { StackInput, configure } from "./stackRun";

/** The package's command, compiled: what `npx coverage-spy` runs. */
export const RUN_STACK = path.join(REPO_ROOT, "bin", "cli", "main.js");

/** A driver run in the background: its process, what it printed so far, and its exit. */
export interface BackgroundRun {
    child: ChildProcess;
    output: () => string;
    /** The exit code, or the signal's name when a signal ended it. */
    exited: Promise<number | string | null>;
}

/**
 * `pulumi up` of the stack in a process group of its own, as a terminal runs `npm run coverage`: a signal to the
 * negative pid reaches the driver and the CLI, as a terminal's Ctrl-C does. `extraArgs` go to the driver.
 */
export function upInBackground(input: StackInput, extraArgs: string[] = []): BackgroundRun {
    configure(input);
    return commandInBackground(["up", "--stack", input.stack, ...extraArgs]);
}

/**
 * The package's command (bin/cli/main.js with `args`) in a process group of its own, as a terminal runs it, in
 * `cwd` (the repository by default) with `env`; its input a pipe the test writes to (child.stdin) with `input`,
 * else none.
 */
export function commandInBackground(
    args: string[],
    cwd: string = REPO_ROOT,
    env: NodeJS.ProcessEnv = process.env,
    input = false,
): BackgroundRun {
    let output = "";
    // stderr into the stdout pipe, as a terminal shows both: in the order written. Read from two pipes, the last
    // engine line on stdout could arrive after the driver's closing line on stderr when this machine is busy.
    const child = spawn("sh", ["-c", 'exec "$@" 2>&1', "sh", "node", RUN_STACK, ...args], {
        cwd,
        env,
        detached: true,
        stdio: [input ? "pipe" : "ignore", "pipe", "ignore"],
    });
    child.stdout!.on("data", (d) => (output += d));
    return {
        child,
        output: () => output,
        exited: new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal))),
    };
}

/**
 * Waits until a condition holds, looking every 50 ms; the deadline only bounds a hang (and names what never
 * happened), it never decides an outcome.
 */
export async function until(what: string, check: () => boolean, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** A container's state, or undefined when there is no such container. */
export function containerState(name: string): { running: boolean; exitCode: number } | undefined {
    const r = spawnSync("docker", ["inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", name], {
        encoding: "utf8",
    });
    if (r.status !== 0) return undefined;
    const [running, code] = r.stdout.trim().split(" ");
    return { running: running === "true", exitCode: Number(code) };
}

/** The last lines a user reads after a run. */
export function lastLines(output: string, n = 6): string {
    return output.trimEnd().split("\n").slice(-n).join("\n");
}
