import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DOCKER_TIMEOUT_SECONDS, DockerCommandError, docker } from "../../components/engine/dockerCli";
import { tempDir } from "./fixtures";

/**
 * A stand-in `docker` first on PATH: prints its arguments and DOCKER_HOST on stdout, and with `fail N` says
 * "no such thing" on stderr and exits N.
 */
function fakeDocker(): void {
    const dir = tempDir();
    fs.writeFileSync(
        path.join(dir, "docker"),
        [
            "#!/bin/sh",
            'if [ "$1" = fail ]; then echo "Error: no such thing" >&2; exit "$2"; fi',
            'echo "args: $*"',
            'echo "host: ${DOCKER_HOST:-}"',
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    process.env.PATH = `${dir}:${process.env.PATH}`;
}

/** The error `run` throws (it must throw one). */
function errorOf(run: () => unknown): DockerCommandError {
    try {
        run();
    } catch (err) {
        expect(err).toBeInstanceOf(DockerCommandError);
        return err as DockerCommandError;
    }
    throw new Error("no error was thrown");
}

describe("the docker CLI wrapper", () => {
    const originalPath = process.env.PATH;
    afterEach(() => {
        process.env.PATH = originalPath;
        jest.restoreAllMocks();
    });

    it("runs docker without a shell, with the engine's environment added to this process's", () => {
        fakeDocker();
        const result = docker(["ps", "--format", "{{.Names}} $HOME"], { env: { DOCKER_HOST: "tcp://engine:2376" } });
        expect(result).toEqual({
            status: 0,
            stdout: "args: ps --format {{.Names}} $HOME\nhost: tcp://engine:2376\n",
            stderr: "",
        });
    });

    it("throws the command, its exit code and Docker's words when it fails", () => {
        fakeDocker();
        const err = errorOf(() => docker(["fail", "3", "it's"]));
        expect(err.args).toEqual(["fail", "3", "it's"]);
        expect(err.exitCode).toBe(3);
        expect(err.stderr).toBe("Error: no such thing\n");
        expect(err.message).toBe(`docker fail 3 'it'\\''s' failed (exit 3): Error: no such thing`);
    });

    it("returns an exit code the call says is an answer", () => {
        fakeDocker();
        expect(docker(["fail", "1"], { answers: [1] })).toEqual({
            status: 1,
            stdout: "",
            stderr: "Error: no such thing\n",
        });
        expect(errorOf(() => docker(["fail", "2"], { answers: [1] })).exitCode).toBe(2);
    });

    it("says how to fix a docker CLI that cannot run", () => {
        process.env.PATH = tempDir();
        const err = errorOf(() => docker(["ps"]));
        expect(err.exitCode).toBeNull();
        expect(err.message).toMatch(
            /^docker ps could not run \(.*ENOENT.*\): install the docker CLI, or put it on PATH$/,
        );
    });

    it("bounds every call: the engine's bound, plus what the call waits on, or none for a container's own work", () => {
        const spawn = jest
            .spyOn(childProcess, "spawnSync")
            .mockReturnValue({ status: 0, stdout: "", stderr: "" } as never);
        docker(["ps"]);
        docker(["stop", "--time", "10", "app"], { waits: 10 });
        docker(["start", "--attach", "harvester"], { waits: "container" });
        const timeouts = spawn.mock.calls.map((call) => (call[2] as { timeout?: number }).timeout);
        expect(timeouts).toEqual([DOCKER_TIMEOUT_SECONDS * 1000, (DOCKER_TIMEOUT_SECONDS + 10) * 1000, undefined]);
    });

    it("names the bound and the likely cause when docker did not end in time", () => {
        const timedOut = Object.assign(new Error("spawnSync docker ETIMEDOUT"), { code: "ETIMEDOUT" });
        jest.spyOn(childProcess, "spawnSync").mockReturnValue({
            status: null,
            signal: "SIGTERM",
            stdout: "",
            stderr: "",
            error: timedOut,
        } as never);
        const err = errorOf(() => docker(["image", "inspect", "app:1"]));
        expect(err.exitCode).toBeNull();
        expect(err.message).toBe(
            `docker image inspect app:1 did not end within ${DOCKER_TIMEOUT_SECONDS} s: is the Docker engine answering? (docker info says)`,
        );
    });
});
