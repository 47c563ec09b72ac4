import { spawnSync } from "child_process";
import { shownWord } from "../shared/shell";

/**
 * The bound on a docker command that asks or changes the engine's objects (inspect, ps, ls, create, cp, rm): an
 * engine that has not answered in two minutes is hung or unreachable, and saying so beats waiting for ever.
 */
export const DOCKER_TIMEOUT_SECONDS = 120;

/** What one docker command may print: `docker inspect` of many containers is large, a harvest's log too. */
const DOCKER_OUTPUT_BYTES = 64 * 1024 * 1024;

/** How a docker command runs. */
export interface DockerCall {
    /** DOCKER_HOST and friends of the engine to ask (added to this process's environment); none: the CLI's default. */
    env?: Record<string, string>;
    /**
     * What the command waits on besides the engine, added to DOCKER_TIMEOUT_SECONDS: a number of seconds (a graceful
     * stop's grace, the processes' answer window), or "container" for work whose end is the container's own (a
     * harvest, which the component's harvester container does not bound either).
     */
    waits?: number | "container";
    /** Exit codes that are answers rather than failures (`docker container inspect` exits 1 for a free name). */
    answers?: readonly number[];
}

/** What a docker command printed, and its exit code (0, or one of the call's answers). */
export interface DockerResult {
    status: number;
    stdout: string;
    stderr: string;
}

/** A docker command that could not run, did not end in time, or failed: the command, its exit code, Docker's words. */
export class DockerCommandError extends Error {
    constructor(
        /** The docker CLI's arguments. */
        readonly args: readonly string[],
        /** Its exit code; null when it did not run or was stopped at its bound. */
        readonly exitCode: number | null,
        /** What it printed on stderr (empty when it did not run). */
        readonly stderr: string,
        /** Why it failed, with the fix, when docker did not run or end (its exit otherwise). */
        reason?: string,
    ) {
        super(
            `docker ${shownCommand(args)} ${reason ?? `failed (exit ${exitCode})${stderr.trim() ? `: ${stderr.trim()}` : ""}`}`,
        );
        this.name = "DockerCommandError";
    }
}

/** The arguments as a reader would type them: quoted where a shell would split them. */
function shownCommand(args: readonly string[]): string {
    return args.map(shownWord).join(" ");
}

/** The bound of a call, in milliseconds; undefined when it has none. */
function boundMs(waits: DockerCall["waits"]): number | undefined {
    if (waits === "container") return undefined;
    return (DOCKER_TIMEOUT_SECONDS + (waits ?? 0)) * 1000;
}

/**
 * Runs the docker CLI without a shell and returns what it printed. Throws a DockerCommandError when docker cannot
 * run, does not end within its bound (it is then killed), or exits with a code other than 0 and the call's answers.
 */
export function docker(args: readonly string[], call: DockerCall = {}): DockerResult {
    const timeout = boundMs(call.waits);
    const result = spawnSync("docker", args, {
        encoding: "utf8",
        maxBuffer: DOCKER_OUTPUT_BYTES,
        ...(timeout !== undefined ? { timeout } : {}),
        env: { ...process.env, ...call.env },
    });
    const stderr = result.stderr ?? "";
    if (result.error !== undefined) {
        const timedOut = (result.error as NodeJS.ErrnoException).code === "ETIMEDOUT";
        throw new DockerCommandError(
            args,
            null,
            stderr,
            timedOut
                ? `did not end within ${timeout! / 1000} s: is the Docker engine answering? (docker info says)`
                : `could not run (${result.error.message}): install the docker CLI, or put it on PATH`,
        );
    }
    const status = result.status;
    if (status === null)
        throw new DockerCommandError(args, null, stderr, `was ended by signal ${result.signal ?? "unknown"}`);
    if (status !== 0 && !(call.answers ?? []).includes(status)) throw new DockerCommandError(args, status, stderr);
    return { status, stdout: result.stdout ?? "", stderr };
}
