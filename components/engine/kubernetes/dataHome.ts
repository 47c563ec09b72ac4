import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_DIR, DATA_DIR } from "../../shared/layout";
import { LABEL_ROLE } from "../../shared/naming";
import { CLAIM_MOUNTS, CLAIM_VOLUME } from "./claimPods";
import { createCoveragercConfigMap } from "./coveragercConfigMap";
import { COLLECTOR_NAME, DATA_CLAIM_NAME } from "./names";
import {
    COLLECTOR_HEALTH_PATH,
    COLLECTOR_PORT,
    COLLECTOR_SCRIPT,
    ImagePullPolicy,
    PROBE_PERIOD_SECONDS,
    SKIP_AWAIT,
    portName,
} from "./objectBasics";

/** The collector's role label: its pods are found by it (the relay's affinity, `kubectl exec` for the harvest). */
export const COLLECTOR_ROLE = "collector";

export interface DataHomeInput {
    /** The stack's namespace (stackNamespace, or the one the user gave). */
    namespace: string;
    /** The stack's labels (stackLabels): on every object. */
    labels: Record<string, string>;
    /** The spy image: the collector runs from it. */
    spyImage: pulumi.Input<string>;
    imagePullPolicy: ImagePullPolicy;
    /** The data claim's size, as Kubernetes writes quantities ("1Gi"). */
    claimSize: string;
    /** The data claim's StorageClass; none: the cluster's default. */
    storageClass?: string;
    /** The generated .coveragerc's text (components/config/coveragerc.ts): the pods' and the harvest's. */
    coveragerc: string;
}

/** The stack's data home on the cluster: kept across runs, deleted with the namespace. */
export interface DataHome {
    namespace: k8s.core.v1.Namespace;
    /** The namespace's name, once it exists: every namespaced object of the stack takes it. */
    namespaceName: pulumi.Output<string>;
    claim: k8s.core.v1.PersistentVolumeClaim;
    /** The stack's rcfile: the measured pods copy it, the collector's harvest reads it. */
    coveragerc: k8s.core.v1.ConfigMap;
    collector: k8s.apps.v1.Deployment;
    collectorService: k8s.core.v1.Service;
    /** The labels of the collector's pods. */
    collectorLabels: Record<string, string>;
    /** Where the shippers send the data: a plain string (collectorUrl). */
    collectorUrl: string;
}

/**
 * The collector's URL inside the cluster, from names that are ours: a plain string, not the Service's output, so a
 * pod that ships to it does not wait for the Service's await (the shipper retries until the collector answers). The
 * short `<service>.<namespace>.svc` form leaves the cluster's domain to the pods' DNS search list.
 */
export function collectorUrl(namespace: string): string {
    return `http://${COLLECTOR_NAME}.${namespace}.svc:${COLLECTOR_PORT}`;
}

/**
 * The pod template's annotation holding the rcfile's hash: a changed rcfile makes a new collector pod, which reads the
 * new one at once (a ConfigMap's new content reaches a running pod's files only at the kubelet's next sync, up to a
 * minute or more later: https://kubernetes.io/docs/concepts/configuration/configmap/#mounted-configmaps-are-updated-automatically).
 */
const COVERAGERC_HASH_ANNOTATION = "coverage-spy/coveragerc-sha256";

const COVERAGERC_VOLUME = "coveragerc";

/**
 * The collector's pod template: the spy image's collector.py writing into the claim, ready once it answers; the
 * harvest runs in its container too (`kubectl exec`), so it mounts the claim and the rcfile as the harvest reads them.
 */
function collectorPod(
    input: DataHomeInput,
    labels: Record<string, string>,
    claimName: pulumi.Input<string>,
    coveragercMap: pulumi.Input<string>,
): k8s.types.input.core.v1.PodTemplateSpec {
    const hash = crypto.createHash("sha256").update(input.coveragerc).digest("hex");
    return {
        metadata: { labels, annotations: { [COVERAGERC_HASH_ANNOTATION]: hash } },
        spec: {
            containers: [
                {
                    name: COLLECTOR_ROLE,
                    image: input.spyImage,
                    imagePullPolicy: input.imagePullPolicy,
                    command: ["python3", COLLECTOR_SCRIPT, "--data-dir", DATA_DIR, "--port", String(COLLECTOR_PORT)],
                    ports: [{ containerPort: COLLECTOR_PORT, name: portName(COLLECTOR_PORT) }],
                    readinessProbe: {
                        httpGet: { path: COLLECTOR_HEALTH_PATH, port: COLLECTOR_PORT },
                        periodSeconds: PROBE_PERIOD_SECONDS,
                    },
                    volumeMounts: [...CLAIM_MOUNTS, { name: COVERAGERC_VOLUME, mountPath: CONFIG_DIR, readOnly: true }],
                },
            ],
            volumes: [
                { name: CLAIM_VOLUME, persistentVolumeClaim: { claimName } },
                { name: COVERAGERC_VOLUME, configMap: { name: coveragercMap } },
            ],
        },
    };
}

/**
 * The stack's namespace, its data claim (ReadWriteOnce, the cluster's default StorageClass), its rcfile, and the
 * collector that writes the pods' shipped data into the claim and harvests it (one replica; Recreate, because the
 * claim can be mounted on one node only and a rolling update's new pod could land on another), with its Service.
 */
export function createDataHome(name: string, input: DataHomeInput, opts: pulumi.CustomResourceOptions): DataHome {
    const { labels } = input;
    const namespace = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        { metadata: { name: input.namespace, labels } },
        opts,
    );
    const namespaceName = namespace.metadata.name;
    // Without storageClassName, the cluster's default. The claim's await returns at once for a WaitForFirstConsumer
    // class (the claim binds when the collector's pod is scheduled), once bound for an Immediate one.
    const claim = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-data`,
        {
            // Not awaited: the provider counts a claim of a WaitForFirstConsumer class ready only while it is
            // Pending, so one the collector's pod has bound already (it starts beside the claim, or on any later
            // update) is awaited until the 5-minute timeout (untilCoreV1PersistentVolumeClaimReady in
            // https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/await/awaiters.go). The
            // collector's own await covers the claim: its pod starts only once the claim is bound.
            metadata: { name: DATA_CLAIM_NAME, namespace: namespaceName, labels, annotations: SKIP_AWAIT },
            spec: {
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: input.claimSize } },
                storageClassName: input.storageClass,
            },
        },
        opts,
    );
    const coveragerc = createCoveragercConfigMap(
        name,
        { namespace: namespaceName, labels, coveragerc: input.coveragerc },
        opts,
    );
    const collectorLabels = { ...labels, [LABEL_ROLE]: COLLECTOR_ROLE };
    const collector = new k8s.apps.v1.Deployment(
        `${name}-collector`,
        {
            metadata: { name: COLLECTOR_NAME, namespace: namespaceName, labels: collectorLabels },
            spec: {
                replicas: 1,
                strategy: { type: "Recreate" },
                selector: { matchLabels: collectorLabels },
                template: collectorPod(input, collectorLabels, claim.metadata.name, coveragerc.metadata.name),
            },
        },
        opts,
    );
    const collectorService = new k8s.core.v1.Service(
        `${name}-collector`,
        {
            metadata: { name: COLLECTOR_NAME, namespace: namespaceName, labels, annotations: SKIP_AWAIT },
            spec: {
                selector: collectorLabels,
                ports: [{ name: portName(COLLECTOR_PORT), port: COLLECTOR_PORT, targetPort: COLLECTOR_PORT }],
            },
        },
        opts,
    );
    return {
        namespace,
        namespaceName,
        claim,
        coveragerc,
        collector,
        collectorService,
        collectorLabels,
        collectorUrl: collectorUrl(input.namespace),
    };
}
