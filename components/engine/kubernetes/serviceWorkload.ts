import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedService } from "../../options/resolveArgs";
import { spyRunEnvironment } from "../../shared/layout";
import { LABEL_MEASURED, LABEL_ROLE, LABEL_RUN_ID, LABEL_SERVICE } from "../../shared/naming";
import { labelValue } from "./names";
import { ImagePullPolicy, NODE_TOPOLOGY_KEY, PROBE_PERIOD_SECONDS, SKIP_AWAIT, portName } from "./objectBasics";
import { readinessProbe } from "./readinessProbe";
import { contextsSidecarContainer } from "./contextRelay";
import { DATA_VOLUME, appSpyMounts, podGraceSeconds, shipperContainer, spyVolumes } from "./spyPodParts";

/** What measuring a service adds to its pods: the spy's files, the data folder, the shipper. */
export interface MeasuredPod {
    spyImage: pulumi.Input<string>;
    /** The stack's rcfile ConfigMap (createCoveragercConfigMap). */
    coveragercConfigMap: pulumi.Input<string>;
    /** Where the shipper sends the data (the data home's collectorUrl). */
    collectorUrl: string;
    /** Seconds between two shipper rounds. */
    shipIntervalSeconds: number;
    /** With per-test contexts: the relay's pods address (contextRelayPodsAddress), which a sidecar follows. */
    contextRelay?: string;
}

export interface ServiceWorkloadInput {
    namespace: pulumi.Input<string>;
    /** The stack's labels (stackLabels). */
    labels: Record<string, string>;
    service: ResolvedService;
    runId: string;
    /** Pods of the service, spread over the nodes: at least 1. */
    replicas: number;
    /** For the app's unchanged image and the spy image alike. */
    imagePullPolicy: ImagePullPolicy;
    /**
     * The app's whole environment: components/service/serviceContainer.ts's serviceEnvironment, which holds the spy's
     * three variables (PYTHONPATH with the spy's site first, COVERAGE_PROCESS_START, COVERAGE_FILE) when measured.
     */
    env: pulumi.Input<Record<string, string>>;
    /** How the service is measured; none for a service that is not (a plain Deployment and Service). */
    measured?: MeasuredPod;
    /**
     * The ports its image EXPOSEs: the other pods reach them by the service's name, as any port of a container is
     * reached on Docker's network (a database declared without `ports`, say).
     */
    imagePorts?: number[];
}

/** The service's pods and the Service the other pods (by its name) and the host (on a node's address) reach it by. */
export interface ServiceWorkload {
    deployment: k8s.apps.v1.Deployment;
    /** None when the service has no port to reach. */
    service?: k8s.core.v1.Service;
}

/**
 * The Secret holding a service's environment. The app reads it through `envFrom`, not `env`: the values (secretEnv's
 * among them) stay out of the Deployment, which anyone who may read the namespace's workloads sees, and Kubernetes
 * leaves them as they are, as Docker does (an `env` value's `$(NAME)` would be replaced by another variable's value).
 */
export function environmentSecretName(service: string): string {
    return `${service}-env`;
}

/** The labels that find the service's pods: stable across runs, since a Deployment's selector never changes. */
export function serviceSelector(labels: Record<string, string>, service: string): Record<string, string> {
    return { ...labels, [LABEL_SERVICE]: labelValue(service) };
}

/**
 * The ports the service is reached on inside the cluster: its ports, its readiness TCP port and the ports its image
 * EXPOSEs (on Docker, the others reach any port on the stack's network; here only a Service's ports).
 */
export function reachablePorts(service: ResolvedService, imagePorts: number[] = []): number[] {
    const ports = service.ports.map((p) => p.internal);
    if (service.readinessTcpPort !== undefined) ports.push(service.readinessTcpPort);
    return [...new Set([...ports, ...imagePorts])];
}

/**
 * The variables of a measured app's environment whose values change with each run (spyRunEnvironment). The app gets
 * them from the Deployment's `env`, which wins over the Secret's, and the Secret holds the others only: a changed
 * Secret is replaced (the provider treats its data as immutable), and with it the Deployment (deleted, then created,
 * as the Secret's name is fixed), where an unchanged one lets each run update the Deployment in place.
 */
function runEnvironment(input: ServiceWorkloadInput): Record<string, string> {
    return input.measured ? spyRunEnvironment(input.runId, input.service.name) : {};
}

/** A numeric `user` ("uid" or "uid:gid") as the container's securityContext; the image's user otherwise. */
function userContext(user: string | undefined): k8s.types.input.core.v1.SecurityContext | undefined {
    const m = user === undefined ? null : /^(\d+)(?::(\d+))?$/.exec(user);
    if (m === null) return undefined;
    return { runAsUser: Number(m[1]), ...(m[2] !== undefined ? { runAsGroup: Number(m[2]) } : {}) };
}

/**
 * The app's readiness check. With per-test contexts it is a startupProbe, run until the app first answers and never
 * again: a readinessProbe's periodic request during a test would run the app's code under that test's name, which
 * the Docker engine (its readiness checked once, before the suite) never does. The pod is ready once started.
 */
function appProbe(
    service: ResolvedService,
    perTestContexts: boolean,
): Pick<k8s.types.input.core.v1.Container, "readinessProbe" | "startupProbe"> {
    const probe = readinessProbe(service);
    if (probe === undefined) return {};
    if (!perTestContexts) return { readinessProbe: probe };
    // As long as the service's readinessTimeoutSeconds: the kubelet restarts an app that failed it.
    const failureThreshold = Math.ceil(service.readinessTimeoutSeconds / PROBE_PERIOD_SECONDS) + 1;
    return { startupProbe: { ...probe, failureThreshold } };
}

/** The app's container: its unchanged image, its command, its environment; the spy's mounts when measured. */
function appContainer(input: ServiceWorkloadInput, environment: k8s.core.v1.Secret): k8s.types.input.core.v1.Container {
    const { service } = input;
    return {
        name: service.name,
        image: service.image,
        imagePullPolicy: input.imagePullPolicy,
        // Docker's entrypoint is Kubernetes' command, Docker's command its args.
        command: service.entrypoint,
        args: service.command,
        workingDir: service.workingDir,
        securityContext: userContext(service.user),
        envFrom: [{ secretRef: { name: environment.metadata.name } }],
        env: input.measured && Object.entries(runEnvironment(input)).map(([name, value]) => ({ name, value })),
        ports: service.ports.map((p) => ({ containerPort: p.internal, name: portName(p.internal) })),
        ...appProbe(service, input.measured?.contextRelay !== undefined),
        volumeMounts: input.measured ? appSpyMounts() : undefined,
    };
}

/**
 * One pod per node as far as the nodes go. Only this revision's pods count (pod-template-hash): a rolling update's
 * new pod would otherwise meet the old ones and stay Pending. Tainted nodes (the control plane) are no domain: counted
 * with 0 pods, they would make the second pod on any worker a skew of 2.
 */
function spreadOverNodes(selector: Record<string, string>): k8s.types.input.core.v1.TopologySpreadConstraint {
    return {
        maxSkew: 1,
        topologyKey: NODE_TOPOLOGY_KEY,
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
        nodeTaintsPolicy: "Honor",
    };
}

/**
 * The pod template: the app, and for a measured service the shipper sidecar (which installs the spy) and, with
 * per-test contexts, the contexts sidecar.
 */
function podTemplate(
    input: ServiceWorkloadInput,
    selector: Record<string, string>,
    environment: k8s.core.v1.Secret,
): k8s.types.input.core.v1.PodTemplateSpec {
    const { service, measured } = input;
    const labels = {
        ...selector,
        [LABEL_ROLE]: "service",
        [LABEL_MEASURED]: String(measured !== undefined),
        // In the template, so every run rolls out new pods (the shipper's run id changes with it anyway).
        [LABEL_RUN_ID]: labelValue(input.runId),
    };
    const spy = measured && {
        initContainers: [
            shipperContainer({
                spyImage: measured.spyImage,
                imagePullPolicy: input.imagePullPolicy,
                collectorUrl: measured.collectorUrl,
                runId: input.runId,
                service: service.name,
                intervalSeconds: measured.shipIntervalSeconds,
            }),
            ...(measured.contextRelay !== undefined
                ? [
                      contextsSidecarContainer({
                          spyImage: measured.spyImage,
                          imagePullPolicy: input.imagePullPolicy,
                          relayAddress: measured.contextRelay,
                          runId: input.runId,
                          dataVolume: DATA_VOLUME,
                      }),
                  ]
                : []),
        ],
        volumes: spyVolumes(measured.coveragercConfigMap),
    };
    return {
        metadata: { labels },
        spec: {
            // The app's environment as on Docker: no <SERVICE>_PORT=tcp://... variables for the namespace's Services,
            // which would replace the image's own (a DB_PORT=5432 read as a port number, for one).
            enableServiceLinks: false,
            terminationGracePeriodSeconds: podGraceSeconds(service.stopGraceSeconds, measured !== undefined),
            topologySpreadConstraints: [spreadOverNodes(selector)],
            ...spy,
            containers: [appContainer(input, environment)],
        },
    };
}

/** Refuses a replica count the Deployment cannot have, naming the fix. */
function checkReplicas(service: string, replicas: number): void {
    if (!Number.isInteger(replicas) || replicas < 1)
        throw new Error(
            `coverage-spy: service ${service}: replicas must be a whole number of at least 1, got ${replicas}: ` +
                "give 1 or more (a run with no pod of a service measures nothing of it)",
        );
}

/**
 * What a service's pods may take, beyond its readinessTimeoutSeconds, to be scheduled, to pull an image not yet on
 * their node and to run the spy's init container before the app starts: generous, since on a busy machine a pod's
 * start alone took over a minute (two stacks coming up at once on a loaded 2-core host).
 */
export const POD_START_MARGIN_SECONDS = 300;

/**
 * How long `pulumi up` waits for a service's Deployment to have its pods ready: the service's own readiness timeout
 * (as on Docker) and the pods' start, not the provider's default of 10 minutes, so a service that never gets ready
 * fails the run in the time its options say, with the provider naming the unready pods.
 */
export function deploymentTimeouts(service: ResolvedService): pulumi.CustomTimeouts {
    const wait = `${service.readinessTimeoutSeconds + POD_START_MARGIN_SECONDS}s`;
    return { create: wait, update: wait };
}

/**
 * A service's pods on the cluster: a Deployment of its unchanged image, spread over the nodes, with the spy's parts
 * when measured, and a NodePort Service (the host reaches it on a node's address, the other pods by its name).
 */
export function createServiceWorkload(
    name: string,
    input: ServiceWorkloadInput,
    opts: pulumi.CustomResourceOptions,
): ServiceWorkload {
    const { service, namespace } = input;
    checkReplicas(service.name, input.replicas);
    const selector = serviceSelector(input.labels, service.name);
    const labels = { ...selector, [LABEL_MEASURED]: String(input.measured !== undefined) };
    const environment = new k8s.core.v1.Secret(
        `${name}-${service.name}-env`,
        {
            metadata: { name: environmentSecretName(service.name), namespace, labels },
            // `data`, not `stringData`: the API server turns stringData into data, whose keys server-side apply then
            // does not count as the provider's, so a variable removed from the service would stay in the Secret.
            data: pulumi.output(input.env).apply((env) => {
                const perRun = runEnvironment(input);
                return Object.fromEntries(
                    Object.entries(env)
                        .filter(([k]) => !(k in perRun))
                        .map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")]),
                );
            }),
        },
        opts,
    );
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-${service.name}`,
        {
            metadata: { name: service.name, namespace, labels },
            spec: {
                replicas: input.replicas,
                // Each run rolls out a new ReplicaSet; the older ones (scaled to 0 by their run's stop) are removed.
                revisionHistoryLimit: 0,
                selector: { matchLabels: selector },
                template: podTemplate(input, selector, environment),
            },
        },
        { ...opts, customTimeouts: deploymentTimeouts(service) },
    );
    const ports = reachablePorts(service, input.imagePorts);
    if (ports.length === 0) return { deployment };
    const reach = new k8s.core.v1.Service(
        `${name}-${service.name}`,
        {
            metadata: { name: service.name, namespace, labels, annotations: SKIP_AWAIT },
            spec: {
                type: "NodePort",
                selector,
                ports: ports.map((port) => ({ name: portName(port), port, targetPort: port })),
            },
        },
        opts,
    );
    return { deployment, service: reach };
}
