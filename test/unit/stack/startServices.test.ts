import * as pulumi from "@pulumi/pulumi";
import { installMockEngine, valueOf } from "../mockEngine";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import {
    COMMAND,
    CONTAINER,
    FakePreparation,
    declarationsSettled,
    describedBy,
    envMap,
    fakePrepared,
    labelMap,
    parentNamed,
    planOf,
    stepArgs,
} from "./stepInputs";

// A create takes a while, so that a resource declared without waiting for another registers before that one exists.
const engine = installMockEngine({
    createDelayMs: { [CONTAINER]: 60, [COMMAND]: 60 },
    imageEnv: { "built-here:1": '["PYTHONPATH=/from/the/built/image"]' },
});

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { startServices } =
    require("../../../components/stack/startServices") as typeof import("../../../components/stack/startServices");
const command = require("@pulumi/command") as typeof import("@pulumi/command");
/* eslint-enable @typescript-eslint/no-require-imports */

/** The images as the stand-in engine holds them: each with a PYTHONPATH of its own. */
const IMAGES = {
    "shop:prod": { envJson: '["PATH=/usr/bin","PYTHONPATH=/opt/shop-libs"]' },
    "worker:prod": { envJson: '["PATH=/usr/bin","PYTHONPATH=/opt/worker-libs"]' },
};

/** shop and worker wait for db (not measured, a healthcheck), worker for shop too; cache depends on nothing. */
function dependentArgs(reportDir: string) {
    const args = stepArgs(reportDir);
    args.services = [
        { ...args.services[0], dependsOn: ["db"] },
        { ...args.services[1], dependsOn: ["db", "shop"] },
        {
            name: "db",
            image: "postgres:prod",
            instrument: false,
            env: { POSTGRES_PASSWORD: "pw" },
            healthcheck: { test: ["CMD", "pg_isready"] },
        },
        { name: "cache", image: "redis:prod", instrument: false, readinessTcpPort: 6379, ports: [{ internal: 6379 }] },
    ];
    return args;
}

/** startServices of `args` under a parent named `name`, after a stand-in preparation. */
function start(name: string, args = stepArgs(tempDir()), fake: FakePreparation = {}) {
    const plan = planOf(args);
    const parent = parentNamed(name);
    const prepared = fakePrepared(parent, name, plan, { images: IMAGES, ...fake });
    return { plan, parent, prepared, started: startServices(parent, name, plan, prepared) };
}

const container = (name: string) => engine.one(CONTAINER, name);

describe("startServices' start order", () => {
    let started: ReturnType<typeof start>["started"];
    beforeAll(async () => {
        ({ started } = start("deps", dependentArgs(tempDir())));
        await declarationsSettled();
    });

    it("waits for the readiness of the services others depend on, and only for theirs", () => {
        expect([...started.readiness.keys()].sort()).toEqual(["db", "shop"]);
        expect(engine.ofType(COMMAND).filter((c) => /^deps-(worker|cache)-ready$/.test(c.name))).toEqual([]);
        const dbReady = engine.one(COMMAND, "deps-db-ready");
        // db has no URL to wait on: the wait itself waits for its container.
        expect(dbReady.registeredAt).toBeGreaterThan(container("deps-db").createdAt!);
    });

    it("starts a service once the readiness waits of those it depends on ended", () => {
        const dbReady = engine.one(COMMAND, "deps-db-ready");
        const shopReady = engine.one(COMMAND, "deps-shop-ready");
        expect(container("deps-shop").registeredAt).toBeGreaterThan(dbReady.createdAt!);
        expect(container("deps-worker").registeredAt).toBeGreaterThan(dbReady.createdAt!);
        expect(container("deps-worker").registeredAt).toBeGreaterThan(shopReady.createdAt!);
        // Declared in the start order; described to the test run in the order given.
        expect([...started.containers.keys()].indexOf("db")).toBeLessThan(
            [...started.containers.keys()].indexOf("shop"),
        );
        expect([...started.containers.keys()].sort()).toEqual(["cache", "db", "shop", "worker"]);
        expect(started.described.map((s) => s.name)).toEqual(["shop", "worker", "db", "cache"]);
    });

    it("starts every service, measured or not, after the spy is installed and the data volume prepared", () => {
        const installed = container("deps-fake-spy-install");
        const preparation = container("deps-fake-prepare");
        for (const service of ["deps-shop", "deps-worker", "deps-db", "deps-cache"]) {
            expect(container(service).registeredAt).toBeGreaterThan(installed.createdAt!);
            expect(container(service).registeredAt).toBeGreaterThan(preparation.createdAt!);
        }
    });

    it("hands each readiness wait the service as the test run sees it", () => {
        expect(describedBy(engine.one(COMMAND, "deps-db-ready").inputs).service).toEqual(
            expect.objectContaining({ name: "db", containerName: "coverage-spy-unit-db", hasHealthcheck: true }),
        );
        expect(describedBy(engine.one(COMMAND, "deps-shop-ready").inputs).service.url).toBe("http://127.0.0.1:49000");
    });
});

describe("startServices' URLs", () => {
    it("gives a URL to each service with a port, at its first port published on 127.0.0.1, and none to the others", async () => {
        const args = stepArgs(tempDir());
        args.services[0].ports = [{ internal: 8000 }, { internal: 8001 }];
        const { started } = start("urls", args);
        expect(Object.keys(started.urls)).toEqual(["shop"]);
        // The mock engine publishes a container's ports on 49000, 49001...
        expect(await valueOf(started.urls.shop)).toBe("http://127.0.0.1:49000");
        expect(container("urls-shop").inputs.ports).toEqual([
            { internal: 8000, ip: "127.0.0.1" },
            { internal: 8001, ip: "127.0.0.1" },
        ]);
    });
});

describe("startServices' containers", () => {
    let plan: ReturnType<typeof start>["plan"];
    beforeAll(async () => {
        ({ plan } = start("mixed", dependentArgs(tempDir())));
        await declarationsSettled();
    });

    it("labels every service so a snapshot finds its report folder, its harvester image and its engine", () => {
        for (const service of ["mixed-shop", "mixed-db"])
            expect(labelMap(container(service).inputs.labels)).toEqual(
                expect.objectContaining({
                    "coverage-spy.project": "coverage-spy",
                    "coverage-spy.stack": "unit",
                    "coverage-spy.report-dir": plan.resolved.reportDir,
                    "coverage-spy.harvester-image": plan.spyImage.image,
                    "coverage-spy.remote-engine": "false",
                }),
            );
    });

    it("measures a service with the spy's environment on its image's PYTHONPATH, the spy and data volumes of the preparation", () => {
        const shop = container("mixed-shop");
        expect(envMap(shop.inputs.envs as string[])).toEqual({
            PYTHONPATH: "/opt/coverage-spy/assets/site:/opt/coverage-spy/lib:/opt/shop-libs",
            COVERAGE_PROCESS_START: "/opt/coverage-spy/config/coveragerc",
            COVERAGE_FILE: `/opt/coverage-spy/data/runs/${FIXTURE_RUN_ID}/shop/.coverage`,
        });
        expect(shop.inputs.volumes).toEqual([
            { volumeName: "fake-spy-volume", containerPath: "/opt/coverage-spy", readOnly: true },
            { volumeName: "fake-data-volume", containerPath: "/opt/coverage-spy/data", readOnly: false },
        ]);
        expect(shop.inputs.networksAdvanced).toEqual([{ name: "fake-network", aliases: ["shop"] }]);
    });

    it("gives a service it does not measure none of the spy: its own environment, no volume", () => {
        const db = container("mixed-db");
        expect(envMap(db.inputs.envs as string[])).toEqual({ POSTGRES_PASSWORD: "pw" });
        expect(db.inputs.volumes).toEqual([]);
        expect(db.inputs.mounts).toEqual([]);
        expect(db.inputs.networksAdvanced).toEqual([{ name: "fake-network", aliases: ["db"] }]);
    });
});

describe("startServices' image PYTHONPATH", () => {
    it("keeps the imagePythonPath given, reads an image built in the program through the engine", async () => {
        const args = stepArgs(tempDir());
        args.services = [
            { ...args.services[0], imagePythonPath: "/given/path" },
            { name: "api", image: pulumi.output("built-here:1"), sourcePath: "/api" },
        ];
        start("paths", args, { cliEnv: { DOCKER_HOST: "tcp://engine.test:2376" } });
        await declarationsSettled();
        expect(envMap(container("paths-shop").inputs.envs as string[]).PYTHONPATH).toBe(
            "/opt/coverage-spy/assets/site:/opt/coverage-spy/lib:/given/path",
        );
        expect(envMap(container("paths-api").inputs.envs as string[]).PYTHONPATH).toBe(
            "/opt/coverage-spy/assets/site:/opt/coverage-spy/lib:/from/the/built/image",
        );
        const lookup = engine.calls.find(
            (c) => (c.inputs.environment as Record<string, string>)?.COVERAGE_SPY_SERVICE === "api",
        );
        expect(lookup?.inputs.environment).toEqual(
            expect.objectContaining({ COVERAGE_SPY_IMAGE: "built-here:1", DOCKER_HOST: "tcp://engine.test:2376" }),
        );
    });

    it("starts a measured service only once the run's preparation resolved `prepared`", async () => {
        const parent = parentNamed("gate");
        // `prepared` of a preparation that ends after everything else the services wait for.
        const plan = planOf(stepArgs(tempDir()));
        const stand = fakePrepared(parent, "gate", plan, { images: IMAGES });
        const late = new command.local.Command(
            "gate-late-preparation",
            { create: "true" },
            { parent, dependsOn: [stand.preparation, ...stand.spyReady] },
        );
        startServices(parent, "gate", plan, { ...stand, prepared: late.stdout.apply(() => 0) });
        await declarationsSettled();
        const lateCreated = engine.one(COMMAND, "gate-late-preparation").createdAt!;
        expect(container("gate-shop").registeredAt).toBeGreaterThan(lateCreated);
        expect(container("gate-worker").registeredAt).toBeGreaterThan(lateCreated);
    });
});

describe("startServices on a remote engine", () => {
    beforeAll(async () => {
        const args = { ...dependentArgs(tempDir()), remoteEngine: true, serviceHost: "10.9.8.7" };
        start("far", args, { cliEnv: { DOCKER_HOST: "ssh://builder@10.9.8.7" } });
        await declarationsSettled();
    });

    it("hands the readiness waits the engine's address, where they probe the published ports", () => {
        for (const wait of ["far-db-ready", "far-shop-ready"])
            expect(describedBy(engine.one(COMMAND, wait).inputs).remoteHost).toBe("10.9.8.7");
        expect(describedBy(engine.one(COMMAND, "far-shop-ready").inputs).service.url).toBe("http://10.9.8.7:49000");
        expect(engine.one(COMMAND, "far-db-ready").inputs.environment).toEqual(
            expect.objectContaining({ DOCKER_HOST: "ssh://builder@10.9.8.7" }),
        );
        // On a local engine the waits probe where the services are.
        expect(describedBy(engine.one(COMMAND, "deps-db-ready").inputs)).not.toHaveProperty("remoteHost");
    });

    it("publishes on every interface of the engine's machine and labels the services as on a remote engine", () => {
        expect(container("far-shop").inputs.ports).toEqual([{ internal: 8000, ip: "0.0.0.0" }]);
        expect(labelMap(container("far-shop").inputs.labels)["coverage-spy.remote-engine"]).toBe("true");
    });
});
