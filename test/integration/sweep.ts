// Jest globalSetup of the integration tests: prepares the machine (../testEnvironment.ts) when npm test has not,
// then removes what earlier test runs left when their process was killed (a CI timeout, a Ctrl-C): Docker
// objects of stacks named itest-*-<pid> whose process is gone, and the second engine a killed run started.
// Each test file destroys its own stacks even when it fails; this catches the runs that could not.
// ./teardown.ts does the same when a run ends, for that run's own leftovers too.
import { spawnSync } from "child_process";
import { DockerObject, labelledObjects, removeObjects } from "../../cli/recovery/recovery";
import { processGone } from "../../cli/recovery/stackLocks";
import { ensureEngine } from "../testEnvironment";
import { FRESH_PROJECT } from "./freshProject";
import { TEST_RUN_PID_ENV, say, stopSecondEngineIfUnused } from "./secondEngine";

/** The pid in an integration stack's name (itest-<what>-<pid>, maybe more after it), or undefined for any other. */
export function testStackPid(stack: string): number | undefined {
    const pid = /^itest-[a-z-]+?-(\d+)(-|$)/.exec(stack)?.[1];
    return pid === undefined ? undefined : Number(pid);
}

/**
 * The objects to remove: those of integration stacks whose process is gone, or is one of `finished` (at the end of
 * a run: the jest process and its workers, whose test files are all done). Every other object is spared: a live
 * process's stacks (another test run on this machine), and stacks that are not integration stacks at all.
 */
export function leftovers<T extends Pick<DockerObject, "stack">>(
    objects: T[],
    gone: (pid: number) => boolean,
    finished: ReadonlySet<number> = new Set(),
): T[] {
    return objects.filter((o) => {
        const pid = testStackPid(o.stack);
        return pid !== undefined && (finished.has(pid) || gone(pid));
    });
}

/** `pid` and its child processes (jest's workers, which run the test files). */
export function withChildren(pid: number): Set<number> {
    const table = spawnSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" });
    const children = (table.stdout ?? "")
        .split("\n")
        .map((line) => line.trim().split(/\s+/).map(Number))
        .filter(([child, parent]) => parent === pid && Number.isInteger(child))
        .map(([child]) => child);
    return new Set([pid, ...children]);
}

/**
 * Images a test tagged itest-<what>-<pid> (a spy image's base, a service image a program built), each as `stack`
 * its tag, for leftovers.
 */
function testImages(): Array<{ stack: string; name: string }> {
    const listed = spawnSync("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" });
    if (listed.status !== 0) throw new Error(`docker image ls failed: ${listed.stderr}`);
    return listed.stdout
        .split("\n")
        .filter((name) => name.includes(":itest-"))
        .map((name) => ({ stack: name.slice(name.lastIndexOf(":") + 1), name }));
}

/**
 * Removes the Docker objects of integration stacks left behind (see leftovers), this repository's and the fresh
 * projects' (the installed package's tests), and the images such tests tagged, saying each on stderr.
 */
export function sweepLeftovers(finished: ReadonlySet<number> = new Set()): void {
    const objects = (["container", "volume", "network"] as const).flatMap((kind) =>
        ["coverage-spy", FRESH_PROJECT].flatMap((project) => labelledObjects(kind, project)),
    );
    for (const removed of removeObjects(leftovers(objects, processGone, finished)))
        say(`removed ${removed}, left by an integration test run`);
    for (const { name } of leftovers(testImages(), processGone, finished)) {
        const removed = spawnSync("docker", ["image", "rm", "--force", name], { encoding: "utf8" });
        if (removed.status === 0) say(`removed image ${name}, left by an integration test run`);
    }
}

export default function sweep(): void {
    ensureEngine();
    // Read by the test files (jest's workers inherit this environment) and by ./teardown.ts.
    process.env[TEST_RUN_PID_ENV] = String(process.pid);
    sweepLeftovers();
    stopSecondEngineIfUnused();
}
