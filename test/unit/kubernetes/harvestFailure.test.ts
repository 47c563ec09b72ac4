// A failed harvest Job says why: its containers end with their log's tail as the termination message, which the
// Kubernetes provider's Job await (4.25.0: a terminated container's message, "[Error] <message>") puts into the
// update's error instead of only "Container "harvester" completed with exit code N"; the harvester's log ends with
// the Job, its namespace and the kubectl commands to look further.
import * as pulumi from "@pulumi/pulumi";
import { installMockEngine } from "../mockEngine";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import { declarationsSettled, parentNamed } from "../stack/stepInputs";
import { nodeHolding } from "./kindNodes";
import { JOB, inputsOf, runShellCommand } from "./kubernetesInputs";

const engine = installMockEngine();

/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
const { createHarvestJob } =
    require("../../../components/engine/kubernetes/harvestJob") as typeof import("../../../components/engine/kubernetes/harvestJob");
const { HARVEST_WRAPPER } =
    require("../../../components/stack/kubernetes/kubernetesHarvest") as typeof import("../../../components/stack/kubernetes/kubernetesHarvest");
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
const { harvestJobName } =
    require("../../../components/engine/kubernetes/names") as typeof import("../../../components/engine/kubernetes/names");
/* eslint-enable @typescript-eslint/no-require-imports */

type PodSpec = import("@pulumi/kubernetes").types.output.core.v1.PodSpec;

createHarvestJob(
    "failing",
    {
        namespace: "coverage-spy-shop-dev",
        labels: { "coverage-spy.stack": "dev" },
        runId: FIXTURE_RUN_ID,
        spyImage: "coverage-spy/spy:abc",
        imagePullPolicy: "IfNotPresent",
        claimName: "coverage-spy-data",
        coveragercConfigMap: "coverage-spy-coveragerc",
        collectorLabels: { "coverage-spy.role": "collector" },
        command: ["python3", "/opt/coverage-spy/harvest.py"],
        sources: [{ service: "shop", image: "shop:prod", sourcePath: "/app" }],
    },
    { parent: parentNamed("failing") },
);

describe("a failed harvest Job's error", () => {
    beforeAll(declarationsSettled);

    it("carries the tail of the harvester's own log, and of a failed source copy's", () => {
        const pod = inputsOf<{ spec: { template: { spec: PodSpec } } }>(engine.one(JOB, "failing")).spec.template.spec;
        const containers = [...(pod.initContainers ?? []), ...pod.containers];
        expect(containers.map((c) => c.name)).toEqual(["source-shop", "harvester"]);
        for (const container of containers) expect(container.terminationMessagePolicy).toBe("FallbackToLogsOnError");
    });
});

/** A run of one measured service on a cluster, through every step: its harvest Job's harvester container. */
function harvesterOfARun(name: string) {
    const provider = new k8s.Provider(`${name}-kind`, { kubeconfig: "{}" });
    const parent = new pulumi.ComponentResource("test:index:Parent", name, {}, { providers: [provider] });
    const reportDir = tempDir();
    const planned = planRun(
        {
            services: [{ name: "worker", image: "worker:prod", sourcePath: "/srv/worker", imagePythonPath: "" }],
            testCommand: "pytest tests/e2e",
            reportDir,
            runId: FIXTURE_RUN_ID,
        },
        { stack: "ci", project: "shop", projectDir: reportDir, component: parent },
    );
    const node = nodeHolding("172.18.0.3", ["docker.io/library/worker:prod", `docker.io/${planned.spyImage.image}`]);
    const plan = { ...planned, engine: kubernetesRunEngine(planned.kubernetes!, planned.resolved, () => [node]) };
    const prepared = prepareRun(parent, name, plan, (m) => new Error(m));
    const services = startServices(parent, name, plan, prepared);
    harvestRun(parent, name, plan, prepared, runSuite(parent, name, plan, prepared, services));
}

/** The wrapper run by a real sh around a stand-in harvester (a sh script), as the Job's container runs it. */
function wrapped(namespace: string, job: string, harvester: string) {
    return runShellCommand(["sh", "-c", HARVEST_WRAPPER, "sh"], [namespace, job, "sh", "-c", harvester]);
}

describe("the harvester's log on failure", () => {
    it("ends with the Job, its namespace and the kubectl commands, after the harvester's own words", () => {
        const namespace = "coverage-spy-shop ci'$(x)";
        const ran = wrapped(
            namespace,
            "coverage-spy-harvest-r1",
            "echo 'coverage-spy harvest failed: no data' >&2; exit 3",
        );
        expect(ran.status).toBe(3);
        expect(ran.stderr).toBe(
            "coverage-spy harvest failed: no data\n" +
                `coverage-spy: the harvest Job coverage-spy-harvest-r1 in namespace ${namespace} failed (exit code 3): ` +
                `its whole log: kubectl --namespace ${namespace} logs job/coverage-spy-harvest-r1 -c harvester; ` +
                `the Job and its pod: kubectl --namespace ${namespace} describe job/coverage-spy-harvest-r1\n`,
        );
    });

    it("is the harvester's alone when it succeeds", () => {
        const ran = wrapped("ns", "job", "echo harvested");
        expect(ran.status).toBe(0);
        expect(ran.stdout).toBe("harvested\n");
        expect(ran.stderr).toBe("");
    });

    it("is what the run's harvest Job runs: the wrapper around the harvester's command, given its names", async () => {
        harvesterOfARun("wrapped");
        await declarationsSettled();
        const pod = inputsOf<{ spec: { template: { spec: PodSpec } } }>(engine.one(JOB, "wrapped")).spec.template.spec;
        const command = pod.containers[0].command ?? [];
        expect(command.slice(0, 6)).toEqual([
            "sh",
            "-c",
            HARVEST_WRAPPER,
            "sh",
            "coverage-spy-shop-ci",
            harvestJobName(FIXTURE_RUN_ID),
        ]);
        expect(command.slice(6, 8)).toEqual(["python3", expect.stringContaining("harvest")]);
    });
});
