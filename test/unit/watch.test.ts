import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PassThrough } from "stream";
import {
    RELEASE_FILE,
    SUITE_FILE,
    WATCHER_FILE,
    WATCH_VARIABLE,
    WatchedSuite,
    holdForWatch,
    readWatchFile,
    watchedEnvironment,
    writeWatchFile,
} from "../../components/testRun/runner/watchHold";
import { readRunDescription } from "../../components/testRun/runner/description";
import { CycleTriggers, DEBOUNCE_MS, Trigger } from "../../cli/watch/cycleTriggers";
import { describeFileLines, linesOnlyIn } from "../../cli/watch/shutdownLines";
import { ignoredChange, watchedPaths } from "../../cli/watch/watchedPaths";
import { tempDir } from "./fixtures";

const SUITE = { runDir: "/r", testCommand: "pytest", testWorkingDir: "/w", testTimeoutSeconds: 0, environment: {} };

/** A pid no process has: that of a process that ended. */
function endedPid(): number {
    return spawnSync("true").pid;
}

describe("the test run held by watch", () => {
    it("hands the suite over, then waits for the release and reports its suite result", async () => {
        const dir = tempDir();
        writeWatchFile(dir, WATCHER_FILE, { pid: process.pid });
        const held = holdForWatch(dir, SUITE);
        let handed: WatchedSuite | undefined;
        while ((handed = readWatchFile<WatchedSuite>(dir, SUITE_FILE)) === undefined)
            await new Promise((r) => setTimeout(r, 20));
        expect(handed).toEqual({ runnerPid: process.pid, ...SUITE });
        let done = false;
        void held.then(() => (done = true));
        await new Promise((r) => setTimeout(r, 400));
        expect(done).toBe(false);
        writeWatchFile(dir, RELEASE_FILE, { exitCode: 1, durationMs: 1234 });
        await expect(held).resolves.toEqual({ exitCode: 1, durationMs: 1234 });
    });

    it("goes on at once, the suite interrupted, its folder removed, when the watch command ended unreleased", async () => {
        const dir = tempDir();
        writeWatchFile(dir, WATCHER_FILE, { pid: endedPid() });
        await expect(holdForWatch(dir, SUITE)).resolves.toEqual({ exitCode: 130, durationMs: 0 });
        expect(fs.existsSync(dir)).toBe(false);
    });

    it("runs no suite, and holds nothing, in a folder the watch command did not make", async () => {
        await expect(holdForWatch(tempDir(), SUITE)).resolves.toEqual({ exitCode: 2, durationMs: 0 });
    });

    it("gives the suite its environment without the hold's variable", () => {
        expect(watchedEnvironment({ A: "1", [WATCH_VARIABLE]: "/tmp/x", B: undefined })).toEqual({ A: "1" });
    });
});

describe("the run description's patch, which the test run hands to watch", () => {
    const run = (patch: unknown) =>
        JSON.stringify({
            runDir: "/r",
            testWorkingDir: "/w",
            testCommand: "true",
            testTimeoutSeconds: 0,
            services: [],
            patch,
        });

    it("is read as given, or left out", () => {
        const patch = { base: "main", services: [{ name: "api", hostSourcePath: "/src/api" }, { name: "worker" }] };
        expect(readRunDescription(run(patch)).patch).toEqual(patch);
        expect(readRunDescription(run(undefined)).patch).toBeUndefined();
    });

    it("is refused, naming each field, when it is not one", () => {
        expect(() => readRunDescription(run({ base: 1, services: [{ hostSourcePath: 2 }] }))).toThrow(
            /patch\.base must be a string, got 1; patch\.services\[0\]\.name must be a string, got nothing; patch\.services\[0\]\.hostSourcePath must be a string, got 2/,
        );
        expect(() => readRunDescription(run("main"))).toThrow(/patch must be \{"base"/);
    });
});

describe("what watch watches", () => {
    it("the test files and folders the command names, resolved in its working folder", () => {
        const work = tempDir();
        fs.mkdirSync(path.join(work, "tests"));
        fs.writeFileSync(path.join(work, "tests", "test_a.py"), "");
        expect(watchedPaths("python3 -m unittest discover -s tests -v", work)).toEqual([path.join(work, "tests")]);
        expect(watchedPaths("pytest tests/test_a.py --junit-xml=out.xml", work)).toEqual([
            path.join(work, "tests", "test_a.py"),
        ]);
    });

    it("the working folder when the command names none, and never a program it runs", () => {
        const work = tempDir();
        fs.writeFileSync(path.join(work, "run-tests"), "#!/bin/sh\n", { mode: 0o755 });
        expect(watchedPaths("./run-tests --fast", work)).toEqual([work]);
        expect(watchedPaths("pytest .", work)).toEqual([work]);
    });

    it("ignores what runs write (bytecode, dot-folders, the report folder) and editors' scratch", () => {
        const root = "/p/tests";
        for (const file of ["__pycache__/t.cpython-313.pyc", ".pytest_cache/v/x", "t.py~", ".t.py.swp", "a.pyc"])
            expect(ignoredChange(root, path.join(root, file), [])).toBe(true);
        expect(ignoredChange(root, "/p/tests/reports/runs/1/x", ["/p/tests/reports"])).toBe(true);
        expect(ignoredChange(root, "/p/tests/test_a.py", ["/p/tests/reports"])).toBe(false);
        // A dot-folder above the watched one is the user's checkout, not a cache.
        expect(ignoredChange("/home/u/.work/p", "/home/u/.work/p/test_a.py", [])).toBe(false);
    });
});

describe("the lines only the whole run has (its shutdown's)", () => {
    const file = (path: string, executedLines: number[]) => ({ service: "demo", path, executedLines });

    it("are, file by file, the whole run's lines the cycle lacks", () => {
        const whole = [file("server.py", [1, 2, 3, 35, 57, 66, 67, 68]), file("app.py", [1, 2]), file("new.py", [4])];
        const cycle = [file("server.py", [1, 2, 3]), file("app.py", [1, 2])];
        const only = linesOnlyIn(whole, cycle);
        expect(only).toEqual([
            { service: "demo", path: "server.py", lines: [35, 57, 66, 67, 68] },
            { service: "demo", path: "new.py", lines: [4] },
        ]);
        expect(describeFileLines(only)).toEqual(["  demo:server.py  35, 57, 66-68", "  demo:new.py  4"]);
        expect(linesOnlyIn(cycle, whole)).toEqual([]);
    });

    it("tell services apart by name", () => {
        expect(linesOnlyIn([file("a.py", [1])], [{ ...file("a.py", [1]), service: "other" }])).toHaveLength(1);
    });
});

describe("what starts a cycle or ends the watch", () => {
    function triggers(paths: string[] = []) {
        const input = new PassThrough() as unknown as NodeJS.ReadStream;
        const stops: string[] = [];
        const t = new CycleTriggers(paths, [], input, (why) => stops.push(why));
        return { t, input: input as unknown as PassThrough, stops };
    }

    it("Enter runs the next cycle; q, Ctrl-C or the input's end stops, and says so at once", async () => {
        const { t, input, stops } = triggers();
        try {
            input.write("\n");
            await expect(t.next()).resolves.toEqual({ kind: "enter" });
            const next = t.next();
            input.write("q");
            await expect(next).resolves.toEqual({ kind: "stop", why: "q" });
            input.write("\u0003");
            expect(stops).toEqual(["q", "Ctrl-C"]);
            // A stop is kept for the next wait, and no later trigger replaces it.
            input.write("\n");
            await expect(t.next()).resolves.toEqual({ kind: "stop", why: "Ctrl-C" });
            input.end();
            await expect(t.next()).resolves.toEqual({ kind: "stop", why: "the input ended" });
        } finally {
            t.close();
        }
    });

    it("a change of a watched file, once its events settle, but not a bytecode cache's", async () => {
        const dir = tempDir();
        const { t } = triggers([dir]);
        try {
            let seen: Trigger | undefined;
            const next = t.next().then((trigger) => (seen = trigger));
            fs.mkdirSync(path.join(dir, "__pycache__"));
            fs.writeFileSync(path.join(dir, "__pycache__", "t.pyc"), "x");
            await new Promise((r) => setTimeout(r, DEBOUNCE_MS * 3));
            expect(seen).toBeUndefined();
            fs.writeFileSync(path.join(dir, "test_a.py"), "1");
            fs.writeFileSync(path.join(dir, "test_a.py"), "2");
            await expect(next).resolves.toEqual({ kind: "change", file: path.join(dir, "test_a.py") });
        } finally {
            t.close();
        }
    });
});
