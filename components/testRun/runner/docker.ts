import { spawn } from "child_process";
import { log } from "./log";

export interface DockerResult {
    status: number;
    stdout: string;
    stderr: string;
}

/**
 * Runs the docker CLI with arguments, never through a shell. Resolves with its exit status (127 when it could not
 * start, as a shell would say) and output; its output goes to this process's stderr instead with `toStderr`.
 */
export function docker(args: string[], toStderr = false): Promise<DockerResult> {
    return new Promise((resolve) => {
        const child = spawn("docker", args, { stdio: ["ignore", toStderr ? 2 : "pipe", toStderr ? 2 : "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        child.once("error", (err) => resolve({ status: 127, stdout, stderr: `${stderr}${err.message}` }));
        child.once("close", (code, signal) => resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr }));
    });
}

/** A container's last log lines on stderr, under a line that names it. */
export async function showLogs(container: string): Promise<void> {
    log(`last lines of ${container}:`);
    await docker(["logs", "--tail", "40", container], true);
}

export interface ContainerState {
    running: boolean;
    /** -1 when Docker said nothing that reads as a number. */
    exitCode: number;
    oomKilled: boolean;
}

/** A container's state, or undefined when Docker does not know it. */
export async function containerState(container: string): Promise<ContainerState | undefined> {
    const result = await docker([
        "inspect",
        "-f",
        "{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}",
        container,
    ]);
    if (result.status !== 0) return undefined;
    const [running, exitCode, oomKilled] = result.stdout.trim().split(" ");
    return {
        running: running === "true",
        exitCode: /^-?\d+$/.test(exitCode ?? "") ? Number(exitCode) : -1,
        oomKilled: oomKilled === "true",
    };
}

/** "exit code 3", with ", killed for lack of memory (OOM)" when it was. */
export function describeExit(state: ContainerState): string {
    return `exit code ${state.exitCode}${state.oomKilled ? ", killed for lack of memory (OOM)" : ""}`;
}
