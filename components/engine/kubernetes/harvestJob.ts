import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_DIR, DATA_DIR, REPORTS_DIR } from "../../shared/layout";
import { HARVESTER_CONTAINER, LABEL_ROLE, LABEL_RUN_ID } from "../../shared/naming";
import { dnsLabel, harvestJobName, labelValue } from "./names";
import { ImagePullPolicy, NODE_TOPOLOGY_KEY } from "./objectBasics";

/**
 * A container that fails ends with its log's tail (80 lines at most) as its termination message, which the Kubernetes
 * provider's Job await shows in the update's error: the harvest's own words, not only its exit code.
 */
const SAYS_WHY_IT_FAILED = { terminationMessagePolicy: "FallbackToLogsOnError" } as const;
/** The folder of the data claim holding the reports: the harvester sees it at REPORTS_DIR, as on a local engine. */
export const CLAIM_REPORTS_FOLDER = "reports";
const CLAIM_VOLUME = "coverage-data";
const COVERAGERC_VOLUME = "coveragerc";
/** As on Docker: root, so the harvest prunes old runs whoever's processes wrote them, and writes the reports. */
const AS_ROOT = { runAsUser: 0, runAsGroup: 0 };

/** A measured service whose source the harvest needs in the run's report folder. */
export interface SourceToCopy {
    service: string;
    /** Its unchanged image: the source is copied from it (it needs sh, mkdir and cp). */
    image: pulumi.Input<string>;
    sourcePath: string;
}

/** A pod of the run's own from the spy image that mounts the stack's data claim: the harvest Job's, the relay's. */
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

export interface HarvestJobInput extends ClaimPodInput {
    /** The stack's rcfile ConfigMap. */
    coveragercConfigMap: pulumi.Input<string>;
    /**
     * The harvester's command: components/harvester/harvester.ts's harvestCommand, with reports in a report
     * folder (`{ reportDir }`: --out is REPORTS_DIR/runs/<run>, the claim's reports folder here) and --volume-name
     * the claim's name.
     */
    command: pulumi.Input<pulumi.Input<string>[]>;
    /** The measured services: their source goes into the run's report folder before the harvest. */
    sources: SourceToCopy[];
}

/** A run's report folder as the collector's pod sees it (where the reports are fetched from). */
export function claimRunReportDir(runId: string): string {
    return `${DATA_DIR}/${CLAIM_REPORTS_FOLDER}/runs/${runId}`;
}

/** Where a service's source goes for the harvest: <run report folder>/sources/<service>, as the test run copies it. */
function sourceTarget(runId: string, service: string): string {
    return `${REPORTS_DIR}/runs/${runId}/sources/${service}`;
}

/** The claim's reports folder at REPORTS_DIR. */
const REPORTS_MOUNT: k8s.types.input.core.v1.VolumeMount = {
    name: CLAIM_VOLUME,
    mountPath: REPORTS_DIR,
    subPath: CLAIM_REPORTS_FOLDER,
};

/**
 * An init container from the service's own image copying its measured source into the run's report folder: on Docker
 * the test run copies it out of the stopped container; here the host may not hold the image. Paths as arguments, so
 * the shell never parses them.
 */
function sourceCopyContainer(input: HarvestJobInput, source: SourceToCopy): k8s.types.input.core.v1.Container {
    return {
        name: dnsLabel(`source-${source.service}`),
        image: source.image,
        imagePullPolicy: input.imagePullPolicy,
        command: [
            "sh",
            "-c",
            'rm -rf "$1" && mkdir -p "$1" && cp -a "$2"/. "$1"/',
            "sh",
            sourceTarget(input.runId, source.service),
            source.sourcePath,
        ],
        securityContext: AS_ROOT,
        ...SAYS_WHY_IT_FAILED,
        volumeMounts: [REPORTS_MOUNT],
    };
}

/** The Job's pods run on the collector's node: the only node the ReadWriteOnce claim can be mounted on meanwhile. */
export function onTheCollectorsNode(collectorLabels: Record<string, string>): k8s.types.input.core.v1.Affinity {
    return {
        podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: collectorLabels }, topologyKey: NODE_TOPOLOGY_KEY },
            ],
        },
    };
}

/**
 * The run's harvest as a Job (one per run, never retried: a second try would harvest a half-written report folder):
 * the sources copied in, then harvest.py on the stack's claim, writing the reports into the claim's reports folder.
 * Pulumi's await of the Job waits for it to finish, so whatever is declared after it sees the reports there.
 */
export function createHarvestJob(
    name: string,
    input: HarvestJobInput,
    opts: pulumi.CustomResourceOptions,
): k8s.batch.v1.Job {
    const labels = { ...input.labels, [LABEL_RUN_ID]: labelValue(input.runId), [LABEL_ROLE]: HARVESTER_CONTAINER };
    return new k8s.batch.v1.Job(
        `${name}-${HARVESTER_CONTAINER}`,
        {
            metadata: { name: harvestJobName(input.runId), namespace: input.namespace, labels },
            spec: {
                backoffLimit: 0,
                template: {
                    metadata: { labels },
                    spec: {
                        restartPolicy: "Never",
                        affinity: onTheCollectorsNode(input.collectorLabels),
                        initContainers: input.sources.map((s) => sourceCopyContainer(input, s)),
                        containers: [
                            {
                                name: HARVESTER_CONTAINER,
                                image: input.spyImage,
                                imagePullPolicy: input.imagePullPolicy,
                                command: input.command,
                                securityContext: AS_ROOT,
                                ...SAYS_WHY_IT_FAILED,
                                volumeMounts: [
                                    { name: CLAIM_VOLUME, mountPath: DATA_DIR },
                                    REPORTS_MOUNT,
                                    { name: COVERAGERC_VOLUME, mountPath: CONFIG_DIR, readOnly: true },
                                ],
                            },
                        ],
                        volumes: [
                            { name: CLAIM_VOLUME, persistentVolumeClaim: { claimName: input.claimName } },
                            { name: COVERAGERC_VOLUME, configMap: { name: input.coveragercConfigMap } },
                        ],
                    },
                },
            },
        },
        opts,
    );
}
