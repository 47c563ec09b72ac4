import * as fs from "fs";
import * as path from "path";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { Service } from "../../../components/options/args";
import { installMockEngine, valueOf } from "../mockEngine";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import { PARENT, declarationsSettled, parentNamed } from "../stack/stepInputs";
import {
    DEPLOYMENT,
    SECRET,
    SERVICE,
    appEnvironment,
    containerNamed,
    deploymentOf,
    inputsOf,
    parsedBy,
    podSpecOf,
    resolvedServices,
    runShellCommand,
    withOption,
} from "./kubernetesInputs";

const engine = installMockEngine();

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { createServiceWorkload } =
    require("../../../components/engine/kubernetes/serviceWorkload") as typeof import("../../../components/engine/kubernetes/serviceWorkload");
const { stackLabels } =
    require("../../../components/engine/kubernetes/names") as typeof import("../../../components/engine/kubernetes/names");
const { serviceEnvironment } =
    require("../../../components/service/serviceContainer") as typeof import("../../../components/service/serviceContainer");
/* eslint-enable @typescript-eslint/no-require-imports */
type WorkloadInput = import("../../../components/engine/kubernetes/serviceWorkload").ServiceWorkloadInput;

const NS = "coverage-spy-shop-dev";
const LABELS = stackLabels("shop", "dev");
const SPY_IMAGE = "coverage-spy/spy:abc";
const COLLECTOR_URL = `http://coverage-spy-collector.${NS}.svc:8080`;
const REPO_HARVEST = path.join(__dirname, "..", "..", "..", "coverage-spy", "harvest.py");

const SERVICES: Service[] = [
    {
        name: "shop",
        image: "shop:prod",
        sourcePath: "/app",
        ports: [{ internal: 8000, external: 18000 }],
        readinessPath: "/healthz",
        readinessTimeoutSeconds: 45,
        stopGraceSeconds: 20,
        env: { MODE: "web" },
        imagePythonPath: "/app",
        user: "1000:1001",
    },
    { name: "worker", image: "worker:prod", sourcePath: "/srv/worker", command: ["python3", "-m", "worker"] },
    { name: "db", image: "postgres:prod", instrument: false, env: { POSTGRES_PASSWORD: "pw" }, readinessTcpPort: 5432 },
    {
        name: "cache",
        image: "redis:prod",
        instrument: false,
        healthcheck: { test: ["CMD-SHELL", "redis-cli ping | grep PONG"] },
        ports: [{ internal: 6379 }],
    },
];
const resolved = resolvedServices(SERVICES);
const byName = (name: string) => resolved.find((s) => s.name === name)!;

/** The workload of a service as the steps would declare it: measured ones with the spy, under `parent`. */
function declare(parent: pulumi.Resource, name: string, more: Partial<WorkloadInput> = {}, prefix = "wl") {
    const service = byName(name);
    const measured = service.instrument
        ? { spyImage: SPY_IMAGE, coveragercConfigMap: "coverage-spy-coveragerc", collectorUrl: COLLECTOR_URL }
        : undefined;
    return createServiceWorkload(
        prefix,
        {
            namespace: NS,
            labels: LABELS,
            service,
            runId: FIXTURE_RUN_ID,
            replicas: 2,
            imagePullPolicy: "Never",
            env: serviceEnvironment(service, measured && { runId: FIXTURE_RUN_ID, imagePythonPath: "/from/image" }),
            measured: measured && { ...measured, shipIntervalSeconds: 5 },
            ...more,
        },
        { parent },
    );
}

const parent = parentNamed("wl");
const shop = declare(parent, "shop");
declare(parent, "worker");
declare(parent, "db");
declare(parent, "cache", { imagePullPolicy: "IfNotPresent", replicas: 1 });

const pod = (name: string) => podSpecOf(engine.one(DEPLOYMENT, `wl-${name}`));
type ServiceArgs = { metadata: k8s.types.output.meta.v1.ObjectMeta; spec: k8s.types.output.core.v1.ServiceSpec };
const serviceOf = (name: string) => inputsOf<ServiceArgs>(engine.one(SERVICE, `wl-${name}`));

beforeAll(declarationsSettled);

/** The shipper's postStart hook: the spy's install. */
function installCommand(): string[] {
    return containerNamed(pod("shop"), "shipper").lifecycle?.postStart?.exec?.command ?? [];
}

describe("a measured service's Deployment", () => {
    it("is a child of the component, named as the service, in the namespace, with the replicas asked", async () => {
        const { metadata, spec } = deploymentOf(engine.one(DEPLOYMENT, "wl-shop"));
        expect([metadata.name, metadata.namespace, spec.replicas]).toEqual(["shop", NS, 2]);
        expect(await valueOf(shop.deployment.urn)).toContain(`${PARENT}$${DEPLOYMENT}::wl-shop`);
    });

    it("selects its pods by stack and service only (a selector never changes), and labels them with the run", () => {
        const { spec, metadata } = deploymentOf(engine.one(DEPLOYMENT, "wl-shop"));
        const selector = { ...LABELS, "coverage-spy.service": "shop" };
        expect(spec.selector.matchLabels).toEqual(selector);
        expect(metadata.labels).toEqual({ ...selector, "coverage-spy.measured": "true" });
        expect(spec.template.metadata.labels).toEqual({
            ...selector,
            "coverage-spy.role": "service",
            "coverage-spy.measured": "true",
            "coverage-spy.run-id": FIXTURE_RUN_ID,
        });
    });

    it("spreads its pods over the nodes, counting only this revision's pods and only untainted nodes", () => {
        expect(pod("shop").topologySpreadConstraints).toEqual([
            {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "DoNotSchedule",
                labelSelector: { matchLabels: { ...LABELS, "coverage-spy.service": "shop" } },
                matchLabelKeys: ["pod-template-hash"],
                nodeTaintsPolicy: "Honor",
            },
        ]);
    });

    it("gives the pod the app's stop, then the shipper's final timeout, then a margin, as its grace period", () => {
        // stopGraceSeconds 20 + the shipper's --final-timeout 20 + 5; the default stopGraceSeconds is 30.
        expect(pod("shop").terminationGracePeriodSeconds).toBe(45);
        expect(pod("worker").terminationGracePeriodSeconds).toBe(55);
        const finalTimeout = containerNamed(pod("shop"), "shipper").command;
        expect(finalTimeout[finalTimeout.indexOf("--final-timeout") + 1]).toBe("20");
    });

    it("runs the shipper as a native sidecar whose start installs the spy, before the app starts", () => {
        const { initContainers } = pod("shop");
        expect(initContainers.map((c) => [c.name, c.image, c.restartPolicy])).toEqual([
            ["shipper", SPY_IMAGE, "Always"],
        ]);
        // The kubelet starts the app once the sidecar started, its postStart hook returned included.
        expect(installCommand().slice(0, 2)).toEqual(["sh", "-c"]);
        expect(pod("shop").volumes).toEqual([
            { name: "spy", emptyDir: {} },
            { name: "coverage-data", emptyDir: {} },
            { name: "coveragerc", configMap: { name: "coverage-spy-coveragerc" } },
        ]);
    });

    it("runs the app's unchanged image with the user's environment and the spy's three variables", () => {
        const app = containerNamed(pod("shop"), "shop");
        expect([app.image, app.imagePullPolicy]).toEqual(["shop:prod", "Never"]);
        // From the service's Secret, so no value is in the Deployment.
        expect(appEnvironment(app, engine.one(SECRET, "wl-shop-env"))).toEqual({
            MODE: "web",
            // The image's own PYTHONPATH kept after the spy's folders.
            PYTHONPATH: "/opt/coverage-spy/assets/site:/opt/coverage-spy/lib:/from/image",
            COVERAGE_PROCESS_START: "/opt/coverage-spy/config/coveragerc",
            COVERAGE_FILE: `/opt/coverage-spy/data/runs/${FIXTURE_RUN_ID}/shop/.coverage`,
        });
        expect(
            inputsOf<{ metadata: { namespace: string } }>(engine.one(SECRET, "wl-shop-env")).metadata.namespace,
        ).toBe(NS);
        expect(app.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 1001 });
        expect(containerNamed(pod("worker"), "worker").args).toEqual(["python3", "-m", "worker"]);
    });

    it("keeps the run's data file out of the Secret, in the Deployment: a new run leaves the Secret as it was", () => {
        const app = containerNamed(pod("shop"), "shop");
        expect(app.env).toEqual([
            { name: "COVERAGE_FILE", value: `/opt/coverage-spy/data/runs/${FIXTURE_RUN_ID}/shop/.coverage` },
        ]);
        const secret = engine.one(SECRET, "wl-shop-env").inputs as { data: { value: Record<string, string> } };
        expect(Object.keys(secret.data.value).sort()).toEqual(["COVERAGE_PROCESS_START", "MODE", "PYTHONPATH"]);
        expect(JSON.stringify(secret.data.value)).not.toContain(Buffer.from(FIXTURE_RUN_ID).toString("base64"));
        // Each run's ReplicaSet, scaled to 0 by its stop, is removed by the next rollout.
        expect(deploymentOf(engine.one(DEPLOYMENT, "wl-shop")).spec.revisionHistoryLimit).toBe(0);
    });

    it("mounts the spy's files read-only in the app, the data folder writable; the shipper ships it read-only", () => {
        expect(containerNamed(pod("shop"), "shop").volumeMounts).toEqual([
            { name: "spy", mountPath: "/opt/coverage-spy", readOnly: true },
            { name: "coverage-data", mountPath: "/opt/coverage-spy/data" },
        ]);
        // The shipper reads the data where the app writes it; its install hook writes on its own paths.
        expect(containerNamed(pod("shop"), "shipper").volumeMounts).toEqual([
            { name: "coverage-data", mountPath: "/opt/coverage-spy/data", readOnly: true },
            { name: "spy", mountPath: "/mnt/coverage-spy" },
            { name: "coverage-data", mountPath: "/mnt/coverage-data" },
            { name: "coveragerc", mountPath: "/mnt/coveragerc", readOnly: true },
        ]);
    });

    it("ships the app's data folder of this run and service to the collector, with arguments shipper.py accepts", () => {
        const [python, script, ...args] = containerNamed(pod("shop"), "shipper").command;
        expect([python, script]).toEqual(["python3", "/opt/coverage-spy/assets/kubernetes/shipper.py"]);
        // The folder it reads is the one the app's COVERAGE_FILE is in.
        expect(args[args.indexOf("--data-dir") + 1]).toBe("/opt/coverage-spy/data");
        const data = tempDir();
        expect(parsedBy("shipper", withOption(args, "--data-dir", data))).toEqual({
            collector: COLLECTOR_URL,
            data_dir: data,
            run_id: FIXTURE_RUN_ID,
            service: "shop",
            interval: 5,
            final_timeout: 20,
        });
    });

    it("is ready when its readiness path answers on its first port, and reached on a NodePort not awaited", () => {
        expect(containerNamed(pod("shop"), "shop").readinessProbe).toEqual({
            httpGet: { path: "/healthz", port: 8000 },
            periodSeconds: 1,
        });
        const service = serviceOf("shop");
        expect([service.metadata.name, service.metadata.namespace]).toEqual(["shop", NS]);
        expect(service.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
        expect(service.spec.type).toBe("NodePort");
        expect(service.spec.selector).toEqual({ ...LABELS, "coverage-spy.service": "shop" });
        // Docker's host port (external) is no node port: the cluster picks one.
        expect(service.spec.ports).toEqual([{ name: "port-8000", port: 8000, targetPort: 8000 }]);
    });

    it("has no Service and no probe when it has no port (ready once running)", () => {
        expect(engine.ofType(SERVICE).filter((s) => s.name === "wl-worker")).toEqual([]);
        expect(containerNamed(pod("worker"), "worker").readinessProbe).toBeUndefined();
    });
});

describe("the shipper's install hook, run here", () => {
    /** The install command with the pod's paths replaced by folders of this machine. */
    function install(root: string) {
        for (const dir of ["assets", "lib", "rc", "spy", "data"]) fs.mkdirSync(path.join(root, dir));
        fs.writeFileSync(path.join(root, "assets", "sitecustomize.py"), "# spy\n");
        fs.writeFileSync(path.join(root, "lib", "coverage.py"), "# lib\n");
        fs.writeFileSync(path.join(root, "rc", "coveragerc"), "[run]\nparallel = true\n");
        const args = [`${root}/spy`, `${root}/assets`, `${root}/lib`, "", `${root}/rc/coveragerc`, REPO_HARVEST];
        return () => runShellCommand(installCommand(), [...args, `${root}/data`]);
    }

    it("fills the spy folder as the Docker spy volume is filled, the rcfile from the ConfigMap, and makes runs/", () => {
        const root = tempDir();
        const run = install(root)();
        expect([run.status, run.stderr]).toEqual([0, ""]);
        expect(fs.readdirSync(path.join(root, "spy")).sort()).toEqual([
            ".installed",
            "assets",
            "config",
            "data",
            "lib",
            "reports",
        ]);
        expect(fs.readFileSync(path.join(root, "spy", "config", "coveragerc"), "utf8")).toBe(
            "[run]\nparallel = true\n",
        );
        expect(fs.readFileSync(path.join(root, "spy", "assets", "sitecustomize.py"), "utf8")).toBe("# spy\n");
        expect(fs.statSync(path.join(root, "data", "runs")).mode & 0o7777).toBe(0o1777);
    });

    it("leaves the installed files alone when it runs again (the shipper restarted, the app running on them)", () => {
        const root = tempDir();
        const again = install(root);
        expect(again().status).toBe(0);
        const installed = path.join(root, "spy", "assets", "sitecustomize.py");
        const before = fs.statSync(installed);
        const second = again();
        expect([second.status, second.stderr]).toEqual([0, ""]);
        expect(fs.statSync(installed).ino).toBe(before.ino);
    });

    it("installs whole again after an install cut short (no marker): nothing of it is left behind", () => {
        const root = tempDir();
        const run = install(root);
        fs.writeFileSync(path.join(root, "spy", "half-copied.py"), "");
        expect(run().status).toBe(0);
        expect(fs.existsSync(path.join(root, "spy", "half-copied.py"))).toBe(false);
        expect(fs.existsSync(path.join(root, "spy", ".installed"))).toBe(true);
    });

    it("passes the pod's paths as arguments, the rcfile's and the harvest script's included", () => {
        expect(installCommand().slice(3)).toEqual([
            "sh",
            "/mnt/coverage-spy",
            "/opt/coverage-spy/assets",
            "/opt/coverage-spy/lib",
            "",
            "/mnt/coveragerc/coveragerc",
            "/opt/coverage-spy/assets/harvest.py",
            "/mnt/coverage-data",
        ]);
    });
});

describe("a service that is not measured", () => {
    it("gets a plain Deployment: no spy container, volume, mount or variable; the app's grace period only", () => {
        const db = pod("db");
        expect(db.initContainers).toBeUndefined();
        expect(db.volumes).toBeUndefined();
        expect(db.containers.map((c) => c.name)).toEqual(["db"]);
        const [app] = db.containers;
        expect(app.volumeMounts).toBeUndefined();
        expect(appEnvironment(app, engine.one(SECRET, "wl-db-env"))).toEqual({ POSTGRES_PASSWORD: "pw" });
        expect(db.terminationGracePeriodSeconds).toBe(30);
        expect(deploymentOf(engine.one(DEPLOYMENT, "wl-db")).spec.template.metadata.labels).toEqual(
            expect.objectContaining({ "coverage-spy.measured": "false" }),
        );
    });

    it("is ready on its readiness TCP port, which its Service opens to the other pods", () => {
        expect(pod("db").containers[0].readinessProbe).toEqual({ tcpSocket: { port: 5432 }, periodSeconds: 1 });
        expect(serviceOf("db").spec.ports).toEqual([{ name: "port-5432", port: 5432, targetPort: 5432 }]);
    });

    it("is ready when its healthcheck passes, run in the container; the pull policy given reaches it", () => {
        const [cache] = pod("cache").containers;
        expect(cache.readinessProbe).toEqual({
            exec: { command: ["sh", "-c", "redis-cli ping | grep PONG"] },
            periodSeconds: 1,
        });
        expect(cache.imagePullPolicy).toBe("IfNotPresent");
    });
});

describe("a service the others reach by a port its image exposes", () => {
    // A database declared without ports, as a Docker stack may: on Docker's network any of its ports is reached.
    const quiet = resolvedServices([{ name: "store", image: "postgres:prod", instrument: false }])[0];
    const declared = (imagePorts?: number[]) =>
        createServiceWorkload(
            `exposed${imagePorts?.length ?? "-none"}`,
            {
                namespace: NS,
                labels: LABELS,
                service: quiet,
                runId: FIXTURE_RUN_ID,
                replicas: 1,
                imagePullPolicy: "Never",
                env: {},
                ...(imagePorts !== undefined ? { imagePorts } : {}),
            },
            { parent },
        );

    it("gets a Service on those ports, named as the service", async () => {
        expect(declared([5432]).service).toBeDefined();
        await declarationsSettled();
        const { metadata, spec } = inputsOf<ServiceArgs>(engine.one(SERVICE, "exposed1-store"));
        expect(metadata.name).toBe("store");
        expect(spec.ports).toEqual([{ name: "port-5432", port: 5432, targetPort: 5432 }]);
    });

    it("gets none when neither its options nor its image give a port", () => {
        expect(declared().service).toBeUndefined();
    });
});

describe("every service's pods", () => {
    it("get no variables for the namespace's Services, which Docker never sets and which replace the image's own", () => {
        for (const name of ["shop", "worker", "db", "cache"]) expect(pod(name).enableServiceLinks).toBe(false);
    });
});

describe("a workload's replica count", () => {
    it("is refused below 1, naming the service and the fix", () => {
        expect(() => declare(parentNamed("zero"), "shop", { replicas: 0 })).toThrow(
            "coverage-spy: service shop: replicas must be a whole number of at least 1, got 0: give 1 or more " +
                "(a run with no pod of a service measures nothing of it)",
        );
    });
});

describe("how long pulumi up waits for a service's pods", () => {
    // Legacy transformations run in the SDK itself (mocks included) and see each child's resource options.
    const seen = new Map<string, pulumi.CustomResourceOptions>();
    const { ComponentResource } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi"); // eslint-disable-line @typescript-eslint/no-require-imports
    const watched = new ComponentResource(
        PARENT,
        "timeouts",
        {},
        {
            transformations: [({ type, name, opts }) => (seen.set(`${type} ${name}`, opts), undefined)],
        },
    );
    declare(watched, "shop", {}, "timed");
    declare(watched, "db", {}, "timed");

    it("is the service's readiness timeout and the pods' start, for a first run and every later one", () => {
        expect(seen.get(`${DEPLOYMENT} timed-shop`)?.customTimeouts).toEqual({ create: "345s", update: "345s" });
        expect(byName("db").readinessTimeoutSeconds).toBe(60);
        expect(seen.get(`${DEPLOYMENT} timed-db`)?.customTimeouts).toEqual({ create: "360s", update: "360s" });
    });

    it("leaves the Service's options as given (its await is skipped)", () => {
        expect(seen.has(`${SERVICE} timed-shop`)).toBe(true);
        expect(seen.get(`${SERVICE} timed-shop`)?.customTimeouts).toBeUndefined();
    });
});
