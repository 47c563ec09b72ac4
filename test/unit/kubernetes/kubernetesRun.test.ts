// The component's steps on a Kubernetes cluster (components/stack/kubernetes/): what each step declares through the
// run's engine, on Pulumi's mocks; the cluster's NodePorts given by the mocks as the API server would.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import { nodeHolding } from "./kindNodes";
import {
    CLAIM,
    CONFIG_MAP,
    DEPLOYMENT,
    NAMESPACE,
    SECRET,
    SERVICE,
    appEnvironment,
    containerNamed,
    podSpecOf,
} from "./kubernetesInputs";

const COMMAND = "command:local:Command";
/** A create takes a while, so that what is declared before another exists is seen to wait for it. */
const SLOW_TYPES = new Set([DEPLOYMENT, COMMAND]);

interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    registeredAt: number;
    createdAt?: number;
}
const recorded: Recorded[] = [];
let clock = 0;
let nextNodePort = 30100;

void pulumi.runtime.setMocks(
    {
        newResource: async (args) => {
            // The engine's inputs are untyped: each is read below as what the resource type takes.
            const inputs = args.inputs as Record<string, unknown>;
            const record: Recorded = { type: args.type, name: args.name, inputs, registeredAt: clock++ };
            recorded.push(record);
            if (SLOW_TYPES.has(args.type)) await new Promise((r) => setTimeout(r, 40));
            record.createdAt = clock++;
            const state: Record<string, unknown> = { ...inputs };
            if (args.type === SERVICE) {
                // The API server gives each port of a NodePort Service its node port.
                const spec = inputs.spec as { ports: Array<Record<string, unknown>> };
                state.spec = { ...spec, ports: spec.ports.map((p) => ({ ...p, nodePort: nextNodePort++ })) };
            }
            if (args.type === COMMAND) state.stdout = "";
            return { id: `${args.name}-id`, state };
        },
        call: () => ({}),
    },
    "coverage-spy",
    "unit",
    false,
    "organization",
);

/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above setMocks */
const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
const { planRun } = require("../../../components/stack/planRun") as typeof import("../../../components/stack/planRun");
const { prepareRun } =
    require("../../../components/stack/prepareRun") as typeof import("../../../components/stack/prepareRun");
const { startServices } =
    require("../../../components/stack/startServices") as typeof import("../../../components/stack/startServices");
const { runSuite } =
    require("../../../components/stack/runSuite") as typeof import("../../../components/stack/runSuite");
const { harvestRun } =
    require("../../../components/stack/harvestRun") as typeof import("../../../components/stack/harvestRun");
const { kubernetesRunEngine, SERVICE_REPLICAS } =
    require("../../../components/stack/kubernetes/kubernetesRun") as typeof import("../../../components/stack/kubernetes/kubernetesRun");
const { TEST_RUN_VARIABLE } =
    require("../../../components/testRun/runner/description") as typeof import("../../../components/testRun/runner/description");
/* eslint-enable @typescript-eslint/no-require-imports */

const NODE_ADDRESS = "172.18.0.3";

function one(type: string, namePart: string): Recorded {
    const found = recorded.filter((r) => r.type === type && r.name.includes(namePart));
    if (found.length !== 1) throw new Error(`expected one ${type} named *${namePart}*, found ${found.length}`);
    return found[0];
}

/** A stack of three services on a cluster: shop (measured, a port, depends on db), worker (measured), db (plain). */
function runOnCluster(name: string) {
    const reportDir = tempDir();
    const provider = new k8s.Provider(`${name}-kind`, { kubeconfig: "{}" });
    const parent = new pulumi.ComponentResource("test:index:Parent", name, {}, { providers: [provider] });
    const planned = planRun(
        {
            services: [
                {
                    name: "shop",
                    image: "shop:prod",
                    sourcePath: "/app",
                    imagePythonPath: "/app",
                    ports: [{ internal: 8000 }],
                    dependsOn: ["db"],
                },
                { name: "worker", image: "worker:prod", sourcePath: "/srv/worker", imagePythonPath: "" },
                { name: "db", image: "postgres:16", instrument: false, ports: [{ internal: 5432 }] },
            ],
            testCommand: "pytest tests/e2e",
            reportDir,
            runId: FIXTURE_RUN_ID,
        },
        { stack: "ci", project: "shop", projectDir: reportDir, component: parent },
    );
    // The node as kubectl would list it: its address, and the images loaded into it.
    const node = nodeHolding(NODE_ADDRESS, [
        ...["shop:prod", "worker:prod", "postgres:16"].map((i) => `docker.io/library/${i}`),
        `docker.io/${planned.spyImage.image}`,
    ]);
    const plan = { ...planned, engine: kubernetesRunEngine(planned.kubernetes!, planned.resolved, () => [node]) };
    const inputError = (message: string) => new Error(message);
    const prepared = prepareRun(parent, name, plan, inputError);
    const services = startServices(parent, name, plan, prepared);
    const testRun = runSuite(parent, name, plan, prepared, services);
    const harvested = harvestRun(parent, name, plan, prepared, testRun);
    return { plan, prepared, services, testRun, harvested, reportDir };
}

type Made = ReturnType<typeof runOnCluster>;

describe("a run on a Kubernetes cluster, step by step", () => {
    let made: Made;
    let urls: Record<string, string>;
    beforeAll(async () => {
        made = runOnCluster("kube");
        await new Promise<void>((resolve) => made.harvested.failure.apply(() => resolve()));
        urls = Object.fromEntries(
            await Promise.all(
                Object.entries(made.services.urls).map(
                    async ([s, url]) => [s, await new Promise<string>((r) => url.apply(r))] as const,
                ),
            ),
        );
    });

    it("prepares the stack's namespace, data claim, collector and rcfile, and no Docker object", () => {
        expect((one(NAMESPACE, "kube").inputs.metadata as { name: string }).name).toBe("coverage-spy-shop-ci");
        one(CLAIM, "kube");
        one(CONFIG_MAP, "kube");
        expect(recorded.filter((r) => r.type === DEPLOYMENT && r.name.includes("collector"))).toHaveLength(1);
        expect(recorded.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
    });

    it("starts each service as a Deployment of its unchanged image, measured ones with the spy, spread over nodes", () => {
        const shop = podSpecOf(one(DEPLOYMENT, "kube-shop"));
        expect(containerNamed(shop, "shop").image).toBe("shop:prod");
        expect(appEnvironment(containerNamed(shop, "shop"), one(SECRET, "kube-shop-env"))).toEqual(
            expect.objectContaining({ COVERAGE_FILE: expect.stringContaining(FIXTURE_RUN_ID) as unknown }),
        );
        expect((shop.initContainers ?? []).map((c) => c.name)).toEqual(["shipper"]);
        const db = podSpecOf(one(DEPLOYMENT, "kube-db"));
        expect(db.initContainers ?? []).toEqual([]);
        expect(appEnvironment(containerNamed(db, "db"), one(SECRET, "kube-db-env")).COVERAGE_FILE).toBeUndefined();
        const replicas = (name: string) => (one(DEPLOYMENT, name).inputs.spec as { replicas: number }).replicas;
        expect(replicas("kube-shop")).toBe(SERVICE_REPLICAS);
        // A service it needs runs alone (two databases behind one Service would be two separate stores).
        expect(replicas("kube-db")).toBe(1);
    });

    it("starts a service once those it depends on are ready, and measured ones once the collector is", () => {
        const shop = one(DEPLOYMENT, "kube-shop");
        expect(shop.registeredAt).toBeGreaterThan(one(DEPLOYMENT, "kube-db").createdAt!);
        expect(shop.registeredAt).toBeGreaterThan(one(DEPLOYMENT, "collector").createdAt!);
    });

    it("starts a service's new pods only once every pod of its previous run is gone (a killed run leaves them)", () => {
        for (const service of ["shop", "worker", "db"]) {
            const gone = one(COMMAND, `kube-${service}-previous-pods-gone`);
            expect(one(DEPLOYMENT, `kube-${service}`).registeredAt).toBeGreaterThan(gone.createdAt!);
            expect(gone.inputs.environment).toEqual(
                expect.objectContaining({
                    COVERAGE_SPY_NAMESPACE: "coverage-spy-shop-ci",
                    COVERAGE_SPY_DEPLOYMENT: service,
                    COVERAGE_SPY_SELECTOR: `coverage-spy.project=shop,coverage-spy.stack=ci,coverage-spy.service=${service}`,
                }),
            );
            expect(gone.inputs.triggers).toEqual([FIXTURE_RUN_ID]);
        }
    });

    it("gives the suite each service's URL on a node's address and its NodePort", () => {
        const shopService = one(SERVICE, "kube-shop");
        expect((shopService.inputs.spec as { type: string }).type).toBe("NodePort");
        expect(urls.shop).toMatch(new RegExp(`^http://${NODE_ADDRESS.replace(/\./g, "\\.")}:30\\d{3}$`));
        expect(urls.db).toMatch(/^http:\/\/172\.18\.0\.3:30\d{3}$/);
        expect(urls.shop).not.toBe(urls.db);
        expect(urls.worker).toBeUndefined();
    });

    it("describes the kubectl engine and each service's Deployment to the test run, which packs a tar", () => {
        const run = one(COMMAND, "kube-test-run");
        const env = run.inputs.environment as Record<string, string>;
        const description = JSON.parse(
            env[TEST_RUN_VARIABLE],
        ) as import("../../../components/testRun/runner/description").RunDescription;
        expect(description.engine).toEqual(
            expect.objectContaining({ kind: "kubectl", namespace: "coverage-spy-shop-ci" }),
        );
        expect(description.services.map((s) => [s.name, s.deployment, s.containerName])).toEqual([
            ["shop", "shop", "shop"],
            ["worker", "worker", "worker"],
            ["db", "db", "db"],
        ]);
        expect(description.services[0].url).toBe(urls.shop);
        expect(description.runTar).toBe(`${made.reportDir}/engine/run-inputs.tar`);
        expect(env.COVERAGE_SPY_SHOP_URL).toBe(urls.shop);
        expect(run.registeredAt).toBeGreaterThan(one(DEPLOYMENT, "kube-worker").createdAt!);
    });

    it("harvests in the collector after the test run: the results in, the harvester's arguments, the reports home", () => {
        const harvest = one(COMMAND, "kube-harvest");
        expect(harvest.registeredAt).toBeGreaterThan(one(COMMAND, "kube-test-run").createdAt!);
        expect(harvest.registeredAt).toBeGreaterThan(one(DEPLOYMENT, "kube-collector").createdAt!);
        expect(recorded.filter((r) => r.type === "kubernetes:batch/v1:Job")).toEqual([]);
        const env = harvest.inputs.environment as Record<string, string>;
        expect(env).toEqual(
            expect.objectContaining({
                COVERAGE_SPY_NAMESPACE: "coverage-spy-shop-ci",
                COVERAGE_SPY_CLAIM_DIR: `/opt/coverage-spy/data/reports/runs/${FIXTURE_RUN_ID}`,
                COVERAGE_SPY_TAR: `${made.reportDir}/engine/run-inputs.tar`,
                COVERAGE_SPY_TO: made.plan.runDir,
            }),
        );
        const harvester = env.COVERAGE_SPY_HARVEST_COMMAND.split("\n");
        expect(harvester.slice(0, 3)).toEqual(["python3", "/opt/coverage-spy/assets/harvest.py", "harvest"]);
        // Its --out is the claim's run folder as the collector sees it at the reports mount.
        expect(harvester[harvester.indexOf("--out") + 1]).toBe(`/opt/coverage-spy/reports/runs/${FIXTURE_RUN_ID}`);
        expect(harvester[harvester.indexOf("--volume-name") + 1]).toBe("coverage-spy-data");
        expect(harvester.filter((a, i) => harvester[i - 1] === "--service")).toEqual([
            "shop=/app",
            "worker=/srv/worker",
        ]);
    });

    it("says no value to the shell it runs: every value of the harvest reaches it as a variable", () => {
        for (const part of ["kube-harvest", "kube-shop-previous-pods-gone"]) {
            const script = one(COMMAND, part).inputs.create as string;
            expect(script).not.toContain(made.reportDir);
            expect(script).not.toContain("coverage-spy-shop-ci");
            expect(script).not.toContain(FIXTURE_RUN_ID);
        }
    });

    it("exports the claim and the namespace as the stack's volume and network", async () => {
        const places = made.plan.engine.stackPlaces(made.prepared);
        expect(await new Promise((r) => places.volumeName.apply(r))).toBe("coverage-spy-data");
        expect(await new Promise((r) => places.networkName.apply(r))).toBe("coverage-spy-shop-ci");
    });
});

describe("the previous pods' script, run by a real shell with a kubectl stand-in", () => {
    function runScript(script: string, env: Record<string, string>): void {
        childProcess.execFileSync("/bin/sh", ["-c", script], { env: { ...process.env, ...env }, stdio: "pipe" });
    }

    it("scales the Deployment of pods left to 0 and waits for them to go; lists only when none is left", async () => {
        const made = runOnCluster("again");
        await new Promise<void>((resolve) => made.harvested.failure.apply(() => resolve()));
        const script = one(COMMAND, "again-shop-previous-pods-gone").inputs.create as string;
        const env = one(COMMAND, "again-shop-previous-pods-gone").inputs.environment as Record<string, string>;
        const ns = "--namespace coverage-spy-shop-ci";
        const list = `${ns} get pods --selector ${env.COVERAGE_SPY_SELECTOR} --output name`;
        const wait: unknown = expect.stringMatching(
            new RegExp(
                `^${ns} wait --for=delete pod --selector ${env.COVERAGE_SPY_SELECTOR.replace(/\./g, "\\.")} --timeout=\\d+s$`,
            ),
        );
        const cases = [
            // A killed run's pods, their Deployment there.
            {
                podsLeft: true,
                deployment: true,
                calls: [list, `${ns} get deployment shop`, `${ns} scale deployment shop --replicas=0`, wait],
            },
            // Pods of a Deployment deleted a moment ago: nothing to scale.
            { podsLeft: true, deployment: false, calls: [list, `${ns} get deployment shop`, wait] },
            // After a run that stopped its pods, and on a first run.
            { podsLeft: false, deployment: true, calls: [list] },
        ];
        for (const { podsLeft, deployment, calls } of cases) {
            const dir = tempDir();
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            // A kubectl that logs its calls; `get pods` lists a pod or none, `get deployment` finds it or not.
            fs.writeFileSync(
                path.join(bin, "kubectl"),
                `#!/bin/sh\nprintf "%s\\n" "$*" >> "$KUBECTL_LOG"\ncase "$*" in\n` +
                    `  *" get pods "*) ${podsLeft ? "echo pod/shop-1" : ":"};;\n` +
                    `  *" get deployment "*) exit ${deployment ? 0 : 1};;\nesac\n`,
                { mode: 0o755 },
            );
            const log = path.join(dir, "kubectl.log");
            runScript(script, { ...env, PATH: `${bin}:${process.env.PATH}`, KUBECTL_LOG: log });
            expect(fs.readFileSync(log, "utf8").trim().split("\n")).toEqual(calls);
        }
    });
});
