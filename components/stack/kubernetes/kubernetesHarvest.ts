import type * as command from "@pulumi/command";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { DataHome, COLLECTOR_ROLE } from "../../engine/kubernetes/dataHome";
import { claimRunReportDir, createHarvestJob } from "../../engine/kubernetes/harvestJob";
import { COLLECTOR_NAME, harvestJobName } from "../../engine/kubernetes/names";
import { ImagePullPolicy } from "../../engine/kubernetes/objectBasics";
import { harvestCommand } from "../../harvester/harvester";
import { measuredServices } from "../../options/resolveArgs";
import { REPORTS_DIR } from "../../shared/layout";
import { HARVESTER_CONTAINER } from "../../shared/naming";
import type { HarvestedRun } from "../harvestRun";
import type { KubernetesTarget, RunPlan } from "../planRun";
import type { PreparedBase, RunEngine } from "../runEngine";
import { clusterCommand } from "./clusterCommand";

/** What the cluster's preparation gives the later steps. */
export interface KubernetesPreparedRun extends PreparedBase {
    target: KubernetesTarget;
    /** The stack's labels on the cluster (label values). */
    labels: Record<string, string>;
    home: DataHome;
    coveragerc: k8s.core.v1.ConfigMap;
    /** The node address the test run reaches the NodePorts on. */
    nodeAddress: string;
    spyImage: pulumi.Input<string>;
    imagePullPolicy: ImagePullPolicy;
}

/** The tar the test run packs tests.json and sources/ into, for the harvest on the cluster. */
export function runTarOf(reportDir: string): string {
    return path.join(reportDir, "engine", "run-inputs.tar");
}

/** The collector's container, which kubectl exec reaches the data claim through. */
const COLLECTOR = ["deployment/" + COLLECTOR_NAME, "-c", COLLECTOR_ROLE];

/**
 * Unpacks the run's results (the test run's tar on stdin) into the run's report folder on the claim, where the
 * harvest reads tests.json and sources/. Its values come from the environment: the shell parses none of them.
 */
const UPLOAD_SCRIPT = [
    "set -e",
    `kubectl --namespace "$COVERAGE_SPY_NAMESPACE" exec -i ${COLLECTOR.join(" ")} -- ` +
        `sh -c 'mkdir -p "$1" && tar -x -C "$1"' sh "$COVERAGE_SPY_CLAIM_DIR" < "$COVERAGE_SPY_TAR"`,
].join("\n");

/** Brings the run's reports from the claim into the host's run folder, through a tar on this machine. */
const FETCH_SCRIPT = [
    "set -e",
    'mkdir -p "$COVERAGE_SPY_TO"',
    'tar_file="$COVERAGE_SPY_TO/.reports-from-cluster.tar"',
    `kubectl --namespace "$COVERAGE_SPY_NAMESPACE" exec ${COLLECTOR.join(" ")} -- ` +
        `tar -C "$COVERAGE_SPY_CLAIM_DIR" -cf - . > "$tar_file"`,
    'tar -xf "$tar_file" -C "$COVERAGE_SPY_TO"',
    'rm -f "$tar_file"',
    'echo "reports brought from the cluster into $COVERAGE_SPY_TO"',
].join("\n");

/**
 * Runs the harvester (its command after the namespace and the Job's name) and, when it fails, ends its log with where
 * to look further: the log's tail becomes the container's termination message, which pulumi's error shows. Values as
 * arguments: the shell parses none of them.
 */
export const HARVEST_WRAPPER = [
    'namespace="$1" job="$2"',
    "shift 2",
    '"$@" && exit 0',
    "code=$?",
    "printf 'coverage-spy: the harvest Job %s in namespace %s failed (exit code %s): its whole log: kubectl " +
        `--namespace %s logs job/%s -c ${HARVESTER_CONTAINER}; the Job and its pod: kubectl --namespace %s describe ` +
        `job/%s\\n' "$job" "$namespace" "$code" "$namespace" "$job" "$namespace" "$job" >&2`,
    'exit "$code"',
].join("\n");

/** The harvester's command inside HARVEST_WRAPPER. */
export function wrappedHarvestCommand(
    namespace: pulumi.Input<string>,
    jobName: string,
    command: pulumi.Input<string>[],
): pulumi.Input<string>[] {
    return ["sh", "-c", HARVEST_WRAPPER, "sh", namespace, jobName, ...command];
}

/**
 * Once the test run ended: its results (tests.json, the measured sources) go to the run's report folder on the
 * claim, the harvest Job combines the data the shippers brought to the collector and writes the reports there, and
 * the reports come back into the host's run folder.
 */
export function harvestOnCluster(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine>,
    prepared: KubernetesPreparedRun,
    testRun: command.local.Command,
): HarvestedRun {
    const { resolved } = plan;
    const { runId } = resolved;
    const { home } = prepared;
    const env = pulumi.all([prepared.cliEnv, home.namespaceName]).apply(([cliEnv, namespace]) => ({
        ...cliEnv,
        COVERAGE_SPY_NAMESPACE: namespace,
        COVERAGE_SPY_CLAIM_DIR: claimRunReportDir(runId),
    }));
    const upload = clusterCommand(
        `${name}-results-upload`,
        UPLOAD_SCRIPT,
        runId,
        env.apply((e) => ({ ...e, COVERAGE_SPY_TAR: runTarOf(resolved.reportDir) })),
        { parent: component, dependsOn: [testRun, home.collector] },
    );
    const claimName = home.claim.metadata.name;
    const job = createHarvestJob(
        name,
        {
            namespace: home.namespaceName,
            labels: prepared.labels,
            runId,
            spyImage: prepared.spyImage,
            imagePullPolicy: prepared.imagePullPolicy,
            claimName,
            coveragercConfigMap: prepared.coveragerc.metadata.name,
            collectorLabels: home.collectorLabels,
            command: wrappedHarvestCommand(
                home.namespaceName,
                harvestJobName(runId),
                harvestCommand({
                    stack: plan.stack,
                    runId,
                    keepRuns: resolved.keepRuns,
                    services: measuredServices(resolved.services).map((s) => ({
                        name: s.name,
                        sourcePath: s.sourcePath,
                    })),
                    volumeName: claimName,
                    reports: { reportDir: REPORTS_DIR },
                    lostProcesses: resolved.lostProcesses,
                }),
            ),
            // The test run copied the sources from the images on this machine; they came with its tar.
            sources: [],
        },
        { parent: component, dependsOn: [upload] },
    );
    const fetched = clusterCommand(
        `${name}-reports-home`,
        FETCH_SCRIPT,
        runId,
        env.apply((e) => ({ ...e, COVERAGE_SPY_TO: plan.runDir })),
        { parent: component, dependsOn: [job] },
    );
    return { harvester: job, failure: fetched.stdout.apply(() => undefined) };
}
