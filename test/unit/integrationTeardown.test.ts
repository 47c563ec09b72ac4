import { spawn } from "child_process";
import * as fs from "fs";
import { leftovers, testStackPid, withChildren } from "../integration/sweep";
import {
    TEST_RUN_PID_ENV,
    markSecondEngineStartedByTests,
    markSecondEngineUser,
    readSecondEngineMarks,
    secondEngineDecision,
    stopSecondEngineIfUnused,
} from "../integration/secondEngine";
import { tempDir } from "./fixtures";

const GONE = 100;
const LIVE = 200;
const FINISHED = 300;
const gone = (pid: number) => pid === GONE;

describe("the end of an integration test run: which stacks' objects it removes", () => {
    const objects = [
        { kind: "container", name: "a", stack: `itest-demo-${GONE}` },
        { kind: "volume", name: "b", stack: `itest-kill-save-${GONE}` },
        { kind: "container", name: "c", stack: `itest-demo-${LIVE}` },
        { kind: "network", name: "d", stack: `itest-remote-${LIVE}-b` },
        { kind: "container", name: "e", stack: `itest-lock-${FINISHED}` },
        { kind: "network", name: "f", stack: `itest-parallel-${FINISHED}-a` },
        { kind: "container", name: "g", stack: "dev" },
        { kind: "volume", name: "h", stack: `feature-${GONE}` },
    ];

    it("reads the pid out of an integration stack's name only", () => {
        expect(testStackPid("itest-demo-123")).toBe(123);
        expect(testStackPid("itest-kill-save-123-b")).toBe(123);
        expect(testStackPid("dev")).toBeUndefined();
        expect(testStackPid("feature-123")).toBeUndefined();
    });

    it("at the start of a run: those of stacks whose process is gone, nothing else", () => {
        expect(leftovers(objects, gone).map((o) => o.name)).toEqual(["a", "b"]);
    });

    it("at the end of a run: its own (its jest process and workers are done) too, sparing other live runs'", () => {
        expect(leftovers(objects, gone, new Set([FINISHED])).map((o) => o.name)).toEqual(["a", "b", "e", "f"]);
    });

    it("counts the jest process's children (its workers, which name the stacks) as finished, no other process", async () => {
        const child = spawn("cat", [], { stdio: ["pipe", "ignore", "ignore"] });
        const exited = new Promise((resolve) => child.once("exit", resolve));
        try {
            const finished = withChildren(process.pid);
            expect([...finished]).toEqual(expect.arrayContaining([process.pid, child.pid]));
            expect(finished.has(process.ppid)).toBe(false);
            expect(finished.has(1)).toBe(false);
        } finally {
            child.stdin.end();
            await exited;
        }
    });
});

describe("the end of an integration test run: the second engine", () => {
    it("is stopped when a test run started it and every run that used it has ended", () => {
        const marks = { startedByTests: true, users: [GONE, FINISHED] };
        expect(secondEngineDecision(marks, gone, new Set([FINISHED]))).toEqual({
            stop: true,
            endedUsers: [GONE, FINISHED],
        });
    });

    it("is left running while another live run uses it", () => {
        const marks = { startedByTests: true, users: [GONE, LIVE, FINISHED] };
        expect(secondEngineDecision(marks, gone, new Set([FINISHED]))).toEqual({
            stop: false,
            endedUsers: [GONE, FINISHED],
        });
    });

    it("is never stopped when no test run started it (someone started it by hand)", () => {
        expect(secondEngineDecision({ startedByTests: false, users: [GONE] }, gone)).toEqual({
            stop: false,
            endedUsers: [GONE],
        });
    });

    it("is marked by the run's jest pid, and an ended run's mark goes while a live run's stays", () => {
        const dir = tempDir();
        const saved = process.env[TEST_RUN_PID_ENV];
        try {
            process.env[TEST_RUN_PID_ENV] = String(process.pid);
            markSecondEngineUser(dir);
            process.env[TEST_RUN_PID_ENV] = String(FINISHED);
            markSecondEngineUser(dir);
            markSecondEngineStartedByTests(dir);
            const marks = readSecondEngineMarks(dir);
            expect(marks.startedByTests).toBe(true);
            expect(marks.users.sort((a, b) => a - b)).toEqual([FINISHED, process.pid].sort((a, b) => a - b));
            // This process lives and uses it: the engine stays (no script runs), the finished run's mark goes.
            stopSecondEngineIfUnused(new Set([FINISHED]), dir);
            expect(fs.readdirSync(dir).sort()).toEqual([`user-${process.pid}`, "started-by-tests"].sort());
        } finally {
            if (saved === undefined) delete process.env[TEST_RUN_PID_ENV];
            else process.env[TEST_RUN_PID_ENV] = saved;
        }
    });
});
