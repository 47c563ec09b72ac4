import * as fs from "fs";
import * as path from "path";
import type * as k8s from "@pulumi/kubernetes";
import { installMockEngine, valueOf } from "../mockEngine";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import { PARENT, declarationsSettled, parentNamed } from "../stack/stepInputs";
import { JOB, containerNamed, inputsOf, runShellCommand } from "./kubernetesInputs";

const engine = installMockEngine();

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { createHarvestJob, claimRunReportDir, CLAIM_REPORTS_FOLDER } =
    require("../../../components/engine/kubernetes/harvestJob") as typeof import("../../../components/engine/kubernetes/harvestJob");
const { harvestJobName, stackLabels } =
    require("../../../components/engine/kubernetes/names") as typeof import("../../../components/engine/kubernetes/names");
const { harvestCommand } =
    require("../../../components/harvester/harvester") as typeof import("../../../components/harvester/harvester");
/* eslint-enable @typescript-eslint/no-require-imports */

const NS = "coverage-spy-shop-dev";
const LABELS = stackLabels("shop", "dev");
const COLLECTOR_LABELS = { ...LABELS, "coverage-spy.role": "collector" };
const SOURCES = [
    { service: "shop", image: "shop:prod", sourcePath: "/app" },
    { service: "Worker_2", image: "worker:prod", sourcePath: "/srv/worker" },
];

/** The harvester's command as the harvest step builds it: the Docker one, reports in a report folder. */
const command = harvestCommand({
    stack: "dev",
    runId: FIXTURE_RUN_ID,
    keepRuns: 10,
    lostProcesses: "warn",
    volumeName: "coverage-spy-data",
    services: SOURCES.map((s) => ({ name: s.service, sourcePath: s.sourcePath })),
    reports: { reportDir: "/not/used/on/kubernetes" },
});

const job = createHarvestJob(
    "run",
    {
        namespace: NS,
        labels: LABELS,
        runId: FIXTURE_RUN_ID,
        spyImage: "coverage-spy/spy:abc",
        imagePullPolicy: "Never",
        claimName: "coverage-spy-data",
        coveragercConfigMap: "coverage-spy-coveragerc",
        collectorLabels: COLLECTOR_LABELS,
        command,
        sources: SOURCES,
    },
    { parent: parentNamed("run") },
);

type JobArgs = { metadata: k8s.types.output.meta.v1.ObjectMeta; spec: k8s.types.output.batch.v1.JobSpec };
const recorded = () => inputsOf<JobArgs>(engine.one(JOB, "run-harvester"));
const pod = () => recorded().spec.template.spec;

beforeAll(declarationsSettled);

describe("the harvest Job", () => {
    it("is a child of the component, named after the run, labelled with the stack, the run and its role", async () => {
        const { metadata, spec } = recorded();
        expect([metadata.name, metadata.namespace]).toEqual([harvestJobName(FIXTURE_RUN_ID), NS]);
        const labels = { ...LABELS, "coverage-spy.run-id": FIXTURE_RUN_ID, "coverage-spy.role": "harvester" };
        expect(metadata.labels).toEqual(labels);
        expect(spec.template.metadata.labels).toEqual(labels);
        expect(await valueOf(job.urn)).toContain(`${PARENT}$${JOB}::run-harvester`);
    });

    it("is never retried", () => {
        expect(recorded().spec.backoffLimit).toBe(0);
        expect(pod().restartPolicy).toBe("Never");
    });

    it("runs on the collector's node, where the ReadWriteOnce claim is mounted", () => {
        expect(pod().affinity).toEqual({
            podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                    { labelSelector: { matchLabels: COLLECTOR_LABELS }, topologyKey: "kubernetes.io/hostname" },
                ],
            },
        });
    });

    it("runs harvest.py with the Docker harvester's arguments, the claim's name and its reports folder", () => {
        const harvester = containerNamed(pod(), "harvester");
        expect([harvester.image, harvester.imagePullPolicy]).toEqual(["coverage-spy/spy:abc", "Never"]);
        expect(harvester.command).toEqual(command);
        const args = harvester.command.join(" ");
        expect(args).toContain(`--data-dir /opt/coverage-spy/data --run-id ${FIXTURE_RUN_ID}`);
        expect(args).toContain(`--out /opt/coverage-spy/reports/runs/${FIXTURE_RUN_ID}`);
        expect(args).toContain("--volume-name coverage-spy-data --service shop=/app --service Worker_2=/srv/worker");
        expect(harvester.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0 });
    });

    it("mounts the claim as the data folder, its reports folder as the report folder, the rcfile read-only", () => {
        expect(containerNamed(pod(), "harvester").volumeMounts).toEqual([
            { name: "coverage-data", mountPath: "/opt/coverage-spy/data" },
            { name: "coverage-data", mountPath: "/opt/coverage-spy/reports", subPath: "reports" },
            { name: "coveragerc", mountPath: "/opt/coverage-spy/config", readOnly: true },
        ]);
        expect(pod().volumes).toEqual([
            { name: "coverage-data", persistentVolumeClaim: { claimName: "coverage-spy-data" } },
            { name: "coveragerc", configMap: { name: "coverage-spy-coveragerc" } },
        ]);
        // Where the collector's pod finds the reports the harvester wrote at --out.
        expect(claimRunReportDir(FIXTURE_RUN_ID)).toBe(
            `/opt/coverage-spy/data/${CLAIM_REPORTS_FOLDER}/runs/${FIXTURE_RUN_ID}`,
        );
    });

    it("copies each measured service's source from its own image into the run's sources/ first", () => {
        const copies = pod().initContainers;
        expect(copies.map((c) => [c.name, c.image, c.command.slice(4)])).toEqual([
            ["source-shop", "shop:prod", [`/opt/coverage-spy/reports/runs/${FIXTURE_RUN_ID}/sources/shop`, "/app"]],
            [
                expect.stringMatching(/^source-worker-2-[0-9a-f]{8}$/),
                "worker:prod",
                [`/opt/coverage-spy/reports/runs/${FIXTURE_RUN_ID}/sources/Worker_2`, "/srv/worker"],
            ],
        ]);
        for (const copy of copies) {
            expect(copy.volumeMounts).toEqual([
                { name: "coverage-data", mountPath: "/opt/coverage-spy/reports", subPath: "reports" },
            ]);
            expect(copy.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0 });
        }
    });
});

describe("the source copy's command, run here", () => {
    it("replaces an older copy with the whole source, hidden files and odd names included", () => {
        const root = tempDir();
        const source = path.join(root, "app");
        fs.mkdirSync(path.join(source, "pkg"), { recursive: true });
        fs.writeFileSync(path.join(source, "pkg", "a b.py"), "x = 1\n");
        fs.writeFileSync(path.join(source, ".hidden.py"), "y = 2\n");
        const target = path.join(root, "reports", "runs", "r1", "sources", "shop $(x)");
        fs.mkdirSync(target, { recursive: true });
        fs.writeFileSync(path.join(target, "stale.py"), "old\n");
        const run = runShellCommand(pod().initContainers[0].command, [target, source]);
        expect([run.status, run.stderr]).toEqual([0, ""]);
        expect(fs.readdirSync(target).sort()).toEqual([".hidden.py", "pkg"]);
        expect(fs.readFileSync(path.join(target, "pkg", "a b.py"), "utf8")).toBe("x = 1\n");
    });
});
