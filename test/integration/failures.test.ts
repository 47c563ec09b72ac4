import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LABEL_PROJECT, LABEL_STACK, stackObjectName } from "../../components/shared/naming";
import { processGone } from "../../cli/recovery/stackLocks";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { docker, labelledObjects } from "./engine";
import { containerState, lastLines, until, upInBackground } from "./runInBackground";
import { StackInput, demoService, destroyStack, runStack, stackRun, upStack } from "./stackRun";

jest.setTimeout(10 * 60 * 1000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-failures-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("a killed run leaves nothing that stops the next one", () => {
    const input: StackInput = {
        stack: `itest-kill-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        testCommand: DEMO_TEST_COMMAND,
    };
    afterAll(() => destroyStack(input.stack));

    it.each([
        ["demo", "the service"],
        ["harvester", "the harvester"],
    ])("is followed by a good run when SIGKILLed while %s is created", async (container) => {
        const name = stackObjectName(input.stack, container);
        const before = containerState(name) ? docker("inspect", "-f", "{{.Id}}", name) : "";
        const run = upInBackground(input);
        await until(`a new ${name}`, () => {
            const id = spawnSync("docker", ["inspect", "-f", "{{.Id}}", name], { encoding: "utf8" }).stdout.trim();
            return id !== "" && id !== before;
        });
        process.kill(-run.child.pid!, "SIGKILL");
        await run.exited;
        // Every process of the killed run is gone (not just its first), as when a user runs again.
        await until("the killed run's processes to be gone", () => processGone(-run.child.pid!), 20_000);
        const next = stackRun(input, upStack(input));
        expect(next.summary.tests.succeeded).toBe(true);
        expect(next.summary.services.demo.dataFiles).toBeGreaterThanOrEqual(4);
    });

    it("is followed by a good run when SIGKILLed during the test suite, whose processes it stops", async () => {
        const pidFile = path.join(work, "killed-suite.pid");
        const run = upInBackground({ ...input, testCommand: `echo $$ > ${pidFile} && exec sleep 300` });
        await until("the suite to run", () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() !== "");
        const suitePid = Number(fs.readFileSync(pidFile, "utf8"));
        process.kill(-run.child.pid!, "SIGKILL");
        await run.exited;
        await until("the killed run's processes to be gone", () => processGone(-run.child.pid!), 20_000);
        // Nothing stopped the suite: the driver was killed, and the engine's plugins with it.
        expect(processGone(suitePid)).toBe(false);
        const next = upStack(input);
        expect(next.output).toMatch(/recovered: a test run left running: stopped its \d+ process\(es\)/);
        expect(next.output).toContain(
            `recovered: service ${stackObjectName(input.stack, "demo")} left running: stopped gracefully`,
        );
        expect(processGone(suitePid)).toBe(true);
        expect(stackRun(input, next).summary.tests.succeeded).toBe(true);
    });

    it("recovers from a container the state does not know, saying so", () => {
        // What a kill between Docker's create and the engine's record leaves, here under a name of its own:
        // labelled with the stack, running; the state never heard of it.
        const name = `${stackObjectName(input.stack, "demo")}-orphan`;
        docker(
            "run",
            "-d",
            "--name",
            name,
            "--label",
            `${LABEL_PROJECT}=coverage-spy`,
            "--label",
            `${LABEL_STACK}=${input.stack}`,
            "--entrypoint",
            "sleep",
            DEMO_IMAGE,
            "600",
        );
        const up = upStack(input);
        expect(up.output).toContain(
            `recovered: container ${name}, not in the stack's state (left by an interrupted run)`,
        );
        expect(stackRun(input, up).summary.tests.succeeded).toBe(true);
        expect(containerState(name)).toBeUndefined();
    });

    it("clears the engine's pending operations of an interrupted update, saying what they were", () => {
        // What the engine writes when it is killed between starting a create and recording it (an import would drop
        // them).
        const file = path.join(
            process.env.PULUMI_BACKEND_URL!.replace(/^file:\/\//, ""),
            ".pulumi",
            "stacks",
            "coverage-spy",
            `${input.stack}.json`,
        );
        // The state file as the file backend writes it; only what this test reads or sets is typed.
        const state = JSON.parse(fs.readFileSync(file, "utf8")) as {
            checkpoint: { latest: { resources: Array<{ urn: string }>; pending_operations?: unknown[] } };
        };
        const harvester = state.checkpoint.latest.resources.find((r: { urn: string }) =>
            r.urn.endsWith("::coverage-harvester"),
        );
        state.checkpoint.latest.pending_operations = [{ resource: harvester, type: "creating" }];
        fs.writeFileSync(file, JSON.stringify(state));
        const up = upStack(input);
        expect(up.output).toContain("recovered: pending creating of coverage-harvester (an interrupted update)");
        expect(up.output).not.toContain("pending operations");
        expect(stackRun(input, up).summary.tests.succeeded).toBe(true);
    });

    it("destroy removes everything with the stack's label, whatever the state says", () => {
        docker(
            "volume",
            "create",
            "--label",
            `${LABEL_PROJECT}=coverage-spy`,
            "--label",
            `${LABEL_STACK}=${input.stack}`,
            `${input.stack}-stray`,
        );
        const result = runStack("destroy", input.stack);
        expect(result.status).toBe(0);
        expect(result.output).toContain(
            `recovered: volume ${input.stack}-stray, not in the stack's state (left by an interrupted run)`,
        );
        for (const kind of ["container", "volume", "network"] as const)
            expect(labelledObjects(kind, input.stack)).toEqual([]);
    });
});

describe("Ctrl-C during the test suite", () => {
    const pidFile = path.join(work, "suite.pid");
    const input: StackInput = {
        stack: `itest-ctrlc-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        // The suite reaches the service, then hangs until it is stopped.
        testCommand: `${DEMO_TEST_COMMAND} -k health && echo $$ > ${pidFile} && exec sleep 300`,
    };
    afterAll(() => destroyStack(input.stack));

    it("stops the suite and the services gracefully, and says so", async () => {
        const run = upInBackground(input);
        await until("the suite to run", () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() !== "");
        const suitePid = Number(fs.readFileSync(pidFile, "utf8"));
        // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
        process.kill(-run.child.pid!, "SIGINT");
        const code = await run.exited;
        expect(code).not.toBe(0);
        expect(processGone(suitePid)).toBe(true);
        expect(run.output()).toMatch(/interrupted: stopped the test suite \(\d+ process\(es\)\)/);
        expect(run.output()).toContain(
            `interrupted: stopped ${stackObjectName(input.stack, "demo")} gracefully, so their data is saved`,
        );
        // Stopped by docker stop (SIGTERM, every process saved and ended), not killed.
        expect(containerState(stackObjectName(input.stack, "demo"))).toEqual({ running: false, exitCode: 0 });
        // And the next run needs nothing done by hand.
        const next = upStack({ ...input, testCommand: DEMO_TEST_COMMAND });
        expect(next.output).not.toContain("pending operations");
        expect(stackRun(input, next).summary.tests.succeeded).toBe(true);
    });
});

describe("failures say their cause last", () => {
    const stacks: string[] = [];
    afterAll(() => stacks.forEach((s) => destroyStack(s)));
    function input(
        name: string,
        service: Partial<StackInput["service"]>,
        testCommand = DEMO_TEST_COMMAND,
        config: Record<string, unknown> = {},
    ): StackInput {
        const stack = `itest-${name}-${process.pid}`;
        stacks.push(stack);
        return { stack, service: { ...demoService(DEMO_IMAGE), ...service }, testCommand, config };
    }

    it("a service that never gets ready: named with its probe and log, and stopped gracefully", () => {
        // Nothing listens on port 9 (an HTTP answer, even a 404, would count as ready).
        const bad = input("notready", { readinessTcpPort: 9, readinessTimeoutSeconds: 3 });
        const up = upStack(bad);
        expect(up.status).toBe(1);
        // The last line a user reads is the cause, with the options that fix it; the service's log lines are above it.
        expect(lastLines(up.output, 1)).toMatch(
            /\[coverage-spy\] error: service demo was not ready within 3 s \(probe: TCP port 9; last: no connection to [\d.]+:9\): set readinessTcpPort to a port the service listens on, or give a longer readinessTimeoutSeconds$/,
        );
        expect(lastLines(up.output, 30)).toContain("[coverage-spy] error (coverage-test-run): ");
        expect(up.output).toContain("serving on port 8000");
        expect(containerState(stackObjectName(bad.stack, "demo"))).toEqual({ running: false, exitCode: 0 });
    });

    it("a harvester error reads as text, once", () => {
        // A worker killed before it saved anything, and lostProcesses "fail": the harvest refuses.
        const bad = input("harvest", {}, "", { lostProcesses: "fail", coverage: { saveIntervalSeconds: 0 } });
        const whoami = `python3 -c 'import json, os, urllib.request; print(json.load(urllib.request.urlopen(os.environ["COVERAGE_SPY_DEMO_URL"] + "/whoami"))["pid"])'`;
        bad.testCommand = `${DEMO_TEST_COMMAND} && pid=$(${whoami}) && docker exec ${stackObjectName(bad.stack, "demo")} sh -c "kill -9 $pid"`;
        const up = upStack(bad);
        expect(up.status).toBe(1);
        // eslint-disable-next-line no-control-regex -- asserts that no control byte (a log header) is printed
        expect(up.output).not.toMatch(/[\x00-\x08]/);
        // Said once, in full, at the end (the engine's progress line shows only its first line).
        const detail = "1 process(es) saved no coverage data (see above); lostProcesses is 'fail'";
        expect(up.output.split(detail).length - 1).toBe(1);
        expect(lastLines(up.output, 6)).toContain(detail);
        expect(up.output).not.toContain("error serializing");
    });

    it("when Docker has no network address pool left, says which stacks hold one and how to free them", () => {
        // Fill Docker's default address pools (about 31 bridge networks), bounded, and give them back whatever happens.
        const made: string[] = [];
        try {
            let refused = "";
            for (let i = 0; i < 64 && refused === ""; i++) {
                const name = `itest-pool-${process.pid}-${i}`;
                const r = spawnSync("docker", ["network", "create", name], { encoding: "utf8" });
                if (r.status === 0) made.push(name);
                else refused = r.stderr;
            }
            expect(refused).toContain("non-overlapping");
            const up = upStack(input("pool", {}));
            expect(up.status).toBe(1);
            expect(lastLines(up.output, 8)).toContain(
                "hint: Docker has no network address pool left: every coverage stack that is up holds a bridge network.",
            );
            expect(lastLines(up.output, 8)).toContain("npm run coverage:destroy -- --stack NAME");
        } finally {
            for (const name of made) spawnSync("docker", ["network", "rm", name]);
        }
    });

    it.each([
        ["after a periodic save: its lines up to then are kept", 1, 4],
        ["before any save: the outputs are still written, with its lines missing", 0, 0],
    ])("a service killed during the suite %s", (_label, saveIntervalSeconds, minDataFiles) => {
        // Its processes never ended: they are listed (lostProcesses "warn"), not a reason to refuse the harvest.
        const bad = input(saveIntervalSeconds > 0 ? "diedsaved" : "diednosave", {}, "", {
            coverage: { saveIntervalSeconds },
            lostProcesses: "warn",
        });
        const demo = stackObjectName(bad.stack, "demo");
        // With saves on: killed once each of its processes saved (a saves record each, written after its data
        // file); with saves off, at once.
        const savesRecords = `docker exec ${demo} sh -c 'ls -a "\${COVERAGE_FILE%/*}"' | grep -c '^\\.saves\\.'`;
        const untilSaved = `until [ "$(${savesRecords})" -ge ${minDataFiles} ]; do sleep 0.2; done`;
        bad.testCommand = `${DEMO_TEST_COMMAND} -k price && ${untilSaved} && docker kill ${demo}`;
        const up = upStack(bad);
        const summary = stackRun(bad, up).summary;
        expect(summary.services.demo.exitedEarly).toEqual({ exitCode: 137, oomKilled: false });
        expect(summary.services.demo.dataFiles).toBeGreaterThanOrEqual(minDataFiles);
        expect(up.output).toContain("service demo exited during the test suite (exit code 137)");
        expect(up.output).toContain(
            "EXITED demo: exited during the test suite (exit code 137); only the data it saved before is measured",
        );
        if (saveIntervalSeconds > 0) expect(summary.totals.covered).toBeGreaterThan(0);
        else expect(summary.totals.covered).toBe(0);
    });
});
