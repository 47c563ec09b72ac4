// Per-test contexts on a Kubernetes cluster: what the component's steps declare (the relay's Deployment and Service,
// the measured pods' contexts sidecars, the suite's relay URL), on Pulumi's mocks giving NodePorts as the API server
// would.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import { nodeHolding } from "./kindNodes";
import { DEPLOYMENT, SERVICE, containerNamed, podSpecOf } from "./kubernetesInputs";

const COMMAND = "command:local:Command";
/** A create takes a while, so that what is declared before another exists is seen to wait for it. */
const SLOW_TYPES = new Set([DEPLOYMENT, COMMAND]);
const NODE_ADDRESS = "172.18.0.3";

interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    registeredAt: number;
    createdAt?: number;
}
const recorded: Recorded[] = [];
let clock = 0;
let nextNodePort = 30200;

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
const k8sModule = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
const { planRun } = require("../../../components/stack/planRun") as typeof import("../../../components/stack/planRun");
const { prepareRun } =
    require("../../../components/stack/prepareRun") as typeof import("../../../components/stack/prepareRun");
const { startServices } =
    require("../../../components/stack/startServices") as typeof import("../../../components/stack/startServices");
const { runSuite } =
    require("../../../components/stack/runSuite") as typeof import("../../../components/stack/runSuite");
const { kubernetesRunEngine } =
    require("../../../components/stack/kubernetes/kubernetesRun") as typeof import("../../../components/stack/kubernetes/kubernetesRun");
const { TEST_RUN_VARIABLE } =
    require("../../../components/testRun/runner/description") as typeof import("../../../components/testRun/runner/description");
/* eslint-enable @typescript-eslint/no-require-imports */

function one(type: string, namePart: string): Recorded {
    const found = recorded.filter((r) => r.type === type && r.name.includes(namePart));
    if (found.length !== 1) throw new Error(`expected one ${type} named *${namePart}*, found ${found.length}`);
    return found[0];
}

/** The demo's shape on a cluster with per-test contexts: shop (measured, a port), worker (measured), db (plain). */
function runWithContexts(name: string) {
    const reportDir = tempDir();
    const provider = new k8sModule.Provider(`${name}-kind`, { kubeconfig: "{}" });
    const parent = new pulumi.ComponentResource("test:index:Parent", name, {}, { providers: [provider] });
    const planned = planRun(
        {
            services: [
                {
                    name: "shop",
                    image: "shop:prod",
                    sourcePath: "/app",
                    imagePythonPath: "",
                    ports: [{ internal: 80 }],
                    readinessPath: "/healthz",
                },
                { name: "worker", image: "worker:prod", sourcePath: "/srv", imagePythonPath: "" },
                { name: "db", image: "postgres:16", instrument: false, ports: [{ internal: 5432 }] },
            ],
            testCommand: "python3 -m coverage_spy_runner unittest discover -s tests",
            reportDir,
            runId: FIXTURE_RUN_ID,
            perTestContexts: true,
        },
        { stack: "ci", project: "shop", projectDir: reportDir, component: parent },
    );
    // The node as kubectl would list it: its address, and the images loaded into it.
    const node = nodeHolding(NODE_ADDRESS, [
        ...["shop:prod", "worker:prod", "postgres:16"].map((i) => `docker.io/library/${i}`),
        `docker.io/${planned.spyImage.image}`,
    ]);
    const plan = { ...planned, engine: kubernetesRunEngine(planned.kubernetes!, planned.resolved, () => [node]) };
    const prepared = prepareRun(parent, name, plan, (message) => new Error(message));
    const services = startServices(parent, name, plan, prepared);
    const testRun = runSuite(parent, name, plan, prepared, services);
    return { testRun };
}

type Container = k8s.types.output.core.v1.Container;

describe("per-test contexts on a Kubernetes cluster", () => {
    let testRunEnv: Record<string, string>;
    beforeAll(async () => {
        const { testRun } = runWithContexts("ctx");
        testRunEnv = await new Promise((resolve) =>
            testRun.environment.apply((env) => resolve((env ?? {}) as Record<string, string>)),
        );
    });

    it("runs the relay on the stack's claim, on the collector's node, with a port for the pods", () => {
        const relay = one(DEPLOYMENT, "ctx-contexts");
        expect((relay.inputs.metadata as { name: string }).name).toBe("coverage-spy-contexts");
        const pod = podSpecOf(relay);
        const container = containerNamed(pod, "contexts");
        const command = container.command ?? [];
        expect(command.slice(0, 2)).toEqual(["python3", "/opt/coverage-spy/assets/contexts_relay.py"]);
        expect(command[command.indexOf("--run-id") + 1]).toBe(FIXTURE_RUN_ID);
        expect(command[command.indexOf("--pods-port") + 1]).toBe("7612");
        expect(container.volumeMounts).toEqual([{ name: "coverage-data", mountPath: "/opt/coverage-spy/data" }]);
        expect(pod.volumes).toEqual([
            { name: "coverage-data", persistentVolumeClaim: { claimName: "coverage-spy-data" } },
        ]);
        const affinity = pod.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
        expect(affinity[0].labelSelector?.matchLabels).toEqual(
            expect.objectContaining({ "coverage-spy.role": "collector" }),
        );
        expect(container.readinessProbe?.httpGet).toEqual({ path: "/healthz", port: 7611 });
        // After the collector, which makes the claim's runs/ folder.
        expect(relay.registeredAt).toBeGreaterThan(one(DEPLOYMENT, "ctx-collector").createdAt!);
    });

    it("gives the suite the relay's URL on a node's address and its NodePort, and the relay's Deployment to stop", () => {
        const service = one(SERVICE, "ctx-contexts");
        const spec = service.inputs.spec as { type: string; ports: Array<{ port: number }> };
        expect(spec.type).toBe("NodePort");
        expect(spec.ports.map((p) => p.port)).toEqual([7611, 7612]);
        expect(testRunEnv.COVERAGE_SPY_CONTEXTS_URL).toMatch(/^http:\/\/172\.18\.0\.3:302\d\d$/);
        const description = JSON.parse(
            testRunEnv[TEST_RUN_VARIABLE],
        ) as import("../../../components/testRun/runner/description").RunDescription;
        const relay = description.services.find((s) => s.name === "contexts");
        expect(relay).toEqual(
            expect.objectContaining({
                deployment: "coverage-spy-contexts",
                containerName: "contexts",
                url: testRunEnv.COVERAGE_SPY_CONTEXTS_URL,
                readinessPath: "/healthz",
            }),
        );
        expect(one(COMMAND, "ctx-test-run").registeredAt).toBeGreaterThan(one(DEPLOYMENT, "ctx-contexts").createdAt!);
    });

    it("gives each measured pod a contexts sidecar that follows the relay and holds the app until it does", () => {
        for (const service of ["shop", "worker"]) {
            const pod = podSpecOf(one(DEPLOYMENT, `ctx-${service}`));
            expect((pod.initContainers ?? []).map((c) => c.name)).toEqual(["shipper", "contexts"]);
            const sidecar: Container = containerNamed(pod, "contexts");
            expect(sidecar.restartPolicy).toBe("Always");
            const command = sidecar.command ?? [];
            expect(command.slice(0, 2)).toEqual(["python3", "/opt/coverage-spy/assets/kubernetes/contexts_sidecar.py"]);
            expect(command[command.indexOf("--relay") + 1]).toBe("coverage-spy-contexts.coverage-spy-shop-ci.svc:7612");
            expect(command[command.indexOf("--run-id") + 1]).toBe(FIXTURE_RUN_ID);
            const ready = command[command.indexOf("--ready-file") + 1];
            expect(sidecar.startupProbe?.exec?.command).toEqual(["test", "-e", ready]);
            // Read-write: it writes the pod's .context and removes the sockets of processes that died.
            expect(sidecar.volumeMounts).toEqual([{ name: "coverage-data", mountPath: "/opt/coverage-spy/data" }]);
            expect(sidecar.securityContext?.runAsUser).toBe(0);
        }
        expect(podSpecOf(one(DEPLOYMENT, "ctx-db")).initContainers ?? []).toEqual([]);
    });

    it("checks a measured app's readiness once, at its start, as Docker does: no probe runs its code during a test", () => {
        const app: Container = containerNamed(podSpecOf(one(DEPLOYMENT, "ctx-shop")), "shop");
        expect(app.readinessProbe).toBeUndefined();
        expect(app.startupProbe?.httpGet).toEqual({ path: "/healthz", port: 80 });
        // readinessTimeoutSeconds (60 by default) at a probe every second.
        expect(app.startupProbe?.failureThreshold).toBe(61);
        // A service not measured keeps its readinessProbe.
        expect(containerNamed(podSpecOf(one(DEPLOYMENT, "ctx-db")), "db").readinessProbe).toBeDefined();
    });
});
