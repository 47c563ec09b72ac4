// Runs that end badly (interrupted twice, killed, refused, failed half-way through a replacement) must leave
// nothing that blocks the next run, and must never pass an earlier run's results off as their own.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackObjectName } from "../../components/shared/naming";
import { engineProcesses, orphanedEngineProcesses } from "../../cli/recovery/engineProcesses";
import { readStackLocks, stackLockDir } from "../../cli/recovery/stackLocks";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { REPO_ROOT, docker } from "./engine";
import { lastLines, until, upInBackground } from "./runInBackground";
import { StackInput, demoService, destroyStack, runStack, stackRun, trackStack, upStack } from "./stackRun";

jest.setTimeout(15 * 60 * 1000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-faults-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function lockDir(stack: string): string {
    return stackLockDir(process.env.PULUMI_BACKEND_URL!, "coverage-spy", stack);
}

/** The demo stack with a suite that says it runs (its pid in a file), then hangs until it is stopped. */
function hangingSuite(stack: string): { input: StackInput; suiteRuns: () => boolean } {
    const pidFile = path.join(work, `${stack}.pid`);
    fs.rmSync(pidFile, { force: true });
    return {
        input: {
            stack,
            service: demoService(DEMO_IMAGE),
            testCommand: `${DEMO_TEST_COMMAND} -k health && echo $$ > ${pidFile} && exec sleep 300`,
        },
        suiteRuns: () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() !== "",
    };
}

/** The moment a new service container exists: the engine is creating resources. */
function serviceCreated(stack: string): () => boolean {
    const name = stackObjectName(stack, "demo");
    const inspect = () => {
        try {
            return docker("inspect", "-f", "{{.Id}}", name);
        } catch {
            return "";
        }
    };
    const before = inspect();
    return () => {
        const id = inspect();
        return id !== "" && id !== before;
    };
}

const good = (input: StackInput): StackInput => ({ ...input, testCommand: DEMO_TEST_COMMAND });

describe("a second Ctrl-C", () => {
    const stack = `itest-twice-${process.pid}`;
    afterAll(() => destroyStack(stack));

    it.each([
        ["while the engine creates the service", "engine"],
        ["during the test suite", "suite"],
    ])("%s leaves at once, and leaves nothing that blocks the next run", async (_moment, phase) => {
        const hanging = hangingSuite(stack);
        // A service that ignores its stop signal: the first Ctrl-C's graceful stop takes its whole 5 s grace, so the
        // second Ctrl-C surely comes while the update is still being cancelled, however loaded the machine is.
        const input: StackInput = {
            ...hanging.input,
            service: { ...hanging.input.service, stopSignal: "SIGWINCH", stopGraceSeconds: 5 },
        };
        const created = serviceCreated(stack);
        const run = upInBackground(input);
        await until(
            phase === "engine" ? "the service's container" : "the suite",
            phase === "engine" ? created : hanging.suiteRuns,
        );
        process.kill(-run.child.pid!, "SIGINT");
        await until("the driver to hear the first Ctrl-C", () => run.output().includes("cancelling the update"));
        process.kill(-run.child.pid!, "SIGINT");
        expect(await run.exited).toBe(130);
        expect(run.output()).toContain("left at once");
        // Nothing of its engine lives on, and no lock stays behind.
        expect(engineProcesses(stack)).toEqual([]);
        expect(readStackLocks(lockDir(stack))).toEqual([]);
        const next = upStack(good(hanging.input));
        expect(next.output).not.toContain("locked");
        expect(stackRun(input, next).summary.tests.succeeded).toBe(true);
    });
});

describe("a SIGKILLed run's engine processes", () => {
    const stack = `itest-leak-${process.pid}`;
    afterAll(() => destroyStack(stack));

    it("are ended by the next run, which says so", async () => {
        const { input, suiteRuns } = hangingSuite(stack);
        const run = upInBackground(input);
        await until("the suite", suiteRuns);
        // What a CI timeout or `kill -9` of the terminal's job does: the driver and the CLI die at once.
        process.kill(-run.child.pid!, "SIGKILL");
        await run.exited;
        // The plugins run in process groups of their own: they outlive the kill, their driver gone.
        const left = orphanedEngineProcesses(stack);
        expect(left.map((p) => p.name)).toEqual(expect.arrayContaining(["pulumi-resource-docker"]));
        const next = upStack(good(input));
        expect(next.output).toMatch(
            /recovered: \d+ engine process\(es\) \([^)]*pulumi-resource-docker[^)]*\) left running by a killed run: ended/,
        );
        expect(left.filter((p) => engineProcesses(stack).some((q) => q.pid === p.pid))).toEqual([]);
        expect(stackRun(input, next).summary.tests.succeeded).toBe(true);
        // And the good run's own engine ended with it.
        expect(engineProcesses(stack)).toEqual([]);
    });
});

describe("a stack whose update failed in the middle of a replacement", () => {
    const stack = `itest-pending-${process.pid}`;
    const input: StackInput = { stack, service: demoService(DEMO_IMAGE), testCommand: DEMO_TEST_COMMAND };
    afterAll(() => destroyStack(stack));

    /** The state file as the file backend writes it; only what these tests read or set is typed. */
    interface StateFile {
        checkpoint: {
            latest: {
                resources: Array<{
                    urn: string;
                    type: string;
                    id?: string;
                    pendingReplacement?: boolean;
                    delete?: boolean;
                }>;
            };
        };
    }
    const stateFile = () =>
        path.join(
            process.env.PULUMI_BACKEND_URL!.replace(/^file:\/\//, ""),
            ".pulumi",
            "stacks",
            "coverage-spy",
            `${stack}.json`,
        );
    function editState(edit: (resources: StateFile["checkpoint"]["latest"]["resources"]) => void): void {
        const state = JSON.parse(fs.readFileSync(stateFile(), "utf8")) as StateFile;
        edit(state.checkpoint.latest.resources);
        fs.writeFileSync(stateFile(), JSON.stringify(state));
    }
    const serviceId = () => docker("inspect", "-f", "{{.Id}}", stackObjectName(stack, "demo"));

    it("with a container still to delete that the engine no longer has: the next run recovers by itself", () => {
        expect(stackRun(input, upStack(input)).summary.tests.succeeded).toBe(true);
        // A create-before-delete whose delete never happened, of a container since gone (removed by hand, an
        // engine reset): the state records it, marked delete.
        const gone = "f".repeat(64);
        editState((resources) => {
            const service = resources.findIndex((r) => r.id === serviceId());
            resources.splice(service, 0, { ...resources[service], id: gone, delete: true });
        });
        const up = upStack(input);
        expect(up.output).toContain(
            `recovered: container coverage-demo (${gone.slice(0, 12)}), left in the state by a replacement that failed half-way (pending delete)`,
        );
        expect(up.output).not.toContain("No such container");
        expect(stackRun(input, up).summary.tests.succeeded).toBe(true);
        const again = upStack(input);
        expect(again.output).not.toContain("recovered:");
        expect(stackRun(input, again).summary.tests.succeeded).toBe(true);
    });

    it("with a deleted container marked pendingReplacement, which the next program no longer declares", () => {
        const id = serviceId();
        editState((resources) => {
            const service = resources.find((r) => r.id === id)!;
            expect(service.type).toBe("docker:index/container:Container");
            service.pendingReplacement = true;
        });
        docker("rm", "-f", stackObjectName(stack, "demo"));
        // The service renamed: the recorded container is no longer declared, so the engine would delete it.
        const renamed: StackInput = {
            ...input,
            service: { ...input.service, name: "web" },
            testCommand: `COVERAGE_SPY_DEMO_URL="$COVERAGE_SPY_WEB_URL" ${DEMO_TEST_COMMAND}`,
        };
        const up = upStack(renamed);
        expect(up.output).toContain("left in the state by a replacement that failed half-way (pendingReplacement)");
        expect(stackRun(renamed, up).summary.tests.succeeded).toBe(true);
        const again = upStack(renamed);
        expect(again.output).not.toContain("recovered:");
        expect(stackRun(renamed, again).summary.tests.succeeded).toBe(true);
    });
});

describe("a run that ends without results of its own", () => {
    const stack = `itest-stale-${process.pid}`;
    const input: StackInput = { stack, service: demoService(DEMO_IMAGE), testCommand: DEMO_TEST_COMMAND };
    const outputsFile = path.join(work, "outputs.json");
    afterAll(() => destroyStack(stack));

    /** An up with --outputs-file and --print-summary, as CI runs it; its exit code and output. */
    async function upWithOutputs(config: StackInput): Promise<{ code: number | string | null; output: string }> {
        const run = upInBackground(config, ["--outputs-file", outputsFile, "--print-summary"]);
        const code = await run.exited;
        return { code, output: run.output() };
    }

    beforeAll(async () => {
        // A good run first: the stack holds its outputs, and CI's outputs file holds them too.
        const first = await upWithOutputs(input);
        expect(first.code).toBe(0);
        expect(first.output).toContain("TOTAL");
        expect(fs.existsSync(outputsFile)).toBe(true);
    });

    it("refused (the stack is locked): prints no summary and leaves no outputs file", async () => {
        fs.writeFileSync(outputsFile, "{}");
        const lock = path.join(lockDir(stack), "held-by-a-test.json");
        fs.mkdirSync(path.dirname(lock), { recursive: true });
        // A live process of this host holds it: this test's own.
        fs.writeFileSync(
            lock,
            JSON.stringify({
                pid: process.pid,
                username: "test",
                hostname: os.hostname(),
                timestamp: new Date().toISOString(),
            }),
        );
        try {
            const refused = await upWithOutputs(input);
            expect(refused.code).toBe(1);
            expect(refused.output).toContain(`stack ${stack} is locked by another update`);
            expect(refused.output).not.toContain("TOTAL");
            expect(refused.output).toContain("no coverage summary");
            expect(fs.existsSync(outputsFile)).toBe(false);
        } finally {
            fs.rmSync(lock, { force: true });
        }
    });

    it("failed before the harvest (a service never ready): prints no summary and leaves no outputs file", async () => {
        fs.writeFileSync(outputsFile, "{}");
        const failed = await upWithOutputs({
            ...input,
            // Nothing listens on that port: the service never gets ready.
            service: { ...input.service, readinessTcpPort: 8001, readinessTimeoutSeconds: 2 },
        });
        expect(failed.code).toBe(1);
        expect(failed.output).not.toContain("TOTAL");
        expect(failed.output).not.toContain("tests passed");
        expect(fs.existsSync(outputsFile)).toBe(false);
        expect(lastLines(failed.output, 1)).toMatch(/error: service demo was not ready within 2 s/);
    });

    it("interrupted by one Ctrl-C while the service starts: ends with its own line, no raw engine dump", async () => {
        const created = serviceCreated(stack);
        const run = upInBackground(hangingSuite(stack).input, ["--outputs-file", outputsFile, "--print-summary"]);
        await until("the service's container", created);
        process.kill(-run.child.pid!, "SIGINT");
        expect(await run.exited).toBe(130);
        const output = run.output();
        expect(lastLines(output, 1)).toMatch(/interrupted: the update was cancelled/);
        for (const raw of ["code: -2", "err?:", "container exited immediately", "signal: killed", "TOTAL"])
            expect(output).not.toContain(raw);
        expect(fs.existsSync(outputsFile)).toBe(false);
    });

    it("a stack config with a YAML error: up names its line; destroy runs with the last run's settings", () => {
        const file = path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`);
        fs.writeFileSync(file, `${fs.readFileSync(file, "utf8")}  coverage-spy:keepRuns: [\n`);
        const refused = runStack("up", stack);
        expect(refused.status).toBe(1);
        expect(lastLines(refused.output, 1)).toMatch(
            new RegExp(`stacks/Pulumi\\.${stack}\\.yaml:\\d+:\\d+ is not valid YAML: .*Fix that line`),
        );
        const destroyed = runStack("destroy", stack);
        expect(destroyed.output).toContain("using the settings of the stack's last run");
        expect(destroyed.status).toBe(0);
        trackStack(stack);
    });

    it("destroy says it removed the stack, without the engine's advice to remove it", () => {
        expect(upStack(input).status).toBe(0);
        const destroyed = runStack("destroy", stack);
        expect(destroyed.status).toBe(0);
        expect(destroyed.output).toContain(`stack ${stack} destroyed and removed from the backend`);
        expect(destroyed.output).not.toContain("pulumi stack rm");
        trackStack(stack);
    });
});
