// What the unit tests of the Kubernetes builders (components/engine/kubernetes/) share: the resource types as the mock
// engine records them, a service resolved as the component resolves it, and readers of a recorded pod spec. Modules
// that declare resources are required inside the tests' files, after their installMockEngine.
import type * as k8s from "@pulumi/kubernetes";
import * as childProcess from "child_process";
import * as path from "path";
import { Service } from "../../../components/options/args";
import { ResolvedService, resolveArgs } from "../../../components/options/resolveArgs";
import { Registered } from "../mockEngine";

export const NAMESPACE = "kubernetes:core/v1:Namespace";
export const CLAIM = "kubernetes:core/v1:PersistentVolumeClaim";
export const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
export const SERVICE = "kubernetes:core/v1:Service";
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const JOB = "kubernetes:batch/v1:Job";
export const SECRET = "kubernetes:core/v1:Secret";

/** A DNS-1123 label as Kubernetes defines it (namespaces, Services, Jobs), independent of the code under test. */
export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A label value as Kubernetes defines it (at most 63 characters besides). */
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** The services as the component resolves them (every default applied), from the user's arguments. */
export function resolvedServices(services: Service[]): ResolvedService[] {
    return resolveArgs(
        { services, testCommand: "x" },
        {
            stack: "unit",
            projectDir: "/p",
            defaultDockerHost: undefined,
            defaultAssetsDir: () => "/assets",
            newRunId: () => "r1",
        },
    ).services;
}

/** How the engine's inputs carry a Pulumi secret: {[SECRET_SIGNATURE]: SECRET_VALUE, value}. */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/**
 * The environment an app container gets, from the Secret its `envFrom` names (decoded) and its own `env`; throws
 * when the container has variables of its own other than the run's data file (COVERAGE_FILE) or names another
 * Secret, which would put values in the Deployment or elsewhere, and when the Secret's data is not a Pulumi secret
 * (it would be plain text in the stack's state).
 */
export function appEnvironment(
    container: k8s.types.output.core.v1.Container,
    secret: Registered,
): Record<string, string> {
    const { metadata, data } = secret.inputs as { metadata: { name: string }; data?: Record<string, unknown> };
    // Only the run's own variables may be in the Deployment: no value of the user's.
    const own: Record<string, string> = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? ""]));
    if (Object.keys(own).some((name) => name !== "COVERAGE_FILE"))
        throw new Error(`container ${container.name} has env of its own: ${Object.keys(own).join(", ")}`);
    const sources = (container.envFrom ?? []).map((e) => e.secretRef?.name);
    if (sources.length !== 1 || sources[0] !== metadata.name)
        throw new Error(
            `container ${container.name} takes its environment from ${JSON.stringify(sources)}, not ${metadata.name}`,
        );
    if (data?.[SECRET_SIGNATURE] !== SECRET_VALUE)
        throw new Error(`Secret ${metadata.name}'s data is not a Pulumi secret`);
    const values = data.value as Record<string, string>;
    const fromSecret: Record<string, string> = Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
    );
    // A container's env wins over its envFrom.
    return { ...fromSecret, ...own };
}

/** The inputs of a recorded resource as its args type (what the builder gave, outputs resolved). */
export function inputsOf<T>(resource: Registered): T {
    return resource.inputs as T;
}

type Deployment = { metadata: k8s.types.output.meta.v1.ObjectMeta; spec: k8s.types.output.apps.v1.DeploymentSpec };

/** A recorded Deployment's metadata and spec. */
export function deploymentOf(resource: Registered): Deployment {
    return inputsOf<Deployment>(resource);
}

/** A recorded Deployment's pod spec. */
export function podSpecOf(resource: Registered): k8s.types.output.core.v1.PodSpec {
    return deploymentOf(resource).spec.template.spec;
}

/** A container of a pod spec by name (init containers included). */
export function containerNamed(
    pod: k8s.types.output.core.v1.PodSpec,
    name: string,
): k8s.types.output.core.v1.Container {
    const found = [...(pod.initContainers ?? []), ...pod.containers].find((c) => c.name === name);
    if (found === undefined) throw new Error(`no container ${name} in the pod`);
    return found;
}

/** The repository's coverage-spy/kubernetes/ folder: the collector's and the shipper's scripts. */
const KUBERNETES_ASSETS = path.join(__dirname, "..", "..", "..", "coverage-spy", "kubernetes");

/**
 * The arguments `script` (collector or shipper) parses from `args`, by its own parse_args: what the program would
 * run with, or the parser's error (exit 2 and its message) for a command line it refuses.
 */
export function parsedBy(script: "collector" | "shipper", args: string[]): Record<string, unknown> {
    const program = [
        "import json, sys",
        "sys.path.insert(0, sys.argv[1])",
        `import ${script}`,
        `print(json.dumps(vars(${script}.parse_args(sys.argv[2:]))))`,
    ].join("\n");
    const run = childProcess.spawnSync("python3", ["-c", program, KUBERNETES_ASSETS, ...args], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`${script}.py refused ${JSON.stringify(args)}: ${run.stderr}`);
    return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** `args` with the value after `option` replaced (a container's path, by a folder of this machine). */
export function withOption(args: string[], option: string, value: string): string[] {
    const at = args.indexOf(option);
    if (at < 0) throw new Error(`no ${option} in ${JSON.stringify(args)}`);
    return [...args.slice(0, at + 1), value, ...args.slice(at + 2)];
}

/** Runs a container's `sh -c SCRIPT sh ARGS...` command here, with its arguments replaced; its exit and output. */
export function runShellCommand(command: string[], args: string[]): childProcess.SpawnSyncReturns<string> {
    const [sh, dashC, script, argv0] = command;
    if (sh !== "sh" || dashC !== "-c") throw new Error(`not a sh -c command: ${JSON.stringify(command)}`);
    return childProcess.spawnSync("sh", ["-c", script, argv0, ...args], { encoding: "utf8" });
}
