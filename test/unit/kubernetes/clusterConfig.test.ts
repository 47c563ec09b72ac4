// The cluster chosen by the `kubernetes` option (stack config, Python, YAML), not only by a provider a TypeScript
// program passes: the provider the component makes from it, and kubectl reaching the same cluster, on Pulumi's mocks;
// the kubectl of the scripts and of the test run run for real with a kubectl stand-in.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import { nodeHolding } from "./kindNodes";

const COMMAND = "command:local:Command";
const PROVIDER = "pulumi:providers:kubernetes";

interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    provider?: string;
}
const recorded: Recorded[] = [];
let nextNodePort = 30200;

void pulumi.runtime.setMocks(
    {
        newResource: (args) => {
            const inputs = args.inputs as Record<string, unknown>;
            recorded.push({ type: args.type, name: args.name, inputs, provider: args.provider });
            const state: Record<string, unknown> = { ...inputs };
            if (args.type === "kubernetes:core/v1:Service") {
                const spec = inputs.spec as { ports: Array<Record<string, unknown>> };
                state.spec = { ...spec, ports: spec.ports.map((p) => ({ ...p, nodePort: nextNodePort++ })) };
            }
            if (args.type === COMMAND) state.stdout = "";
            return { id: `${args.name}-id`, state };
        },
        call: () => ({}),
    },
    "shop",
    "ci",
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
const { kubernetesRunEngine } =
    require("../../../components/stack/kubernetes/kubernetesRun") as typeof import("../../../components/stack/kubernetes/kubernetesRun");
const { CoverageSpyInputError } =
    require("../../../components/options/inputError") as typeof import("../../../components/options/inputError");
const { TEST_RUN_VARIABLE, readRunDescription } =
    require("../../../components/testRun/runner/description") as typeof import("../../../components/testRun/runner/description");
const { kubectlEngine } =
    require("../../../components/testRun/runner/engines/kubectl") as typeof import("../../../components/testRun/runner/engines/kubectl");
const { clusterNodeAddress, clusterNodes } =
    require("../../../components/stack/kubernetes/nodeAddress") as typeof import("../../../components/stack/kubernetes/nodeAddress");
const { readStackConfig, stackArgsFromConfig } =
    require("../../../components/programConfig") as typeof import("../../../components/programConfig");
/* eslint-enable @typescript-eslint/no-require-imports */

type Args = Parameters<typeof planRun>[0];

/** Resolves once every resource declared so far reached the mocks (the runtime's queue of engine calls ran dry). */
async function declarationsSettled(): Promise<void> {
    // The runtime's own wait before it disconnects; not in its typings (marked internal), present in every 3.x.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();
}

/** A kubeconfig with two contexts, as `kubectl config view --raw` writes one. */
const KUBECONFIG_TEXT = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: kind",
    "    cluster: { server: https://127.0.0.1:6443 }",
    "contexts:",
    "  - name: kind-coverage-spy",
    "    context: { cluster: kind, user: admin }",
    "  - name: other",
    "    context: { cluster: kind, user: admin }",
    "current-context: other",
    "users:",
    "  - name: admin",
    "    user: { token: secret-token }",
    "",
].join("\n");

function args(reportDir: string, more: Partial<Args> = {}): Args {
    return {
        services: [
            { name: "shop", image: "shop:prod", sourcePath: "/app", imagePythonPath: "", ports: [{ internal: 8000 }] },
        ],
        testCommand: "pytest",
        reportDir,
        runId: FIXTURE_RUN_ID,
        ...more,
    };
}

/** A component as a program declares one: with the given providers, or none. */
function parent(name: string, providers: pulumi.ProviderResource[] = []): pulumi.ComponentResource {
    return new pulumi.ComponentResource("test:index:Parent", name, {}, { providers });
}

function planFor(component: pulumi.ComponentResource, given: Args) {
    return planRun(given, { stack: "ci", project: "shop", projectDir: tempDir(), component });
}

function problemsOf(component: pulumi.ComponentResource, given: Args): string[] {
    try {
        planFor(component, given);
    } catch (err) {
        expect(err).toBeInstanceOf(CoverageSpyInputError);
        return (err as InstanceType<typeof CoverageSpyInputError>).problems;
    }
    throw new Error("planRun accepted the input");
}

/** Every step of a run declared under `component`, the node's address as kubectl would find it. */
async function runAll(name: string, component: pulumi.ComponentResource, given: Args) {
    const planned = planFor(component, given);
    // The node as kubectl would list it: its address, and the images loaded into it.
    const node = nodeHolding("172.18.0.3", [
        ...planned.resolved.services.flatMap((s) =>
            typeof s.image === "string" ? [`docker.io/library/${s.image}`] : [],
        ),
        `docker.io/${planned.spyImage.image}`,
    ]);
    const plan = { ...planned, engine: kubernetesRunEngine(planned.kubernetes!, planned.resolved, () => [node]) };
    const prepared = prepareRun(component, name, plan, (message) => new Error(message));
    const services = startServices(component, name, plan, prepared);
    const testRun = runSuite(component, name, plan, prepared, services);
    const harvested = harvestRun(component, name, plan, prepared, testRun);
    await new Promise<void>((resolve) => harvested.failure.apply(() => resolve()));
    return { plan };
}

function ofRun(name: string): Recorded[] {
    return recorded.filter((r) => r.name.startsWith(`${name}-`) || r.name === name);
}

function command(name: string, part: string): Recorded {
    const found = recorded.filter((r) => r.type === COMMAND && r.name === `${name}-${part}`);
    if (found.length !== 1) throw new Error(`expected one command ${name}-${part}, found ${found.length}`);
    return found[0];
}

/** A kubectl that logs its arguments and its KUBECONFIG, then fails as on a cluster that has nothing. */
function kubectlStandIn(): { bin: string; log: string } {
    const dir = tempDir();
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const log = path.join(dir, "kubectl.log");
    fs.writeFileSync(
        path.join(bin, "kubectl"),
        `#!/bin/sh\nprintf '%s | KUBECONFIG=%s\\n' "$*" "\${KUBECONFIG:-}" >> '${log}'\nexit 1\n`,
        { mode: 0o755 },
    );
    return { bin, log };
}

describe("the kubernetes option chooses the cluster", () => {
    it("runs on the cluster with the option alone, in the stack's namespace or the one it names", () => {
        expect(planFor(parent("alone"), args(tempDir(), { kubernetes: {} })).kubernetes).toEqual(
            expect.objectContaining({ namespace: "coverage-spy-shop-ci" }),
        );
        expect(planFor(parent("named"), args(tempDir(), { kubernetes: { namespace: "team-a" } })).kubernetes).toEqual(
            expect.objectContaining({ namespace: "team-a" }),
        );
    });

    it("sizes the data claim, names its StorageClass and paces the shippers as the options say; else 1Gi, the default class, 5 s", async () => {
        const claimOf = (name: string) =>
            ofRun(name).find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim")!.inputs.spec as {
                storageClassName?: string;
                resources: { requests: { storage: string } };
            };
        const intervalOf = (name: string) => {
            const shop = ofRun(name).find(
                (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === `${name}-shop`,
            )!;
            const pod = (
                shop.inputs.spec as {
                    template: {
                        spec: { initContainers: Array<{ name: string; args?: string[]; command?: string[] }> };
                    };
                }
            ).template.spec;
            const shipper = pod.initContainers.find((c) => c.name === "shipper")!;
            const line = [...(shipper.command ?? []), ...(shipper.args ?? [])];
            return line[line.indexOf("--interval") + 1];
        };
        await runAll(
            "sized",
            parent("sized"),
            args(tempDir(), { kubernetes: { dataClaimSize: "5Gi", storageClass: "fast-ssd", shipIntervalSeconds: 2 } }),
        );
        expect(claimOf("sized")).toEqual(
            expect.objectContaining({ storageClassName: "fast-ssd", resources: { requests: { storage: "5Gi" } } }),
        );
        expect(intervalOf("sized")).toBe("2");
        await runAll("defaults", parent("defaults"), args(tempDir(), { kubernetes: {} }));
        expect(claimOf("defaults").storageClassName).toBeUndefined();
        expect(claimOf("defaults").resources).toEqual({ requests: { storage: "1Gi" } });
        expect(intervalOf("defaults")).toBe("5");
    });

    it("makes its own provider from the option, a child of the component, and every Kubernetes object uses it", async () => {
        const reportDir = tempDir();
        const component = parent("own");
        await runAll(
            "own",
            component,
            args(reportDir, {
                kubernetes: { kubeconfig: KUBECONFIG_TEXT, context: "kind-coverage-spy", namespace: "team-a" },
            }),
        );
        const providers = ofRun("own").filter((r) => r.type === PROVIDER);
        expect(providers.map((p) => p.name)).toEqual(["own-cluster"]);
        expect(providers[0].inputs).toEqual(
            expect.objectContaining({
                // A secret in the state: the text holds the cluster's credentials.
                kubeconfig: expect.objectContaining({ value: KUBECONFIG_TEXT }) as unknown,
                context: "kind-coverage-spy",
                namespace: "team-a",
            }),
        );
        const objects = ofRun("own").filter((r) => r.type.startsWith("kubernetes:"));
        expect(objects.length).toBeGreaterThanOrEqual(6);
        for (const object of objects)
            expect({ object: object.name, provider: object.provider }).toEqual({
                object: object.name,
                provider: expect.stringMatching(/::own-cluster::/) as unknown,
            });
        expect(objects.map((o) => (o.inputs.metadata as { namespace?: string; name?: string }).namespace)).toEqual(
            objects.map((o) => (o.type === "kubernetes:core/v1:Namespace" ? undefined : "team-a")),
        );
    });

    it("uses the provider it was given, and no provider of its own, when it is given both", async () => {
        const given = new k8s.Provider("both-kind", { kubeconfig: "{}" });
        const kubeconfig = path.join(tempDir(), "kind.yaml");
        fs.writeFileSync(kubeconfig, KUBECONFIG_TEXT);
        const { plan } = await runAll(
            "both",
            parent("both", [given]),
            args(tempDir(), { kubernetes: { kubeconfig, context: "kind-coverage-spy" } }),
        );
        expect(ofRun("both").filter((r) => r.type === PROVIDER && r.name !== "both-kind")).toEqual([]);
        for (const object of ofRun("both").filter((r) => r.type.startsWith("kubernetes:")))
            expect(object.provider).toMatch(/::both-kind::/);
        // kubectl reaches the cluster the option names, which the provider's must be.
        expect(plan.kubernetes).toEqual(
            expect.objectContaining({ kubeconfig, context: "kind-coverage-spy", namespace: "coverage-spy-shop-ci" }),
        );
        expect(plan.kubernetes?.ownProvider).toBeUndefined();
    });

    it("leaves a Docker run as it was: no cluster, no provider, no kubeconfig written", async () => {
        const reportDir = tempDir();
        await declarationsSettled();
        const before = recorded.length;
        const plan = planFor(parent("docker"), args(reportDir));
        await declarationsSettled();
        expect(plan.kubernetes).toBeUndefined();
        expect(plan.engine.remote).toBe(false);
        expect(fs.existsSync(path.join(reportDir, "engine"))).toBe(false);
        expect(recorded.slice(before).filter((r) => r.type !== "test:index:Parent")).toEqual([]);
    });
});

describe("the kubernetes option's problems, said at preview", () => {
    it("lists every problem at once, each naming its option and the rule", () => {
        const missing = path.join(tempDir(), "no-such-kubeconfig");
        expect(
            problemsOf(
                parent("bad"),
                args(tempDir(), {
                    kubernetes: { kubeconfig: missing, context: "", namespace: "Team_A" } as Args["kubernetes"],
                }),
            ),
        ).toEqual([
            `kubernetes.kubeconfig ${missing} cannot be read (ENOENT): give the path of a kubeconfig file ` +
                "(kubectl config view --raw > FILE writes one), or the kubeconfig's text",
            "kubernetes.context must not be empty: leave it out for the kubeconfig's current context",
            'kubernetes.namespace "Team_A" is not a Kubernetes namespace name: a DNS label: lower-case letters, ' +
                'digits and "-", starting and ending with a letter or digit, at most 63 characters',
        ]);
    });

    it("refuses a claim size that is no quantity or too small, a StorageClass that is no name, a ship interval out of range", () => {
        const kubernetes = { dataClaimSize: "lots", storageClass: "Fast_SSD", shipIntervalSeconds: 0 };
        expect(problemsOf(parent("data"), args(tempDir(), { kubernetes }))).toEqual([
            "kubernetes.shipIntervalSeconds must be a whole number from 1 to 300, got 0",
            'kubernetes.dataClaimSize "lots" is not a Kubernetes quantity: give a number and a unit, e.g. "1Gi" or "500Mi"',
            'kubernetes.storageClass "Fast_SSD" is not a StorageClass name (lower-case letters, digits, "-" and ".", ' +
                "at most 253 characters): `kubectl get storageclass` lists the cluster's",
        ]);
        for (const dataClaimSize of ["10Mi", "60M", "0.05Gi"])
            expect(
                problemsOf(parent(`small-${dataClaimSize}`), args(tempDir(), { kubernetes: { dataClaimSize } })),
            ).toEqual([
                `kubernetes.dataClaimSize "${dataClaimSize}" is too small to hold a run's data: give at least "64Mi"`,
            ]);
        for (const dataClaimSize of ["64Mi", "1.5Gi", "2G", "1Ti"])
            expect(
                planFor(parent(`size-${dataClaimSize}`), args(tempDir(), { kubernetes: { dataClaimSize } })).kubernetes,
            ).toEqual(expect.objectContaining({ dataClaimSize }));
    });

    it("refuses the cluster's own namespaces, which destroy would delete", () => {
        for (const namespace of ["default", "kube-system", "kube-public", "kube-node-lease"])
            expect(problemsOf(parent(`ns-${namespace}`), args(tempDir(), { kubernetes: { namespace } }))).toEqual([
                `kubernetes.namespace "${namespace}" is one of the cluster's own namespaces, and the stack creates its ` +
                    "namespace and deletes it, with everything in it, on destroy: name a namespace of the stack's own, " +
                    "or leave it out for coverage-spy-<project>-<stack>",
            ]);
    });

    it("refuses a context the kubeconfig lacks, a text that is no kubeconfig, a relative path, unknown keys", () => {
        expect(
            problemsOf(
                parent("context"),
                args(tempDir(), { kubernetes: { kubeconfig: KUBECONFIG_TEXT, context: "prod" } }),
            ),
        ).toEqual([
            'kubernetes.context "prod" is not a context of kubernetes.kubeconfig (its contexts: kind-coverage-spy, ' +
                "other): name one of them",
        ]);
        expect(
            problemsOf(parent("text"), args(tempDir(), { kubernetes: { kubeconfig: "apiVersion: v1\nkind: [\n" } })),
        ).toEqual([expect.stringMatching(/^kubernetes\.kubeconfig: the text is no kubeconfig: it is not YAML/)]);
        expect(
            problemsOf(
                parent("relative"),
                args(tempDir(), { kubernetes: { kubeconfig: "kube/config", cluster: "x" } as Args["kubernetes"] }),
            ),
        ).toEqual([
            'kubernetes: unknown option "cluster" (known: kubeconfig, context, namespace, dataClaimSize, ' +
                "storageClass, shipIntervalSeconds)",
            expect.stringMatching(/^kubernetes\.kubeconfig must be an absolute path .* got "kube\/config"$/),
        ]);
        expect(problemsOf(parent("shape"), args(tempDir(), { kubernetes: "kind" as Args["kubernetes"] }))).toEqual([
            'kubernetes must be an object (option: value), got a string "kind"',
        ]);
    });

    it("declares nothing for a refused run", async () => {
        await declarationsSettled();
        const before = recorded.length;
        problemsOf(parent("nothing"), args(tempDir(), { kubernetes: { namespace: "-x" } }));
        await declarationsSettled();
        expect(recorded.slice(before).filter((r) => r.type !== "test:index:Parent")).toEqual([]);
    });
});

describe("kubectl reaches the same cluster as the provider", () => {
    it("writes a kubeconfig given as text to a file only its owner reads, which KUBECONFIG then names", async () => {
        const reportDir = tempDir();
        // An older file, readable by all, is replaced and made private.
        fs.mkdirSync(path.join(reportDir, "engine"));
        fs.writeFileSync(path.join(reportDir, "engine", "kubeconfig"), "old", { mode: 0o644 });
        const { plan } = await runAll(
            "text",
            parent("text"),
            args(reportDir, { kubernetes: { kubeconfig: KUBECONFIG_TEXT, context: "kind-coverage-spy" } }),
        );
        const file = plan.kubernetes?.kubeconfig ?? "";
        expect(file.startsWith(reportDir)).toBe(true);
        expect(fs.readFileSync(file, "utf8")).toBe(KUBECONFIG_TEXT);
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        // Every command and the test run's kubectl read it; no command carries the text.
        for (const part of ["harvest", "shop-previous-pods-gone"]) {
            const env = command("text", part).inputs.environment as Record<string, string>;
            expect(env.KUBECONFIG).toBe(file);
            expect(JSON.stringify(command("text", part).inputs)).not.toContain("secret-token");
        }
        const run = command("text", "test-run").inputs.environment as Record<string, string>;
        expect(readRunDescription(run[TEST_RUN_VARIABLE]).engine).toEqual(
            expect.objectContaining({ kind: "kubectl", kubeconfig: file, context: "kind-coverage-spy" }),
        );
        expect(run[TEST_RUN_VARIABLE]).not.toContain("secret-token");
    });

    it("gives --context to every kubectl of the run's scripts, run by a real shell", async () => {
        await runAll("ctx", parent("ctx"), args(tempDir(), { kubernetes: { context: "kind-coverage-spy" } }));
        const gone = command("ctx", "shop-previous-pods-gone");
        const { bin, log } = kubectlStandIn();
        // The stand-in answers every call with a failure, which ends the script at its first call.
        const ran = childProcess.spawnSync("/bin/sh", ["-c", gone.inputs.create as string], {
            env: {
                ...process.env,
                ...(gone.inputs.environment as Record<string, string>),
                PATH: `${bin}:/usr/bin:/bin`,
            },
            stdio: "pipe",
        });
        expect(ran.status).not.toBe(0);
        expect(fs.readFileSync(log, "utf8").trim().split("\n")).toEqual([
            expect.stringMatching(/^--context kind-coverage-spy --namespace coverage-spy-shop-ci get pods /),
        ]);
    });

    it("asks the node address of the cluster the context and the kubeconfig (several files too) name", () => {
        const { bin, log } = kubectlStandIn();
        // This one answers with a node, as `kubectl get nodes -o json` does.
        fs.writeFileSync(
            path.join(bin, "kubectl"),
            `#!/bin/sh\nprintf '%s | KUBECONFIG=%s\\n' "$*" "\${KUBECONFIG:-}" >> '${log}'\n` +
                `echo '{"items":[{"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.7"}]}}]}'\n`,
        );
        const several = ["/home/me/.kube/config", "/home/me/.kube/kind"].join(path.delimiter);
        const savedPath = process.env.PATH;
        process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ""}`;
        try {
            expect(clusterNodeAddress(clusterNodes({ kubeconfig: several, context: "kind-coverage-spy" }))).toBe(
                "10.0.0.7",
            );
        } finally {
            process.env.PATH = savedPath;
        }
        expect(fs.readFileSync(log, "utf8").trim()).toBe(
            `--context kind-coverage-spy get nodes -o json | KUBECONFIG=${several}`,
        );
    });

    it("gives the test run's kubectl the context, and the kubeconfig as KUBECONFIG, several files too", async () => {
        const { bin, log } = kubectlStandIn();
        const several = ["/home/me/.kube/config", "/home/me/.kube/kind"].join(path.delimiter);
        const engine = kubectlEngine(
            { kind: "kubectl", kubeconfig: several, context: "kind-coverage-spy", namespace: "team-a" },
            bin,
        );
        await engine.check();
        expect(await engine.running({ ...serviceDescription(), deployment: "shop" })).toBe(false);
        expect(fs.readFileSync(log, "utf8").trim()).toBe(
            `--context kind-coverage-spy --namespace team-a get deployment shop -o json | KUBECONFIG=${several}`,
        );
    });

    it("accepts a KUBECONFIG of several files in the run's description, and passes it on from this machine", async () => {
        const several = ["/home/me/.kube/config", "/home/me/.kube/kind"].join(path.delimiter);
        const saved = process.env.KUBECONFIG;
        process.env.KUBECONFIG = several;
        try {
            await runAll(
                "multi",
                parent("multi", [new k8s.Provider("multi-kind", { kubeconfig: "{}" })]),
                args(tempDir()),
            );
        } finally {
            if (saved === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = saved;
        }
        const run = command("multi", "test-run").inputs.environment as Record<string, string>;
        expect(readRunDescription(run[TEST_RUN_VARIABLE]).engine).toEqual({
            kind: "kubectl",
            kubeconfig: several,
            namespace: "coverage-spy-shop-ci",
        });
        expect((command("multi", "harvest").inputs.environment as Record<string, string>).KUBECONFIG).toBe(several);
        const relative = JSON.parse(run[TEST_RUN_VARIABLE]) as { engine: Record<string, unknown> };
        relative.engine.kubeconfig = ["/home/me/.kube/config", "kube/kind"].join(path.delimiter);
        expect(() => readRunDescription(JSON.stringify(relative))).toThrow(
            `engine.kubeconfig must be absolute paths joined by "${path.delimiter}" (KUBECONFIG's list), got "kube/kind"`,
        );
    });
});

describe("the kubernetes option in stack config", () => {
    it("is the key <project>:kubernetes, read as an object", () => {
        const group = { kubeconfig: "kube/config", context: "kind-coverage-spy", namespace: "team-a" };
        pulumi.runtime.setAllConfig({ "shop:kubernetes": JSON.stringify(group) }, []);
        try {
            expect(readStackConfig("shop").kubernetes).toEqual(group);
        } finally {
            pulumi.runtime.setAllConfig({}, []);
        }
    });

    it("makes a kubeconfig path relative to the project folder absolute, and keeps a kubeconfig's text", () => {
        const projectDir = tempDir();
        expect(stackArgsFromConfig({ kubernetes: { kubeconfig: "kube/config", context: "c" } }, projectDir)).toEqual({
            kubernetes: { kubeconfig: path.join(projectDir, "kube", "config"), context: "c" },
        });
        expect(stackArgsFromConfig({ kubernetes: { kubeconfig: KUBECONFIG_TEXT } }, projectDir)).toEqual({
            kubernetes: { kubeconfig: KUBECONFIG_TEXT },
        });
    });
});

function serviceDescription() {
    return {
        name: "shop",
        containerName: "shop",
        readinessPath: "/",
        readinessTimeoutSeconds: 30,
        hasHealthcheck: false,
        stopGraceSeconds: 10,
        stopWave: 0,
    };
}
