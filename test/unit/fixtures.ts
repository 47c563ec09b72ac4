import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const FIXTURES = path.join(__dirname, "..", "fixtures");
/** The run id under which test/fixtures/run was harvested (see make_fixtures.py). */
export const FIXTURE_RUN_ID = "20261124T120000Z-f1x7ur";

/** The services of the fixture run, as the component passes them to the summary. */
export const FIXTURE_SERVICES = [
    { name: "shop", sourcePath: "/app" },
    { name: "worker", sourcePath: "/srv/worker" },
];

const created: string[] = [];

export function tempDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-test-"));
    created.push(dir);
    return dir;
}

/** Removes every folder tempDir() made in this test file (see test/unit/cleanup.ts). */
export function removeTempDirs(): void {
    for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs git in `dir` with a fixed identity and returns its output; a failure throws with git's message. */
export function git(dir: string, ...args: string[]): string {
    const result = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], {
        cwd: dir,
        encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
}

/** Writes files (path relative to `dir` → content), making their folders. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
    for (const [name, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), content);
    }
}

/** A report folder holding the harvested fixture run, as the harvester would leave it. */
export function reportDirWithFixtureRun(): string {
    const dir = tempDir();
    fs.cpSync(path.join(FIXTURES, "run"), path.join(dir, "runs", FIXTURE_RUN_ID), { recursive: true });
    return dir;
}

/**
 * A stand-in `docker` first on PATH that answers `docker image inspect` from a table (image → its env as JSON)
 * and says "No such image" for any other, and `docker container inspect` with `containers` (what it prints); it
 * logs every call. The real engine is the integration tests' part.
 */
export function fakeDockerOnPath(
    images: Record<string, string>,
    containers = "",
): { calls(): string[]; hosts(): string[] } {
    const dir = tempDir();
    const log = path.join(dir, "calls.log");
    const hostLog = path.join(dir, "hosts.log");
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cases = Object.entries(images)
        .map(([image, env]) => `  ${quote(image)}) printf '%s\\n' ${quote(env)} ;;`)
        .join("\n");
    fs.writeFileSync(
        path.join(dir, "docker"),
        [
            "#!/bin/bash",
            `printf '%s\\n' "$*" >> ${quote(log)}`,
            `printf '%s\\n' "\${DOCKER_HOST:-}" >> ${quote(hostLog)}`,
            `[ "$1 $2" = "container inspect" ] && { printf '%s\\n' ${quote(containers)}; exit 0; }`,
            '[ "$1 $2" = "image inspect" ] || { echo "fake docker: unexpected call: $*" >&2; exit 2; }',
            'case "${@: -1}" in',
            cases,
            '  *) echo "Error: No such image: ${@: -1}" >&2; exit 1 ;;',
            "esac",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    process.env.PATH = `${dir}:${process.env.PATH}`;
    const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : []);
    // hosts(): the DOCKER_HOST each call saw, in the same order.
    return { calls: () => lines(log), hosts: () => lines(hostLog) };
}
