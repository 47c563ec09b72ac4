import { ChildProcess, spawn, spawnSync } from "child_process";
import { once } from "events";
import {
    ENGINE_DRIVER_VARIABLE,
    ENGINE_STACK_VARIABLE,
    endProcesses,
    engineProcesses,
    orphanedEngineProcesses,
} from "../../cli/recovery/engineProcesses";
import { processGone } from "../../cli/recovery/stackLocks";

/** A pid no process has any more: a process that ran and was reaped. */
function deadPid(): number {
    const result = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
    return Number(result.stdout.trim());
}

const children: ChildProcess[] = [];
afterAll(() => {
    for (const child of children) child.kill("SIGKILL");
});

/**
 * A long-running process with the given environment, once it runs: it says "ready" after installing its handlers, so
 * the test never signals it before it could hear the signal.
 */
async function started(env: Record<string, string>, ignoreTerm = false): Promise<ChildProcess> {
    const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ""} setInterval(() => {}, 1000); console.log("ready");`;
    const child = spawn(process.execPath, ["-e", script], {
        env: { PATH: process.env.PATH, ...env },
        stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    await once(child.stdout, "data");
    return child;
}

const STACK = `unit-engine-${process.pid}`;

describe("the engine processes a killed run left", () => {
    it("finds only this stack's marked processes, and as orphans only those whose driver is gone", async () => {
        const dead = deadPid();
        const orphan = await started({ [ENGINE_STACK_VARIABLE]: STACK, [ENGINE_DRIVER_VARIABLE]: String(dead) });
        const live = await started({ [ENGINE_STACK_VARIABLE]: STACK, [ENGINE_DRIVER_VARIABLE]: String(process.pid) });
        const other = await started({
            [ENGINE_STACK_VARIABLE]: `${STACK}-other`,
            [ENGINE_DRIVER_VARIABLE]: String(dead),
        });
        const unmarked = await started({});
        // The test run of a killed driver: stopped gracefully by the recovery's own step, never just ended.
        const testRun = await started({
            [ENGINE_STACK_VARIABLE]: STACK,
            [ENGINE_DRIVER_VARIABLE]: String(dead),
            COVERAGE_SPY_TEST_RUN: "{}",
        });

        const marked = engineProcesses(STACK).map((p) => p.pid);
        expect(marked.sort()).toEqual([orphan.pid, live.pid, testRun.pid].sort());
        expect(orphanedEngineProcesses(STACK)).toEqual([
            { pid: orphan.pid, name: "node", driver: dead, testRun: false },
        ]);
        expect(orphanedEngineProcesses(`${STACK}-other`).map((p) => p.pid)).toEqual([other.pid]);
        expect(engineProcesses(STACK).some((p) => p.pid === unmarked.pid)).toBe(false);
    });

    it("ends a process with SIGTERM, and one that ignores it with SIGKILL", async () => {
        const polite = await started({});
        const stubborn = await started({}, true);
        const politeExit = once(polite, "exit");
        const stubbornExit = once(stubborn, "exit");
        const { ended, stuck } = endProcesses([polite.pid!, stubborn.pid!]);
        expect(stuck).toEqual([]);
        expect(ended.sort()).toEqual([polite.pid, stubborn.pid].sort());
        expect((await politeExit)[1]).toBe("SIGTERM");
        expect((await stubbornExit)[1]).toBe("SIGKILL");
        expect(processGone(polite.pid!) && processGone(stubborn.pid!)).toBe(true);
        // The SIGTERM grace (5 s) is part of what this waits for; the bound is only against a hang.
    }, 60_000);

    it("ends at once with SIGKILL when asked to leave immediately", async () => {
        const child = await started({});
        const exit = once(child, "exit");
        expect(endProcesses([child.pid!], true).stuck).toEqual([]);
        expect((await exit)[1]).toBe("SIGKILL");
    });
});
