// A failed harvest Job says why: its containers end with their log's tail as the termination message, which the
// Kubernetes provider's Job await (4.25.0: a terminated container's message, "[Error] <message>") puts into the
// update's error instead of only "Container "harvester" completed with exit code N".
import type * as k8s from "@pulumi/kubernetes";
import { installMockEngine } from "../mockEngine";
import { FIXTURE_RUN_ID } from "../fixtures";
import { declarationsSettled, parentNamed } from "../stack/stepInputs";
import { JOB, inputsOf } from "./kubernetesInputs";

const engine = installMockEngine();

/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { createHarvestJob } =
    require("../../../components/engine/kubernetes/harvestJob") as typeof import("../../../components/engine/kubernetes/harvestJob");
/* eslint-enable @typescript-eslint/no-require-imports */

type PodSpec = k8s.types.output.core.v1.PodSpec;

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
