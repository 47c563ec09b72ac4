import type * as command from "@pulumi/command";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { claimRunReportDir } from "../../engine/kubernetes/claimPods";
import { DataHome, COLLECTOR_ROLE } from "../../engine/kubernetes/dataHome";
import { COLLECTOR_NAME } from "../../engine/kubernetes/names";
import { ImagePullPolicy } from "../../engine/kubernetes/objectBasics";
import { harvestCommand } from "../../harvester/harvester";
import { measuredServices } from "../../options/resolveArgs";
import { REPORTS_DIR } from "../../shared/layout";
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
    /** The node address the test run reaches the NodePorts on. */
    nodeAddress: string;
    spyImage: pulumi.Input<string>;
    imagePullPolicy: ImagePullPolicy;
}

/** The tar the test run packs tests.json and sources/ into, for the harvest on the cluster. */
export function runTarOf(reportDir: string): string {
    return path.join(reportDir, "engine", "run-inputs.tar");
}

/** The collector's container, which kubectl exec reaches the data claim through, and where the harvest runs. */
const COLLECTOR = ["deployment/" + COLLECTOR_NAME, "-c", COLLECTOR_ROLE];

/**
 * Runs in the collector's container: unpacks the run's results (tests.json, sources/: the tar on stdin) into the
 * run's report folder on the claim, harvests (the harvester's command after the folder; its words go to stderr) and
 * writes the report folder to stdout as a tar. No single quote: it is quoted as one word in CLUSTER_HARVEST_SCRIPT.
 */
const IN_THE_COLLECTOR = [
    "set -e",
    'dir="$1"',
    "shift",
    'mkdir -p "$dir"',
    'tar -x -C "$dir"',
    '"$@" >&2',
    'exec tar -C "$dir" -cf - .',
].join("\n");

/**
 * The harvest, on this machine: the harvester's arguments (one a line) become the positional parameters, then one
 * `kubectl exec` into the collector takes the run's tar in and the reports' tar out, which is unpacked into the host's
 * run folder. Its values come from the environment: the shell parses none of them.
 */
export const CLUSTER_HARVEST_SCRIPT = [
    "set -e",
    "set --",
    'while IFS= read -r arg; do set -- "$@" "$arg"; done <<EOF',
    "$COVERAGE_SPY_HARVEST_COMMAND",
    "EOF",
    'mkdir -p "$COVERAGE_SPY_TO"',
    'tar_file="$COVERAGE_SPY_TO/.reports-from-cluster.tar"',
    "status=0",
    `kubectl --namespace "$COVERAGE_SPY_NAMESPACE" exec -i ${COLLECTOR.join(" ")} -- ` +
        `sh -c '${IN_THE_COLLECTOR}' sh "$COVERAGE_SPY_CLAIM_DIR" "$@" < "$COVERAGE_SPY_TAR" > "$tar_file" || status=$?`,
    'if [ "$status" -ne 0 ]; then',
    '  rm -f "$tar_file"',
    "  printf 'coverage-spy: the harvest in the collector of namespace %s failed (exit code %s): its own words are " +
        `above; more in: kubectl --namespace %s logs ${COLLECTOR.join(" ")}\\n' ` +
        '"$COVERAGE_SPY_NAMESPACE" "$status" "$COVERAGE_SPY_NAMESPACE" >&2',
    '  exit "$status"',
    "fi",
    'tar -xf "$tar_file" -C "$COVERAGE_SPY_TO"',
    'rm -f "$tar_file"',
    'echo "reports harvested on the cluster, brought into $COVERAGE_SPY_TO"',
].join("\n");

/** The harvester's arguments, one a line, as CLUSTER_HARVEST_SCRIPT reads them. */
export function argumentLines(args: string[]): string {
    const multiline = args.find((a) => a.includes("\n"));
    if (multiline !== undefined)
        throw new Error(
            `coverage-spy: a harvest argument holds a line break, which the harvest cannot pass on: ${JSON.stringify(multiline)}`,
        );
    return args.join("\n");
}

/**
 * Once the test run ended: its results (tests.json, the measured sources) go to the run's report folder on the
 * claim, the harvest runs in the collector's container (no pod to start: it already mounts the claim and the rcfile)
 * on the data the shippers brought, and the reports come back into the host's run folder, all in one `kubectl exec`.
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
    const harvestArgs = pulumi.all(
        harvestCommand({
            stack: plan.stack,
            runId,
            keepRuns: resolved.keepRuns,
            services: measuredServices(resolved.services).map((s) => ({ name: s.name, sourcePath: s.sourcePath })),
            volumeName: home.claim.metadata.name,
            reports: { reportDir: REPORTS_DIR },
            lostProcesses: resolved.lostProcesses,
        }),
    );
    const harvest = clusterCommand(
        `${name}-harvest`,
        CLUSTER_HARVEST_SCRIPT,
        runId,
        pulumi.all([env, harvestArgs]).apply(([e, args]) => ({
            ...e,
            COVERAGE_SPY_TAR: runTarOf(resolved.reportDir),
            COVERAGE_SPY_TO: plan.runDir,
            COVERAGE_SPY_HARVEST_COMMAND: argumentLines(args),
        })),
        { parent: component, dependsOn: [testRun, home.collector] },
    );
    return { harvester: harvest, failure: harvest.stdout.apply(() => undefined) };
}
