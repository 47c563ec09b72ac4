import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DATA_DIR, REPORTS_DIR } from "../../shared/layout";
import { ImagePullPolicy, NODE_TOPOLOGY_KEY } from "./objectBasics";

/** The folder of the data claim holding the reports: the harvest sees it at REPORTS_DIR, as on a local engine. */
const CLAIM_REPORTS_FOLDER = "reports";
/** The name of the claim's volume in a pod that mounts it. */
export const CLAIM_VOLUME = "coverage-data";

/** A pod of the stack's own from the spy image mounting the stack's data claim besides the collector: the relay. */
export interface ClaimPodInput {
    namespace: pulumi.Input<string>;
    /** The stack's labels (stackLabels). */
    labels: Record<string, string>;
    runId: string;
    spyImage: pulumi.Input<string>;
    imagePullPolicy: ImagePullPolicy;
    /** The stack's data claim (the data home's). */
    claimName: pulumi.Input<string>;
    /** The collector's pod labels: the claim is ReadWriteOnce, so the pod runs on the collector's node. */
    collectorLabels: Record<string, string>;
}

/** A run's report folder as the collector's pod sees it at DATA_DIR (where the reports are fetched from). */
export function claimRunReportDir(runId: string): string {
    return `${DATA_DIR}/${CLAIM_REPORTS_FOLDER}/runs/${runId}`;
}

/** The claim as the harvest sees it: the data folder, and its reports folder at REPORTS_DIR. */
export const CLAIM_MOUNTS: k8s.types.input.core.v1.VolumeMount[] = [
    { name: CLAIM_VOLUME, mountPath: DATA_DIR },
    { name: CLAIM_VOLUME, mountPath: REPORTS_DIR, subPath: CLAIM_REPORTS_FOLDER },
];

/** A pod that mounts the claim runs on the collector's node: the only one the ReadWriteOnce claim can be mounted on. */
export function onTheCollectorsNode(collectorLabels: Record<string, string>): k8s.types.input.core.v1.Affinity {
    return {
        podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: collectorLabels }, topologyKey: NODE_TOPOLOGY_KEY },
            ],
        },
    };
}
