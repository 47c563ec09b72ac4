import { hostProcesses } from "../../components/hostProcesses";
import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { processGone } from "./stackLocks";

/**
 * The engine's processes (the `pulumi` CLI, its resource plugins and what they run) carry two variables of the
 * driver that started them: the Automation API starts the CLI with the driver's environment, and the CLI starts
 * every plugin with its own. They let a later run tell this stack's engine processes whose driver is gone (a
 * SIGKILL, a terminal closed) from any other Pulumi process on the machine, which it must never touch.
 */
export const ENGINE_STACK_VARIABLE = "COVERAGE_SPY_ENGINE_STACK";
export const ENGINE_DRIVER_VARIABLE = "COVERAGE_SPY_ENGINE_DRIVER";

/** Marks the engine processes this driver starts from now on as this stack's and this process's. */
export function markEngineProcesses(stack: string, env: NodeJS.ProcessEnv = process.env): void {
    env[ENGINE_STACK_VARIABLE] = stack;
    env[ENGINE_DRIVER_VARIABLE] = String(process.pid);
}

/** A process of a stack's engine: its pid, its name, the driver that started it, and whether it is the test run. */
export interface EngineProcess {
    pid: number;
    name: string;
    driver: number;
    /** Part of the test run (the script, the suite): a run's own stop (interruptTestRun) ends it gracefully. */
    testRun: boolean;
}

/** The processes marked as the stack's engine processes (markEngineProcesses). */
export function engineProcesses(stack: string, proc = "/proc"): EngineProcess[] {
    return hostProcesses(proc).flatMap(({ pid, env, name }) => {
        if (!env.includes(`${ENGINE_STACK_VARIABLE}=${stack}`)) return [];
        const driver = Number(env.find((v) => v.startsWith(`${ENGINE_DRIVER_VARIABLE}=`))?.split("=")[1]);
        if (!Number.isInteger(driver) || driver <= 0) return [];
        // Set only in the test run's environment, which its suite inherits (components/testRun/testRun.ts).
        const testRun = env.some((v) => v.startsWith(`${TEST_RUN_VARIABLE}=`));
        return [{ pid, name, driver, testRun }];
    });
}

/**
 * The stack's engine processes whose driver is gone: nobody will ever end them, and the CLI among them may hold
 * the stack's lock. The test run's are left out: they are stopped gracefully, with the services, by the recovery's
 * own step, so every process saves its data.
 */
export function orphanedEngineProcesses(stack: string, proc = "/proc"): EngineProcess[] {
    return engineProcesses(stack, proc).filter((p) => !p.testRun && processGone(p.driver));
}

/** How long an engine process gets to end after SIGTERM before SIGKILL (a plugin ends within milliseconds). */
const TERM_GRACE_MS = 5_000;

/** Blocks the thread for a few milliseconds: the driver has nothing else to do while a process ends. */
function pause(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Ends processes: SIGTERM, then SIGKILL for any still there after a grace (a CLI sleeping on a cancelled update
 * ignores SIGTERM's polite path), or SIGKILL at once with `immediately`. Returns once every one is gone (or
 * after the grace past SIGKILL, with those that would not end).
 */
export function endProcesses(pids: number[], immediately = false): { ended: number[]; stuck: number[] } {
    const signal = (pid: number, name: NodeJS.Signals) => {
        try {
            process.kill(pid, name);
        } catch {
            // gone already
        }
    };
    const waitGone = (pending: number[]): number[] => {
        const deadline = Date.now() + TERM_GRACE_MS;
        let left = pending.filter((pid) => !processGone(pid));
        while (left.length > 0 && Date.now() < deadline) {
            pause(50);
            left = left.filter((pid) => !processGone(pid));
        }
        return left;
    };
    let left = pids;
    if (!immediately) {
        for (const pid of left) signal(pid, "SIGTERM");
        left = waitGone(left);
    }
    for (const pid of left) signal(pid, "SIGKILL");
    const stuck = waitGone(left);
    return { ended: pids.filter((pid) => !stuck.includes(pid)), stuck };
}

/** "3 engine process(es) (pulumi, pulumi-resource-docker, pulumi-resource-command)". */
export function describeEngineProcesses(processes: EngineProcess[]): string {
    const names = [...new Set(processes.map((p) => p.name))].join(", ");
    return `${processes.length} engine process(es) (${names})`;
}
