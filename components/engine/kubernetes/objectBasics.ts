import { ASSETS_DIR } from "../../shared/layout";

/**
 * Whether the kubelet pulls an image: "Never" for images loaded into a local cluster (kind load: a pull would fail),
 * "IfNotPresent" for images a registry serves.
 */
export type ImagePullPolicy = "Never" | "IfNotPresent";

/** The collector and the shipper, in the spy image (coverage-spy/kubernetes/ of the assets). */
export const COLLECTOR_SCRIPT = `${ASSETS_DIR}/kubernetes/collector.py`;
export const SHIPPER_SCRIPT = `${ASSETS_DIR}/kubernetes/shipper.py`;
/** The port the collector listens on, in its pod and on its Service. */
export const COLLECTOR_PORT = 8080;
/** What the collector answers its readiness probe on. */
export const COLLECTOR_HEALTH_PATH = "/healthz";

/** The node a pod runs on, as scheduling constraints name it. */
export const NODE_TOPOLOGY_KEY = "kubernetes.io/hostname";

/**
 * How often readiness is probed: the kubelet probes a container at its start, then once a period, so an app that was
 * not listening yet at the first probe is seen ready up to a period after it is: the shortest period Kubernetes
 * allows keeps that wait, paid by every run's new pods, at a second.
 */
export const PROBE_PERIOD_SECONDS = 1;

/**
 * Pulumi's await of a Service waits until it finds pods to send traffic to (about 10 s on the spike's cluster); the
 * Deployments' awaits already wait for ready pods, so the Service's own await adds time and nothing else.
 */
export const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" };

/** A port's name on a Service and in a container: DNS-1035, at most 15 characters. */
export function portName(port: number): string {
    return `port-${port}`;
}
