import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tempDir } from "./fixtures";

/**
 * A stand-in `docker` for the test run's programs (the real engine is the integration tests' part). It answers
 * from one folder of state, per container NAME: NAME.running ("true"/"false"), NAME.exit (exit code), NAME.health
 * (healthcheck status) and NAME.logs; `stop` marks it stopped; every call is logged to calls.log.
 */
const FAKE_DOCKER = `#!/bin/bash
state=$FAKE_DOCKER_STATE
name=\${@: -1}
printf '%s\\n' "$*" >> "$state/calls.log"
case "$1" in
  inspect)
    [ -f "$state/$name.running" ] || { echo "Error: No such object: $name" >&2; exit 1; }
    out=$3
    out=\${out//'{{.State.Running}}'/$(<"$state/$name.running")}
    out=\${out//'{{.State.ExitCode}}'/$(cat "$state/$name.exit" 2>/dev/null || echo 0)}
    out=\${out//'{{.State.OOMKilled}}'/false}
    out=\${out//'{{if .State.Health}}{{.State.Health.Status}}{{end}}'/$(cat "$state/$name.health" 2>/dev/null)}
    out=\${out//'{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}'/127.0.0.1 }
    printf '%s\\n' "$out" ;;
  stop) echo false > "$state/$name.running" ;;
  logs) cat "$state/$name.logs" 2>/dev/null ;;
  cp) mkdir -p "$3" && echo "print(1)" > "$3/app.py" ;;
esac
`;

export interface ContainerState {
    running: boolean;
    exitCode?: number;
    health?: string;
    logs?: string;
}

export interface ScriptDocker {
    /** PATH with the stand-in first, and the variable that names its state folder. */
    env: Record<string, string>;
    /** Sets a container's state. */
    container(name: string, state: ContainerState): void;
    /** Every docker call so far, one line each. */
    calls(): string[];
}

export function scriptDocker(): ScriptDocker {
    const dir = tempDir();
    const bin = path.join(dir, "bin");
    const state = path.join(dir, "state");
    fs.mkdirSync(bin);
    fs.mkdirSync(state);
    fs.writeFileSync(path.join(bin, "docker"), FAKE_DOCKER, { mode: 0o755 });
    const calls = path.join(state, "calls.log");
    return {
        env: { PATH: `${bin}:${process.env.PATH}`, FAKE_DOCKER_STATE: state },
        container(name, s) {
            fs.writeFileSync(path.join(state, `${name}.running`), String(s.running));
            fs.writeFileSync(path.join(state, `${name}.exit`), String(s.exitCode ?? 0));
            if (s.health !== undefined) fs.writeFileSync(path.join(state, `${name}.health`), s.health);
            fs.writeFileSync(path.join(state, `${name}.logs`), s.logs ?? "");
        },
        calls: () => (fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : []),
    };
}

export interface ScriptResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs a program with Node (as the Command does: components/testRun/runner/) and resolves when it has exited and its
 * output is closed. Asynchronous, so a server in this process keeps answering it.
 */
export function runProgram(program: string, env: Record<string, string>, cwd?: string): Promise<ScriptResult> {
    const child = spawn(process.execPath, [program], {
        cwd,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise((resolve, reject) => {
        child.once("error", reject);
        child.once("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/** The program's error line: the one line that states the cause. */
export function errorLine(stderr: string): string {
    return stderr.split("\n").find((l) => l.startsWith("[coverage-spy] error: ")) ?? `(no error line in: ${stderr})`;
}
