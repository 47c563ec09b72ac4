import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { MockEngine, installMockEngine, valueOf } from "./mockEngine";
import { FIXTURE_RUN_ID, fakeDockerOnPath, reportDirWithFixtureRun } from "./fixtures";
import * as path from "path";
import { INSPECT_FORMAT, missingImageProblems } from "../../components/engine/localImages";
import { formatSummary } from "../../components/summary/formatSummary";
import { ReadinessDescription, RunDescription, TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { coveragePins, spyImageTag } from "../../components/engine/spyImage";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";
const COMMAND = "command:local:Command";

/** The base stack's coverage output: the fixture run, five points better. */
const BASE_OUTPUT = {
    schemaVersion: 1,
    runId: "main-run",
    totals: { statements: 30, covered: 25, missing: 5, excluded: 0, percent: 85 },
    services: {},
    files: [],
};

const engine: MockEngine = installMockEngine({
    createDelayMs: { [COMMAND]: 150 },
    exitCodes: { "failharvest-harvester": 3 },
    stackOutputs: { "organization/coverage-spy/main": { coverage: BASE_OUTPUT } },
});
const docker = fakeDockerOnPath({
    "shop:prod": '["PATH=/usr/local/bin:/usr/bin","PYTHONPATH=/app:/opt/vendor","LANG=C.UTF-8"]',
    "worker:prod": '["PATH=/usr/bin","PYTHONPATH=/opt/worker-libs"]',
    "coverage-spy/harvester:latest": '["PATH=/usr/bin"]',
    "postgres:prod": '["PATH=/usr/bin"]',
});

// Imported after the mocks are in place.
/** The run description a test-run or readiness-wait command hands its program (components/testRun/runner). */
function described(inputs: Record<string, unknown>): RunDescription & ReadinessDescription {
    return JSON.parse((inputs.environment as Record<string, string>)[TEST_RUN_VARIABLE]) as RunDescription &
        ReadinessDescription;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine
const { CoverageSpyStack } = require("../../components") as typeof import("../../components");

/** The spy image the stacks here build: the engine lacks it. */
const spyTag = spyImageTag({
    assetsDir: path.join(__dirname, "..", "..", "coverage-spy"),
    baseImage: "python:3.13-slim",
    pins: coveragePins(),
});

/** The .coveragerc a stack's spy install container writes into the spy volume (its last argument). */
function coveragercOf(stack: string): string {
    return (engine.one(CONTAINER, `${stack}-spy-install`).inputs.command as string[]).at(-1)!;
}

function envMap(envs: string[]): Record<string, string> {
    return Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

function baseArgs(reportDir: string): import("../../components").CoverageSpyStackArgs {
    return {
        services: [
            {
                name: "shop",
                image: "shop:prod",
                sourcePath: "/app",
                ports: [{ internal: 8000 }],
                readinessPath: "/healthz",
            },
            {
                name: "worker",
                image: "worker:prod",
                sourcePath: "/srv/worker",
                env: { PYTHONPATH: "/srv", MODE: "jobs" },
            },
        ],
        testCommand: "pytest tests/e2e",
        reportDir,
        runId: FIXTURE_RUN_ID,
    };
}

describe("CoverageSpyStack resource graph", () => {
    let summary: pulumi.Output<import("../../components").CoverageSummary | undefined>;
    let reportDir: string;

    beforeAll(async () => {
        reportDir = reportDirWithFixtureRun();
        const stack = new CoverageSpyStack("graph", baseArgs(reportDir));
        summary = stack.summary;
        // The summary resolves only after every resource was created.
        await valueOf(summary);
    });

    it("declares a data volume, a spy volume and one network, named after the stack", () => {
        expect(engine.ofType(VOLUME).map((v) => v.inputs.name)).toEqual([
            "coverage-spy-unit-data",
            "coverage-spy-unit-spy",
        ]);
        expect(engine.ofType(NETWORK)).toHaveLength(1);
        expect(engine.one(NETWORK).inputs.name).toBe("coverage-spy-unit-net");
    });

    it("runs each service from its image unchanged, with coverage injected by env only", () => {
        const shop = engine.one(CONTAINER, "graph-shop");
        expect(shop.inputs.image).toBe("shop:prod");
        expect(shop.inputs.command).toBeUndefined();
        expect(shop.inputs.entrypoints).toBeUndefined();
        expect(envMap(shop.inputs.envs as string[])).toEqual({
            PYTHONPATH: "/opt/coverage-spy/assets/site:/opt/coverage-spy/lib:/app:/opt/vendor",
            COVERAGE_PROCESS_START: "/opt/coverage-spy/config/coveragerc",
            COVERAGE_FILE: `/opt/coverage-spy/data/runs/${FIXTURE_RUN_ID}/shop/.coverage`,
        });
    });

    it("keeps a PYTHONPATH the user gives instead of the image's, and the user's other variables", () => {
        const worker = engine.one(CONTAINER, "graph-worker");
        expect(envMap(worker.inputs.envs as string[])).toEqual({
            PYTHONPATH: "/opt/coverage-spy/assets/site:/opt/coverage-spy/lib:/srv",
            MODE: "jobs",
            COVERAGE_PROCESS_START: "/opt/coverage-spy/config/coveragerc",
            COVERAGE_FILE: `/opt/coverage-spy/data/runs/${FIXTURE_RUN_ID}/worker/.coverage`,
        });
        // Every image was looked up in the local engine while the program ran, the spy image's too.
        expect(docker.calls()).toEqual(
            expect.arrayContaining(
                ["shop:prod", "worker:prod", spyTag].map(
                    (image) => `image inspect --format ${INSPECT_FORMAT} ${image}`,
                ),
            ),
        );
    });

    it("mounts the spy volume (assets, coverage.py, config) read-only, and the data volume read-write", () => {
        const shop = engine.one(CONTAINER, "graph-shop");
        expect(shop.inputs.mounts ?? []).toEqual([]);
        expect(shop.inputs.volumes).toEqual([
            { volumeName: "coverage-spy-unit-spy", containerPath: "/opt/coverage-spy", readOnly: true },
            { volumeName: "coverage-spy-unit-data", containerPath: "/opt/coverage-spy/data", readOnly: false },
        ]);
    });

    it("publishes ports on 127.0.0.1 only and stops gracefully under an init", () => {
        const shop = engine.one(CONTAINER, "graph-shop");
        expect(shop.inputs.ports).toEqual([{ internal: 8000, ip: "127.0.0.1" }]);
        expect(shop.inputs.init).toBe(true);
        expect(shop.inputs.stopSignal).toBe("SIGTERM");
        expect(shop.inputs.destroyGraceSeconds).toBe(30);
        expect(shop.inputs.name).toBe("coverage-spy-unit-shop");
        expect(shop.inputs.labels).toEqual(
            expect.arrayContaining([
                { label: "coverage-spy.stack", value: "unit" },
                { label: "coverage-spy.project", value: "coverage-spy" },
                { label: "coverage-spy.run-id", value: FIXTURE_RUN_ID },
            ]),
        );
    });

    it("gives the test command every service URL and re-runs it per run id", () => {
        const testRun = engine.one(COMMAND, "test-run");
        expect(testRun.inputs.environment).toEqual(
            expect.objectContaining({ COVERAGE_SPY_SHOP_URL: "http://127.0.0.1:49000" }),
        );
        expect(described(testRun.inputs).testCommand).toBe("pytest tests/e2e");
        expect((testRun.inputs.environment as Record<string, string>).COVERAGE_SPY_WORKER_URL).toBeUndefined();
        expect(testRun.inputs.triggers).toEqual([FIXTURE_RUN_ID]);
        expect(testRun.inputs.addPreviousOutputInEnv).toBe(false);
    });

    it("creates the harvester only after the test run finished", () => {
        const testRun = engine.one(COMMAND, "test-run");
        const harvester = engine.one(CONTAINER, "graph-harvester");
        expect(harvester.registeredAt).toBeGreaterThan(testRun.createdAt!);
        for (const service of [engine.one(CONTAINER, "graph-shop"), engine.one(CONTAINER, "graph-worker")]) {
            expect(testRun.registeredAt).toBeGreaterThan(service.createdAt!);
        }
        expect(harvester.inputs.attach).toBe(true);
        expect(harvester.inputs.mustRun).toBe(false);
        expect(harvester.inputs.command).toEqual(
            expect.arrayContaining([
                "harvest",
                "--lost",
                "warn",
                "--service",
                "shop=/app",
                "--service",
                "worker=/srv/worker",
            ]),
        );
        // Whose runs it prunes (only those its marker says are this stack's), and the volume it names when full.
        expect(harvester.inputs.command).toEqual(
            expect.arrayContaining([
                "--project",
                pulumi.getProject(),
                "--stack",
                "unit",
                "--volume-name",
                "coverage-spy-unit-data",
            ]),
        );
        // Root with the volume writable: it prunes old runs, whoever wrote them; the reports go to the host's user.
        expect(harvester.inputs.volumes).toEqual([
            expect.objectContaining({ containerPath: "/opt/coverage-spy", readOnly: true }),
            expect.objectContaining({ containerPath: "/opt/coverage-spy/data", readOnly: false }),
        ]);
        // The host's report folder, bind-mounted on a local engine.
        expect(harvester.inputs.mounts).toEqual([
            { type: "bind", source: reportDir, target: "/opt/coverage-spy/reports", readOnly: false },
        ]);
        expect(harvester.inputs.user).toBe("0:0");
        expect(harvester.inputs.command).toEqual(
            expect.arrayContaining(["--owner", `${process.getuid!()}:${process.getgid!()}`]),
        );
    });

    it("sets the data volume up once, not per run: the prepare container carries no run id", () => {
        const prepare = engine.one(CONTAINER, "graph-prepare");
        expect(prepare.inputs.command).toEqual([
            "python3",
            "/opt/coverage-spy/assets/harvest.py",
            "init",
            "--data-dir",
            "/opt/coverage-spy/data",
        ]);
        expect(JSON.stringify(prepare.inputs.labels)).not.toContain(FIXTURE_RUN_ID);
    });

    it("starts services only after the run folder was prepared and the config written", () => {
        const prepare = engine.one(CONTAINER, "graph-prepare");
        const install = engine.one(CONTAINER, "graph-spy-install");
        const shop = engine.one(CONTAINER, "graph-shop");
        expect(shop.registeredAt).toBeGreaterThan(prepare.createdAt!);
        expect(shop.registeredAt).toBeGreaterThan(install.createdAt!);
        expect(coveragercOf("graph")).toContain("source =\n    /app\n    /srv/worker\n");
    });

    it("exports the harvested summary, with the failed test recorded", async () => {
        const s = (await valueOf(summary))!;
        expect(s.runId).toBe(FIXTURE_RUN_ID);
        expect(s.totals).toEqual({ statements: 30, covered: 24, missing: 6, excluded: 0, percent: 80 });
        expect(s.tests).toEqual({ exitCode: 1, succeeded: false, passed: 3, failed: 1, durationMs: 1234 });
        expect(s.lostProcesses).toEqual([]);
        expect(s.services.shop).toEqual(expect.objectContaining({ dataFiles: 2, stopMs: 87, files: 3 }));
        expect(s.services.worker).toEqual(expect.objectContaining({ dataFiles: 1, stopMs: 41 }));
        expect(s.services.worker.totals.missing).toBe(4);
        const prices = s.files.filter((f) => f.path === "shop/prices.py");
        expect(prices).toEqual([
            expect.objectContaining({
                service: "shop",
                containerPath: "/app/shop/prices.py",
                missingLines: [6, 10],
                executedLines: [1, 2, 3, 4, 5, 9],
            }),
            expect.objectContaining({
                service: "worker",
                containerPath: "/srv/worker/shop/prices.py",
                missingLines: [3, 6, 10],
            }),
        ]);
        expect(s.reports.html).toBe(`${reportDir}/runs/${FIXTURE_RUN_ID}/total/html/index.html`);
    });
});

describe("CoverageSpyStack gates", () => {
    it("fails the update with an error diagnostic naming the numbers, after the summary (the outputs) resolved", async () => {
        const errors: string[] = [];
        const spy = jest.spyOn(pulumi.log, "error").mockImplementation((message: string) => {
            errors.push(message);
            return Promise.resolve();
        });
        try {
            const stack = new CoverageSpyStack("gated", {
                ...baseArgs(reportDirWithFixtureRun()),
                failUnder: 90,
                failUnderPerService: { shop: 50 },
                maxDrop: 1,
                baseStack: "main",
            });
            // The component's own applies on the summary (the gate's error among them) were registered before
            // valueOf's, and an output calls its applies in that order: they have run when this resolves.
            const s = (await valueOf(stack.summary))!;
            expect(engine.one("pulumi:pulumi:StackReference", "gated-base").inputs.name).toBe(
                "organization/coverage-spy/main",
            );
            expect(s.gate).toEqual({
                failUnder: 90,
                failUnderPerService: { shop: 50 },
                maxDrop: 1,
                baseStack: "main",
                baseRunId: "main-run",
                passed: false,
                notes: [],
                failures: [
                    "total coverage 80.00% is under failUnder 90%",
                    "total coverage dropped 5.00 points (85.00% → 80.00%), more than maxDrop 1",
                ],
            });
            expect(errors).toEqual([
                expect.stringMatching(
                    /^coverage-spy: coverage gate failed: total coverage 80\.00% is under failUnder 90%; coverage gate failed: total coverage dropped 5\.00 points/,
                ),
            ]);
        } finally {
            spy.mockRestore();
        }
    });

    it("says a failed harvest once, as an error on the component, with no summary", async () => {
        const errors: string[] = [];
        const spy = jest.spyOn(pulumi.log, "error").mockImplementation((message: string) => {
            errors.push(message);
            return Promise.resolve();
        });
        try {
            const stack = new CoverageSpyStack("failharvest", baseArgs(reportDirWithFixtureRun()));
            expect(await valueOf(stack.summary)).toBeUndefined();
            expect(errors).toEqual([
                "coverage-spy: harvesting coverage failed with exit code 3:\nsimulated failure output",
            ]);
        } finally {
            spy.mockRestore();
        }
    });

    it("fails a red suite's update by default, after saying the formatted summary", async () => {
        const said: string[] = [];
        const say = (level: string) => (message: string) => {
            said.push(`${level}: ${message}`);
            return Promise.resolve();
        };
        const info = jest.spyOn(pulumi.log, "info").mockImplementation(say("info"));
        const error = jest.spyOn(pulumi.log, "error").mockImplementation(say("error"));
        try {
            // The fixture run's suite exited 1; no failOnTestFailure given.
            const stack = new CoverageSpyStack("red", baseArgs(reportDirWithFixtureRun()));
            const s = (await valueOf(stack.summary))!;
            const text = await valueOf(stack.summaryText);
            expect(text).toBe(formatSummary(s));
            expect(text.split("\n").slice(0, 3)).toEqual([
                `coverage-spy run ${FIXTURE_RUN_ID} (coverage.py ${s.coveragePyVersion})`,
                "TOTAL  80.00%  24/30 statements, 6 missing",
                "tests  FAILED with exit code 1 (3 passed, 1 failed) in 1.2 s",
            ]);
            // (The notice that the spy image is built comes first: the mock engine has none.)
            expect(said.filter((m) => !m.includes("building the spy image"))).toEqual([
                `info: ${text}`,
                expect.stringMatching(
                    /^error: coverage-spy: the test suite failed \(exit code 1\)\. The coverage outputs and reports were written: /,
                ),
            ]);
        } finally {
            info.mockRestore();
            error.mockRestore();
        }
    });

    it("logs no error when every gate passes", async () => {
        const spy = jest.spyOn(pulumi.log, "error");
        try {
            // The fixture run's suite has a failed test: only the gates are looked at here.
            const stack = new CoverageSpyStack("passing", {
                ...baseArgs(reportDirWithFixtureRun()),
                failUnder: 80,
                failOnTestFailure: false,
            });
            expect((await valueOf(stack.summary))?.gate?.passed).toBe(true);
            expect(spy).not.toHaveBeenCalled();
        } finally {
            spy.mockRestore();
        }
    });
});

describe("CoverageSpyStack with a service it does not measure, and start order", () => {
    beforeAll(async () => {
        const args = baseArgs(reportDirWithFixtureRun());
        args.services = [
            { ...args.services[0], dependsOn: ["db"], env: { DB_PASSWORD: pulumi.secret("s3cr3t") } },
            { ...args.services[1], dependsOn: ["db", "shop"] },
            {
                name: "db",
                image: "postgres:prod",
                instrument: false,
                env: { POSTGRES_PASSWORD: "pw" },
                healthcheck: { test: ["CMD", "pg_isready"] },
            },
        ];
        await valueOf(new CoverageSpyStack("deps", args).summary);
    });

    it("runs it from its image with none of the spy: no spy variables, mounts or data volume", () => {
        const db = engine.one(CONTAINER, "deps-db");
        expect(envMap(db.inputs.envs as string[])).toEqual({ POSTGRES_PASSWORD: "pw" });
        expect(db.inputs.mounts).toEqual([]);
        expect(db.inputs.volumes).toEqual([]);
        expect(db.inputs.networksAdvanced).toEqual([{ name: "coverage-spy-unit-net", aliases: ["db"] }]);
        expect(db.inputs.labels).toEqual(
            expect.arrayContaining([
                { label: "coverage-spy.role", value: "service" },
                { label: "coverage-spy.measured", value: "false" },
            ]),
        );
        expect((db.inputs.labels as Array<{ label: string }>).map((l) => l.label)).not.toContain(
            "coverage-spy.source-path",
        );
    });

    it("harvests and configures only the measured services", () => {
        expect(engine.one(CONTAINER, "deps-harvester").inputs.command).toEqual(
            expect.arrayContaining(["--service", "shop=/app", "--service", "worker=/srv/worker"]),
        );
        expect((engine.one(CONTAINER, "deps-harvester").inputs.command as string[]).join(" ")).not.toContain("db=");
        expect(coveragercOf("deps")).toContain("source =\n    /app\n    /srv/worker\n");
    });

    it("starts a service only once those it depends on are ready, each waited for once", () => {
        const dbReady = engine.one(COMMAND, "deps-db-ready");
        const shopReady = engine.one(COMMAND, "deps-shop-ready");
        expect(engine.ofType(COMMAND).filter((c) => c.name === "deps-worker-ready")).toEqual([]);
        expect(dbReady.registeredAt).toBeGreaterThan(engine.one(CONTAINER, "deps-db").createdAt!);
        expect(engine.one(CONTAINER, "deps-shop").registeredAt).toBeGreaterThan(dbReady.createdAt!);
        expect(engine.one(CONTAINER, "deps-worker").registeredAt).toBeGreaterThan(shopReady.createdAt!);
        // The wait runs the test run's own probes, by path, for that one service.
        expect(dbReady.inputs.create).toMatch(/\/components\/testRun\/runner\/waitReadyMain\.js$/);
        expect(dbReady.inputs.interpreter).toEqual([process.execPath]);
        expect(described(dbReady.inputs).service).toEqual(
            expect.objectContaining({ name: "db", hasHealthcheck: true }),
        );
        expect(described(dbReady.inputs).service).not.toHaveProperty("sourcePath");
        expect(described(shopReady.inputs).service.url).toBe("http://127.0.0.1:49000");
    });

    it("stops a service before those it depends on, and the test run waits for every readiness wait", () => {
        const testRun = engine.one(COMMAND, "deps-test-run");
        expect(described(testRun.inputs).services.map((s) => [s.name, s.stopWave])).toEqual([
            ["shop", 1],
            ["worker", 0],
            ["db", 2],
        ]);
        expect(testRun.registeredAt).toBeGreaterThan(engine.one(COMMAND, "deps-shop-ready").createdAt!);
    });
});

describe("CoverageSpyStack with per-test contexts", () => {
    beforeAll(async () => {
        await valueOf(
            new CoverageSpyStack("ctx", { ...baseArgs(reportDirWithFixtureRun()), perTestContexts: true }).summary,
        );
    });

    it("runs the relay from the spy image on the data volume, after the volume was made ready", () => {
        const relay = engine.one(CONTAINER, "ctx-contexts");
        expect(relay.inputs.image).toBe(spyTag);
        expect(relay.inputs.name).toBe("coverage-spy-unit-contexts");
        expect(relay.inputs.command).toEqual(
            expect.arrayContaining(["/opt/coverage-spy/assets/contexts_relay.py", "--run-id", FIXTURE_RUN_ID]),
        );
        expect(relay.inputs.volumes).toEqual([
            expect.objectContaining({ containerPath: "/opt/coverage-spy", volumeName: "coverage-spy-unit-spy" }),
            expect.objectContaining({ containerPath: "/opt/coverage-spy/data", volumeName: "coverage-spy-unit-data" }),
        ]);
        expect(relay.inputs.ports).toEqual([{ internal: 7611, ip: "127.0.0.1" }]);
        expect(relay.registeredAt).toBeGreaterThan(engine.one(CONTAINER, "ctx-prepare").createdAt!);
    });

    it("hands the suite the relay's URL and the runner folder, and waits for and stops the relay with the services", () => {
        const testRun = engine.one(COMMAND, "ctx-test-run");
        const env = testRun.inputs.environment as Record<string, string>;
        expect(env.COVERAGE_SPY_CONTEXTS_URL).toBe("http://127.0.0.1:49000");
        expect(env.COVERAGE_SPY_RUNNER_DIR).toMatch(/\/coverage-spy\/runner$/);
        expect(env.PYTHONPATH.split(":").pop()).toBe(env.COVERAGE_SPY_RUNNER_DIR);
        const services = described(testRun.inputs).services;
        expect(services).toHaveLength(3);
        expect(services[2]).toEqual(
            expect.objectContaining({ name: "contexts", url: "http://127.0.0.1:49000", readinessPath: "/healthz" }),
        );
        expect(services[2]).not.toHaveProperty("sourcePath");
        expect(testRun.registeredAt).toBeGreaterThan(engine.one(CONTAINER, "ctx-contexts").createdAt!);
    });

    it("has every process switch contexts and the reports show them", () => {
        const rc = coveragercOf("ctx");
        expect(rc).toContain("contexts = true");
        expect(rc).toContain("[html]\nshow_contexts = true");
    });

    it("declares no relay and gives the suite nothing more when the option is off", () => {
        expect(engine.ofType(CONTAINER).filter((c) => c.name === "graph-contexts")).toEqual([]);
        const env = engine.one(COMMAND, "graph-test-run").inputs.environment as Record<string, string>;
        expect(env.COVERAGE_SPY_CONTEXTS_URL).toBeUndefined();
        expect(env.COVERAGE_SPY_RUNNER_DIR).toBeUndefined();
        expect(coveragercOf("graph")).toContain("contexts = false");
    });
});

describe("CoverageSpyStack with a test environment from other resources' outputs", () => {
    beforeAll(async () => {
        const testEnv = {
            API_URL: pulumi.output("http://api.internal:9000"),
            API_TOKEN: pulumi.secret("token-of-the-suite"),
            MODE: "e2e",
        };
        await valueOf(new CoverageSpyStack("outs", { ...baseArgs(reportDirWithFixtureRun()), testEnv }).summary);
    });

    it("hands the suite their values, beside its plain ones, the whole environment a secret as one of them is", () => {
        const wrapped = engine.one(COMMAND, "outs-test-run").inputs.environment as Record<string, unknown>;
        expect(wrapped[rpc.specialSigKey]).toBe(rpc.specialSecretSig);
        expect(wrapped.value).toEqual(
            expect.objectContaining({
                API_URL: "http://api.internal:9000",
                API_TOKEN: "token-of-the-suite",
                MODE: "e2e",
                COVERAGE_SPY_SHOP_URL: "http://127.0.0.1:49000",
            }),
        );
    });
});

describe("CoverageSpyStack input errors", () => {
    it("rejects bad input with a ResourceError before declaring any child", () => {
        const before = engine.resources.length;
        expect(() => new CoverageSpyStack("bad", { ...baseArgs("/tmp/x"), services: [] })).toThrow(
            /services: at least one service is required/,
        );
        expect(() => new CoverageSpyStack("bad2", { ...baseArgs("/tmp/x"), services: [] })).toThrow(
            pulumi.ResourceError,
        );
        expect(engine.resources.slice(before).filter((r) => r.type !== "coverage-spy:index:CoverageSpyStack")).toEqual(
            [],
        );
    });
});

describe("CoverageSpyStack images", () => {
    it("reports a missing image as an input error, naming the service, before declaring any child", () => {
        const before = engine.resources.length;
        const args = { ...baseArgs("/tmp/x"), spyImage: "no/spy:1" };
        args.services = [args.services[0], { name: "jobs", image: "gone:1", sourcePath: "/srv" }];
        expect(() => new CoverageSpyStack("noimage", args)).toThrow(
            [
                "invalid coverage-spy input:",
                "  - service jobs: image gone:1 is not in the local Docker engine; build or load it first, coverage-spy pulls no image (Docker says: Error: No such image: gone:1)",
                "  - spyImage: image no/spy:1 is not in the local Docker engine; build or load it first, coverage-spy pulls no image (Docker says: Error: No such image: no/spy:1)",
            ].join("\n"),
        );
        expect(engine.resources.slice(before).filter((r) => r.type !== "coverage-spy:index:CoverageSpyStack")).toEqual(
            [],
        );
    });
});

describe("a missing image's message", () => {
    it("names the engine that was asked: its address when the docker CLI is sent to one", () => {
        const found = new Map([["gone:1", { missing: "Error: No such image: gone:1" }]]);
        const needs = [{ owner: "service jobs", image: "gone:1" }];
        expect(missingImageProblems(needs, found, "tcp://engine.test:2376")).toEqual([
            "service jobs: image gone:1 is not in the Docker engine at tcp://engine.test:2376; build or load it first, coverage-spy pulls no image (Docker says: Error: No such image: gone:1)",
        ]);
        expect(missingImageProblems(needs, found)).toEqual([
            "service jobs: image gone:1 is not in the local Docker engine; build or load it first, coverage-spy pulls no image (Docker says: Error: No such image: gone:1)",
        ]);
    });
});

describe("CoverageSpyStack on a remote engine", () => {
    const remoteArgs = () => ({ ...baseArgs(reportDirWithFixtureRun()), remoteEngine: true, serviceHost: "10.9.8.7" });
    const containers = () => engine.resources.filter((r) => r.type === CONTAINER && r.name.startsWith("far-"));

    beforeAll(async () => {
        await valueOf(new CoverageSpyStack("far", remoteArgs()).summary);
    });

    it("binds no host folder into any container: the spy's files come from the spy volume, read-only", () => {
        expect(containers().map((c) => c.name)).toEqual(
            expect.arrayContaining(["far-spy-install", "far-prepare", "far-shop", "far-worker", "far-harvester"]),
        );
        for (const container of containers()) {
            const mounts = (container.inputs.mounts ?? []) as Array<{ type: string }>;
            expect(mounts.filter((m) => m.type === "bind")).toEqual([]);
        }
        for (const name of ["far-prepare", "far-shop", "far-harvester"])
            expect(engine.one(CONTAINER, name).inputs.volumes).toEqual(
                expect.arrayContaining([
                    { volumeName: "coverage-spy-unit-spy", containerPath: "/opt/coverage-spy", readOnly: true },
                ]),
            );
        expect(engine.one(VOLUME, "far-spy").inputs.name).toBe("coverage-spy-unit-spy");
    });

    it("fills the spy volume from the spy image, as on a local engine, before the run's first container", () => {
        const install = engine.one(CONTAINER, "far-spy-install");
        expect(install.inputs.image).toBe(spyTag);
        expect(install.inputs.uploads).toBeUndefined();
        const digest = (install.inputs.labels as Array<{ label: string; value: string }>).find(
            (l) => l.label === "coverage-spy.spy-digest",
        );
        expect(digest?.value).toMatch(/^[0-9a-f]{64}$/);
        // The label must not carry the run id: a warm run keeps the install and the volume as they are.
        expect(JSON.stringify(install.inputs.labels)).not.toContain(FIXTURE_RUN_ID);
        expect(engine.one(CONTAINER, "far-prepare").createdAt!).toBeGreaterThan(install.createdAt!);
    });

    it("publishes ports on every interface and hands the suite URLs on serviceHost", () => {
        expect(engine.one(CONTAINER, "far-shop").inputs.ports).toEqual([{ internal: 8000, ip: "0.0.0.0" }]);
        const env = engine.one(COMMAND, "far-test-run").inputs.environment as Record<string, string>;
        expect(env.COVERAGE_SPY_SHOP_URL).toBe("http://10.9.8.7:49000");
        expect(described({ environment: env }).runTar).toMatch(/\/engine\/run-inputs\.tar$/);
        expect(described({ environment: env }).remoteHost).toBe("10.9.8.7");
    });

    it("uploads the run's results to the harvester and copies its reports back into the run folder", () => {
        const harvester = engine.one(CONTAINER, "far-harvester");
        expect(harvester.inputs.command).toEqual(
            expect.arrayContaining(["--out", `/tmp/coverage-spy-reports/runs/${FIXTURE_RUN_ID}`, "--inputs"]),
        );
        expect(harvester.inputs.command).not.toContain("--owner");
        const copy = engine.one(COMMAND, "far-reports-copy");
        const env = copy.inputs.environment as Record<string, string>;
        expect(env.COVERAGE_SPY_FROM).toBe(`/tmp/coverage-spy-reports/runs/${FIXTURE_RUN_ID}`);
        expect(env.COVERAGE_SPY_TO).toMatch(new RegExp(`/runs/${FIXTURE_RUN_ID}$`));
        expect(copy.createdAt!).toBeGreaterThan(harvester.createdAt!);
    });
});

describe("CoverageSpyStack with a docker provider", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- after the mocks, like the component
    const dockerSdk = require("@pulumi/docker") as typeof import("@pulumi/docker");

    it("hands the provider's engine to every docker command it runs", async () => {
        const provider = new dockerSdk.Provider("tls-engine", { host: "tcp://engine.test:2376", certPath: "/certs" });
        const spy = new CoverageSpyStack(
            "prov",
            { ...baseArgs(reportDirWithFixtureRun()), remoteEngine: true, serviceHost: "engine.test" },
            { providers: [provider] },
        );
        await valueOf(spy.summary);
        const engineEnv = { DOCKER_HOST: "tcp://engine.test:2376", DOCKER_CERT_PATH: "/certs", DOCKER_TLS_VERIFY: "1" };
        for (const name of ["prov-test-run", "prov-reports-copy"])
            expect(engine.one(COMMAND, name).inputs.environment).toEqual(expect.objectContaining(engineEnv));
        // The image check asked the provider's engine.
        expect(docker.hosts()).toContain("tcp://engine.test:2376");
    });
});
