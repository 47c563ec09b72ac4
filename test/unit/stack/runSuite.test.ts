import * as path from "path";
import { installMockEngine } from "../mockEngine";
import { tempDir } from "../fixtures";
import {
    COMMAND,
    CONTAINER,
    FakePreparation,
    declarationsSettled,
    describedBy,
    fakePrepared,
    fakeStarted,
    parentNamed,
    planOf,
    stepArgs,
} from "./stepInputs";

// A create takes a while, so that a resource declared without waiting for another registers before that one exists.
const engine = installMockEngine({ createDelayMs: { [CONTAINER]: 60, [COMMAND]: 60 } });

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { runSuite } =
    require("../../../components/stack/runSuite") as typeof import("../../../components/stack/runSuite");
/* eslint-enable @typescript-eslint/no-require-imports */

/** The coverage-spy/ folder the plans here use: the runner the suite loads with per-test contexts is in it. */
const RUNNER_DIR = path.join(__dirname, "..", "..", "..", "coverage-spy", "runner");

/** runSuite of `args` under a parent named `name`, after stand-ins for the preparation and the started services. */
function suite(name: string, args = stepArgs(tempDir()), fake: FakePreparation = {}, ready: string[] = []) {
    const plan = planOf(args);
    const parent = parentNamed(name);
    const prepared = fakePrepared(parent, name, plan, fake);
    const services = fakeStarted(parent, name, plan, ready);
    return { plan, services, testRun: runSuite(parent, name, plan, prepared, services) };
}

/** The environment the test-run command of `name` was declared with. */
const environmentOf = (name: string) =>
    engine.one(COMMAND, `${name}-test-run`).inputs.environment as Record<string, string>;

describe("runSuite's environment for the suite", () => {
    it("lets the runner, the services' URLs, the engine and the stack's name win over the user's test environment", async () => {
        const testEnv = {
            MODE: "e2e",
            PYTHONPATH: "/suite/lib",
            COVERAGE_SPY_RUNNER_DIR: "/suite/runner",
            COVERAGE_SPY_SHOP_URL: "http://suite.example",
            COVERAGE_SPY_CONTEXTS_URL: "http://suite.example",
            DOCKER_HOST: "unix:///suite.sock",
            COVERAGE_SPY_STACK: "suite-stack",
        };
        suite("env", stepArgs(tempDir(), { testEnv, perTestContexts: true }), {
            cliEnv: { DOCKER_HOST: "tcp://engine.test:2376" },
        });
        await declarationsSettled();
        expect(environmentOf("env")).toEqual(
            expect.objectContaining({
                MODE: "e2e",
                // The runner's folder after the suite's own path, so no module of the suite is shadowed.
                PYTHONPATH: `/suite/lib:${RUNNER_DIR}`,
                COVERAGE_SPY_RUNNER_DIR: RUNNER_DIR,
                COVERAGE_SPY_SHOP_URL: "http://127.0.0.1:49000",
                COVERAGE_SPY_CONTEXTS_URL: "http://127.0.0.1:49000",
                DOCKER_HOST: "tcp://engine.test:2376",
                COVERAGE_SPY_STACK: "unit",
            }),
        );
    });

    it("lets the engine's environment win over the services' URLs, and the stack's name over the engine's", async () => {
        // No engine's environment holds these names: they only pin the order of the last sources.
        suite("order", stepArgs(tempDir()), {
            cliEnv: { COVERAGE_SPY_SHOP_URL: "http://engine.example", COVERAGE_SPY_STACK: "engine-stack" },
        });
        await declarationsSettled();
        expect(environmentOf("order")).toEqual(
            expect.objectContaining({ COVERAGE_SPY_SHOP_URL: "http://engine.example", COVERAGE_SPY_STACK: "unit" }),
        );
    });

    it("puts the runner's folder after this process's PYTHONPATH when the test environment has none", async () => {
        const saved = process.env.PYTHONPATH;
        process.env.PYTHONPATH = "/host/lib";
        try {
            suite("hostpath", stepArgs(tempDir(), { perTestContexts: true }));
        } finally {
            if (saved === undefined) delete process.env.PYTHONPATH;
            else process.env.PYTHONPATH = saved;
        }
        await declarationsSettled();
        expect(environmentOf("hostpath").PYTHONPATH).toBe(`/host/lib:${RUNNER_DIR}`);
    });
});

describe("runSuite without per-test contexts", () => {
    beforeAll(async () => {
        suite("plain", stepArgs(tempDir(), { testEnv: { PYTHONPATH: "/suite/lib" } }));
        await declarationsSettled();
    });

    it("starts no relay and gives the suite neither a relay URL nor the runner's folder", () => {
        expect(engine.ofType(CONTAINER).filter((c) => c.name === "plain-contexts")).toEqual([]);
        const env = environmentOf("plain");
        expect(env.COVERAGE_SPY_CONTEXTS_URL).toBeUndefined();
        expect(env.COVERAGE_SPY_RUNNER_DIR).toBeUndefined();
        expect(env.PYTHONPATH).toBe("/suite/lib");
    });

    it("describes to the test run the services it was given, and nothing more", () => {
        expect(describedBy(engine.one(COMMAND, "plain-test-run").inputs).services.map((s) => s.name)).toEqual([
            "shop",
            "worker",
        ]);
    });
});

describe("runSuite with per-test contexts", () => {
    let plan: ReturnType<typeof suite>["plan"];
    beforeAll(async () => {
        ({ plan } = suite("ctx", stepArgs(tempDir(), { perTestContexts: true })));
        await declarationsSettled();
    });

    it("starts the relay from the spy image on the preparation's volumes, once the data volume is prepared", () => {
        const relay = engine.one(CONTAINER, "ctx-contexts");
        expect(relay.inputs.image).toBe(plan.spyImage.image);
        expect(relay.inputs.volumes).toEqual([
            expect.objectContaining({ volumeName: "fake-spy-volume", containerPath: "/opt/coverage-spy" }),
            expect.objectContaining({ volumeName: "fake-data-volume", containerPath: "/opt/coverage-spy/data" }),
        ]);
        expect(relay.registeredAt).toBeGreaterThan(engine.one(CONTAINER, "ctx-fake-prepare").createdAt!);
    });

    it("runs the tests once the relay runs, and has the test run wait for it and stop it, after the services", () => {
        expect(engine.one(COMMAND, "ctx-test-run").registeredAt).toBeGreaterThan(
            engine.one(CONTAINER, "ctx-contexts").createdAt!,
        );
        const services = describedBy(engine.one(COMMAND, "ctx-test-run").inputs).services;
        expect(services.map((s) => s.name)).toEqual(["shop", "worker", "contexts"]);
        expect(services[2]).toEqual(
            expect.objectContaining({ containerName: "coverage-spy-unit-contexts", url: "http://127.0.0.1:49000" }),
        );
    });
});

describe("runSuite's wait for the services", () => {
    it("runs the tests once every container is created and every readiness wait ended", async () => {
        suite("wait", stepArgs(tempDir()), {}, ["worker"]);
        await declarationsSettled();
        const testRun = engine.one(COMMAND, "wait-test-run");
        for (const ready of [
            engine.one(CONTAINER, "wait-fake-shop"),
            engine.one(CONTAINER, "wait-fake-worker"),
            engine.one(COMMAND, "wait-fake-worker-ready"),
        ])
            expect(testRun.registeredAt).toBeGreaterThan(ready.createdAt!);
    });
});

describe("runSuite's run description", () => {
    it("describes the run of the plan: its folder, working directory, command and time limit", async () => {
        const workDir = tempDir();
        const { plan } = suite("desc", stepArgs(tempDir(), { testWorkingDir: workDir, testTimeoutSeconds: 600 }));
        await declarationsSettled();
        const described = describedBy(engine.one(COMMAND, "desc-test-run").inputs);
        expect(described).toEqual(
            expect.objectContaining({
                runDir: plan.runDir,
                testWorkingDir: workDir,
                testCommand: "pytest tests/e2e",
                testTimeoutSeconds: 600,
            }),
        );
        // A local engine's harvester reads the run folder itself; the probes go where the services are.
        expect(described).not.toHaveProperty("runTar");
        expect(described).not.toHaveProperty("remoteHost");
    });

    it("has the test run pack its results into a remote engine's tar and probe the services at its address", async () => {
        const reportDir = tempDir();
        suite("far", stepArgs(reportDir, { remoteEngine: true, serviceHost: "10.9.8.7", perTestContexts: true }));
        await declarationsSettled();
        const described = describedBy(engine.one(COMMAND, "far-test-run").inputs);
        expect(described.runTar).toBe(path.join(reportDir, "engine", "run-inputs.tar"));
        expect(described.remoteHost).toBe("10.9.8.7");
        // The relay is published where the suite reaches it.
        expect(engine.one(CONTAINER, "far-contexts").inputs.ports).toEqual([{ internal: 7611, ip: "0.0.0.0" }]);
        expect(environmentOf("far").COVERAGE_SPY_CONTEXTS_URL).toBe("http://10.9.8.7:49000");
    });
});
