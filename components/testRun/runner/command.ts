// A program of the engine's (docker, kubectl) run with an argument array, never through a shell: no value of a
// description ever reaches one.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface CommandResult {
    status: number;
    stdout: string;
    stderr: string;
}

/**
 * Runs `program` with arguments. Resolves with its exit status (127 when it could not start, as a shell would say)
 * and output; its output goes to this process's stderr instead with `toStderr`. `env`: its environment, this
 * process's when not given.
 */
export function runCommand(
    program: string,
    args: string[],
    toStderr = false,
    env?: NodeJS.ProcessEnv,
): Promise<CommandResult> {
    return new Promise((resolve) => {
        const child = spawn(program, args, { env, stdio: ["ignore", toStderr ? 2 : "pipe", toStderr ? 2 : "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        child.once("error", (err) => resolve({ status: 127, stdout, stderr: `${stderr}${err.message}` }));
        child.once("close", (code, signal) => resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr }));
    });
}

/** The executable file `name` in one of the folders of `searchPath` (PATH's form), or undefined. */
export function onPath(name: string, searchPath: string | undefined): string | undefined {
    for (const dir of (searchPath ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, name);
        if (isExecutableFile(candidate)) return candidate;
    }
    return undefined;
}

export function isExecutableFile(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}
