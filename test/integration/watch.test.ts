import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Service } from "../../components/options/args";
import { LABEL_STACK, stackObjectName } from "../../components/shared/naming";
import { FileCoverage } from "../../components/summary/coverageSummary";
import { HarvestedCoverage, readHarvestedCoverage } from "../../components/summary/readRunSummary";
import { hostProcesses } from "../../components/hostProcesses";
import { WATCH_VARIABLE } from "../../components/testRun/runner/watchHold";
import { describeFileLines, linesOnlyIn } from "../../cli/watch/shutdownLines";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { docker } from "./engine";
import { copyExampleStack, exampleTestCommand } from "./exampleStacks";
import { ExecutedLines } from "./oracle";
import { BackgroundRun, commandInBackground, until } from "./runInBackground";
import { StackInput, StackRun, configure, demoService, destroyStack, runStack, stackRun } from "./stackRun";

jest.setTimeout(20 * 60 * 1000);

type Files = Array<Pick<FileCoverage, "service" | "path" | "executedLines">>;

/** Executed lines by "service:path", files without any left out. */
function executed(files: Files): ExecutedLines {
    return Object.fromEntries(
        files.filter((f) => f.executedLines.length > 0).map((f) => [`${f.service}:${f.path}`, f.executedLines]),
    );
}

/** The report folder of the session's n-th cycle, from the line the command says it with. */
function cycleReportDir(output: string, n: number): string {
    const match = new RegExp(`cycle ${n}: .* reports in (\\S+)`).exec(output);
    if (!match) throw new Error(`no cycle ${n} in:\n${output.slice(-4000)}`);
    return match[1];
}

function readCycle(dir: string, runId: string, services: Service[]): HarvestedCoverage {
    return readHarvestedCoverage({
        runDir: dir,
        runId,
        services: services.map((s) => ({ name: s.name, sourcePath: s.sourcePath! })),
    });
}

/** The watch folders on this machine (the command's, under the temporary folder). */
function watchFolders(): string[] {
    return fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("coverage-spy-watch-"));
}

interface Session {
    output: string;
    exit: number | string | null;
    cycles: HarvestedCoverage[];
    /** The whole run the session's update harvested after its release. */
    final: HarvestedCoverage;
}

/**
 * A watch session on the stack: the first cycle runs at once, Enter runs the second, Ctrl-C (SIGINT to the command
 * alone, as its raw-mode terminal gives it) ends it.
 */
async function watchTwoCycles(stack: string, services: Service[]): Promise<Session> {
    const before = new Set(watchFolders());
    const run: BackgroundRun = commandInBackground(["watch", "--stack", stack], undefined, undefined, true);
    let exit: number | string | null | undefined;
    void run.exited.then((code) => (exit = code));
    const said = (text: string) => () => run.output().includes(text) || exit !== undefined;
    await until("the first cycle", said("cycle 1:"), 10 * 60_000);
    // Held: the command's folder exists, and the test run was handed the suite through it.
    expect(watchFolders().filter((f) => !before.has(f))).toHaveLength(1);
    run.child.stdin!.write("\n");
    await until("the second cycle", said("cycle 2:"));
    run.child.kill("SIGINT");
    const code = await run.exited;
    const output = run.output();
    const runId = /coverage-spy run (\S+)/.exec(output)![1];
    const runDir = path.dirname(path.dirname(cycleReportDir(output, 1)));
    return {
        output,
        exit: code,
        cycles: [1, 2].map((n) => readCycle(cycleReportDir(output, n), runId, services)),
        final: readCycle(runDir, runId, services),
    };
}

/** A session against a fresh up of the same stack: each cycle is the fresh run but for the shutdown's lines. */
function expectFreshRunEquality(session: Session, fresh: StackRun): string[] {
    expect(session.exit).toBe(0);
    const [first, second] = session.cycles.map((c) => executed(c.files));
    // Each cycle reports what the suite and the start-up ran: the same twice.
    expect(second).toEqual(first);
    // The whole run of the session is a fresh run's, line for line.
    expect(executed(session.final.files)).toEqual(executed(fresh.summary.files));
    // What a cycle lacks against a fresh run is what ran at shutdown, and the command named exactly that.
    const shutdown = linesOnlyIn(fresh.summary.files, session.cycles[1].files);
    expect(linesOnlyIn(session.cycles[1].files, fresh.summary.files)).toEqual([]);
    const named = describeFileLines(shutdown);
    expect(session.output).toContain(
        shutdown.length === 0
            ? "run at shutdown: no line"
            : `in no cycle's report (the whole run's report has them):\n${named.join("\n")}\n`,
    );
    return named;
}

/** After the session: no container of the stack runs, no process carries the session's variable, no folder is left. */
function expectNothingLeft(stack: string, foldersBefore: Set<string>): void {
    expect(watchFolders().filter((f) => !foldersBefore.has(f))).toEqual([]);
    expect(hostProcesses().filter((p) => p.env.some((e) => e.startsWith(`${WATCH_VARIABLE}=`)))).toEqual([]);
    expect(docker("ps", "--filter", `label=${LABEL_STACK}=${stack}`, "--format", "{{.Names}}")).toBe("");
}

/** The demo's stack config (stacks/Pulumi.dev.yaml's service) under a test stack name; returns its input. */
function configureDemo(stack: string): StackInput {
    const input = {
        stack,
        service: demoService(DEMO_IMAGE),
        testCommand: DEMO_TEST_COMMAND,
        lostProcesses: "fail" as const,
    };
    configure(input);
    return input;
}

describe("coverage-spy watch", () => {
    it("on the demo: two cycles, each a fresh up's lines but the shutdown's; Ctrl-C leaves nothing", async () => {
        const stack = `itest-watch-${process.pid}`;
        const input = configureDemo(stack);
        try {
            const fresh = stackRun(input, runStack("up", stack));
            const before = new Set(watchFolders());
            const session = await watchTwoCycles(stack, [input.service]);
            const named = expectFreshRunEquality(session, fresh);
            // The demo's workers and master run their stop handlers as they stop: lines of server.py alone.
            expect(named.length).toBeGreaterThan(0);
            expect(named.every((line) => line.startsWith("  demo:demo_app/server.py"))).toBe(true);
            expectNothingLeft(stack, before);
        } finally {
            destroyStack(stack);
        }
    });

    it("a killed watch blocks nothing: the next watch recovers the stack, runs whole, and leaves nothing", async () => {
        const stack = `itest-watch-killed-${process.pid}`;
        configureDemo(stack);
        try {
            const before = new Set(watchFolders());
            const killed = commandInBackground(["watch", "--stack", stack], undefined, undefined, true);
            await until("the first cycle", () => killed.output().includes("cycle 1:"), 10 * 60_000);
            // The command and, with it, its engine (the demo's program runs in the command's process).
            killed.child.kill("SIGKILL");
            await killed.exited;
            expect(watchFolders().filter((f) => !before.has(f))).toHaveLength(1);
            const next = commandInBackground(["watch", "--stack", stack], undefined, undefined, true);
            await until("the next session's first cycle", () => next.output().includes("cycle 1:"), 10 * 60_000);
            next.child.kill("SIGINT");
            expect(await next.exited).toBe(0);
            const output = next.output();
            expect(output).toMatch(/recovered: removed \S+coverage-spy-watch-\S+, the folder of a killed watch/);
            expect(output).toContain(
                `recovered: service ${stackObjectName(stack, "demo")} left running: stopped gracefully`,
            );
            expect(output).toMatch(/tests {2}passed \(10 passed, 0 failed\)/);
            expectNothingLeft(stack, before);
        } finally {
            destroyStack(stack);
        }
    });

    it("on the FastAPI example (uvicorn's spawned workers): each cycle a fresh up's lines but the shutdown's", async () => {
        const stack = `itest-watch-fastapi-${process.pid}`;
        const services = copyExampleStack("fastapi", stack);
        try {
            const input = { stack, service: services[0], testCommand: exampleTestCommand("fastapi") };
            const fresh = stackRun(input, runStack("up", stack));
            const before = new Set(watchFolders());
            expectFreshRunEquality(await watchTwoCycles(stack, services), fresh);
            expectNothingLeft(stack, before);
        } finally {
            destroyStack(stack);
        }
    });
});
