import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ASSETS_DIR, CONTEXT_RELAY_PORT, contextRelayCommand, DATA_DIR } from "../../shared/layout";
import { CONTEXT_RELAY_CONTAINER, LABEL_ROLE, LABEL_RUN_ID, OBJECT_PREFIX } from "../../shared/naming";
import { CLAIM_VOLUME, ClaimPodInput, onTheCollectorsNode } from "./claimPods";
import { labelValue } from "./names";
import { ImagePullPolicy, PROBE_PERIOD_SECONDS, SKIP_AWAIT, portName } from "./objectBasics";

/** The relay's Deployment and Service in the stack's namespace: prefixed, as the collector's. */
export const CONTEXT_RELAY_NAME = `${OBJECT_PREFIX}-contexts`;
/** The port the measured pods' contexts sidecars connect to (the relay's --pods-port). */
export const CONTEXT_RELAY_PODS_PORT = 7612;
/** The relay's role label, and its container's name. */
export const CONTEXT_RELAY_ROLE = CONTEXT_RELAY_CONTAINER;
/** The pod side, in the spy image. */
export const CONTEXTS_SIDECAR_SCRIPT = `${ASSETS_DIR}/kubernetes/contexts_sidecar.py`;
export const CONTEXTS_SIDECAR_CONTAINER = "contexts";
/** The file the sidecar creates once its pod follows the tests: its startupProbe's, in its own filesystem. */
export const CONTEXTS_READY_FILE = "/tmp/coverage-spy-contexts-joined";
/**
 * How long a measured pod's app waits for its sidecar to reach the relay (created beside the services, it is up
 * within seconds): a relay that never comes delays the app this long, never for ever.
 */
export const CONTEXTS_JOIN_TIMEOUT_SECONDS = 30;

/**
 * Where the pods reach the relay inside the cluster, from names that are ours: a plain string (as the collector's
 * URL), so the services' pods need not wait for the relay's Service to exist.
 */
export function contextRelayPodsAddress(namespace: string): string {
    return `${CONTEXT_RELAY_NAME}.${namespace}.svc:${CONTEXT_RELAY_PODS_PORT}`;
}

/** The relay writes the run's .context and event log into the stack's claim, where the harvest reads them. */
export type ClusterContextRelayInput = ClaimPodInput;

export interface ClusterContextRelay {
    deployment: k8s.apps.v1.Deployment;
    /** NodePort: the test run reaches the HTTP port on a node's address; the pods reach the pods port by its name. */
    service: k8s.core.v1.Service;
}

/** The relay's pod: contexts_relay.py of the spy image on the claim, its HTTP side ready once it answers. */
function relayPod(input: ClusterContextRelayInput): k8s.types.input.core.v1.PodSpec {
    return {
        affinity: onTheCollectorsNode(input.collectorLabels),
        containers: [
            {
                name: CONTEXT_RELAY_CONTAINER,
                image: input.spyImage,
                imagePullPolicy: input.imagePullPolicy,
                command: contextRelayCommand(input.runId, CONTEXT_RELAY_PODS_PORT),
                ports: [
                    { containerPort: CONTEXT_RELAY_PORT, name: portName(CONTEXT_RELAY_PORT) },
                    { containerPort: CONTEXT_RELAY_PODS_PORT, name: portName(CONTEXT_RELAY_PODS_PORT) },
                ],
                // As on Docker: it writes the run's files on the claim whoever's processes made the run's folder.
                securityContext: { runAsUser: 0, runAsGroup: 0 },
                readinessProbe: {
                    httpGet: { path: "/healthz", port: CONTEXT_RELAY_PORT },
                    periodSeconds: PROBE_PERIOD_SECONDS,
                },
                volumeMounts: [{ name: CLAIM_VOLUME, mountPath: DATA_DIR }],
            },
        ],
        volumes: [{ name: CLAIM_VOLUME, persistentVolumeClaim: { claimName: input.claimName } }],
        // The relay exits at once on SIGTERM: every event is on the claim as soon as it is answered.
        terminationGracePeriodSeconds: 5,
    };
}

/**
 * The run's per-test context relay on the cluster: one pod on the stack's claim (Recreate: the claim is mounted on one
 * node only), and a NodePort Service for the test run on the host and the measured pods' sidecars.
 */
export function createClusterContextRelay(
    name: string,
    input: ClusterContextRelayInput,
    opts: pulumi.CustomResourceOptions,
): ClusterContextRelay {
    const selector = { ...input.labels, [LABEL_ROLE]: CONTEXT_RELAY_ROLE };
    const labels = { ...selector, [LABEL_RUN_ID]: labelValue(input.runId) };
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-${CONTEXT_RELAY_ROLE}`,
        {
            metadata: { name: CONTEXT_RELAY_NAME, namespace: input.namespace, labels },
            spec: {
                replicas: 1,
                strategy: { type: "Recreate" },
                selector: { matchLabels: selector },
                template: { metadata: { labels }, spec: relayPod(input) },
            },
        },
        opts,
    );
    const service = new k8s.core.v1.Service(
        `${name}-${CONTEXT_RELAY_ROLE}`,
        {
            metadata: { name: CONTEXT_RELAY_NAME, namespace: input.namespace, labels, annotations: SKIP_AWAIT },
            spec: {
                type: "NodePort",
                selector,
                ports: [CONTEXT_RELAY_PORT, CONTEXT_RELAY_PODS_PORT].map((port) => ({
                    name: portName(port),
                    port,
                    targetPort: port,
                })),
            },
        },
        opts,
    );
    return { deployment, service };
}

/**
 * A measured pod's contexts sidecar (a native sidecar, after the shipper): it shares the pod's data folder with the
 * app, read-write (it writes the pod's .context and removes the sockets of processes that died), and connects to the
 * relay. Its startupProbe holds the app's start until the pod follows the tests (or CONTEXTS_JOIN_TIMEOUT_SECONDS
 * passed), so no request reaches a process that does not know the current test. Root, as the relay on Docker: it
 * connects to the sockets of processes of any user.
 */
export function contextsSidecarContainer(input: {
    spyImage: pulumi.Input<string>;
    imagePullPolicy: ImagePullPolicy;
    relayAddress: string;
    runId: string;
    dataVolume: string;
}): k8s.types.input.core.v1.Container {
    return {
        name: CONTEXTS_SIDECAR_CONTAINER,
        image: input.spyImage,
        imagePullPolicy: input.imagePullPolicy,
        restartPolicy: "Always",
        command: [
            "python3",
            CONTEXTS_SIDECAR_SCRIPT,
            "--relay",
            input.relayAddress,
            "--data-dir",
            DATA_DIR,
            "--run-id",
            input.runId,
            "--ready-file",
            CONTEXTS_READY_FILE,
            "--join-timeout",
            String(CONTEXTS_JOIN_TIMEOUT_SECONDS),
        ],
        securityContext: { runAsUser: 0, runAsGroup: 0 },
        startupProbe: {
            exec: { command: ["test", "-e", CONTEXTS_READY_FILE] },
            periodSeconds: 1,
            // The sidecar creates the file within its join timeout: the probe never gives up first.
            failureThreshold: CONTEXTS_JOIN_TIMEOUT_SECONDS + 30,
        },
        resources: { requests: { cpu: "10m", memory: "32Mi" } },
        volumeMounts: [{ name: input.dataVolume, mountPath: DATA_DIR }],
    };
}
