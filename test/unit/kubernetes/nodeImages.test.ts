// Images on the cluster's nodes, checked at preview: every image the pods use must be on every node they can go
// to (the services' images are loaded into the nodes, never rebuilt), read from the real cluster's `kubectl get
// nodes -o json` (fixtures/kind-nodes.json).
import * as pulumi from "@pulumi/pulumi";
import { installMockEngine } from "../mockEngine";
import { tempDir } from "../fixtures";
import { kindNodes, nodeNamed } from "./kindNodes";
import { shownWord } from "../../../components/shared/shell";

const engine = installMockEngine();

/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
const { planRun } = require("../../../components/stack/planRun") as typeof import("../../../components/stack/planRun");
const { prepareRun } =
    require("../../../components/stack/prepareRun") as typeof import("../../../components/stack/prepareRun");
const { kubernetesRunEngine } =
    require("../../../components/stack/kubernetes/kubernetesRun") as typeof import("../../../components/stack/kubernetes/kubernetesRun");
const images =
    require("../../../components/stack/kubernetes/nodeImages") as typeof import("../../../components/stack/kubernetes/nodeImages");
const { spyDockerBuild } =
    require("../../../components/engine/spyImage") as typeof import("../../../components/engine/spyImage");
/* eslint-enable @typescript-eslint/no-require-imports */

type NodeJson = import("../../../components/stack/kubernetes/nodeAddress").NodeJson;

/** What the fixture's nodes hold besides the cluster's own: the demo and the spy image kind-loaded into them. */
const DEMO = "coverage-spy/demo-app:latest";
const LOADED_SPY = "coverage-spy/spy:69fa4d3abc7d88c5b06f";

function need(image: string, owner = "service demo") {
    return { owner, image };
}

/** Removes an image (by one of its names) from a node's list, as on a node it was never loaded into. */
function without(node: NodeJson, listedAs: string): void {
    node.status!.images = node.status!.images!.filter((i) => !(i.names ?? []).includes(listedAs));
}

/** Pads a node's list to `count` images of other names. */
function listing(node: NodeJson, count: number): void {
    const list = node.status!.images!;
    while (list.length < count) list.push({ names: [`docker.io/library/filler-${list.length}:1`] });
}

describe("the names a node lists images under", () => {
    it("normalises Docker Hub names as the node's runtime does", () => {
        expect(images.nodeImageName("demo:1")).toBe("docker.io/library/demo:1");
        expect(images.nodeImageName("python")).toBe("docker.io/library/python:latest");
        expect(images.nodeImageName(LOADED_SPY)).toBe(`docker.io/${LOADED_SPY}`);
        expect(images.nodeImageName("coverage-spy/demo-app")).toBe("docker.io/coverage-spy/demo-app:latest");
    });

    it("leaves out an image named by a registry host or a digest: the nodes pull it", () => {
        for (const image of [
            "registry.example.com/shop:1",
            "localhost:5000/shop:1",
            "localhost/shop",
            "docker.io/library/shop:1",
            "shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ])
            expect(images.nodeImageName(image)).toBeUndefined();
    });
});

describe("which images the nodes the pods can go to lack", () => {
    it("finds nothing missing when every worker holds them (the real cluster, the demo loaded)", () => {
        const check = images.checkNodeImages([need(DEMO), need(LOADED_SPY, "spy")], kindNodes());
        expect(check).toEqual({ missing: [], unsure: [] });
    });

    it("lists an image missing from the workers on each worker, never on the tainted control plane", () => {
        const check = images.checkNodeImages([need("postgres:16", "service db"), need(DEMO)], kindNodes());
        expect(check.missing).toEqual([
            { image: "postgres:16", owners: ["service db"], nodes: ["coverage-spy-worker", "coverage-spy-worker2"] },
        ]);
    });

    it("refuses an image one worker lacks, naming only that worker", () => {
        const nodes = kindNodes();
        without(nodeNamed(nodes, "coverage-spy-worker2"), `docker.io/${DEMO}`);
        const check = images.checkNodeImages([need(DEMO), need(DEMO, "service other")], nodes);
        expect(check.missing).toEqual([
            { image: DEMO, owners: ["service demo", "service other"], nodes: ["coverage-spy-worker2"] },
        ]);
    });

    it("ignores nodes no pod can go to: tainted NoSchedule or NoExecute, or cordoned", () => {
        const nodes = kindNodes();
        without(nodeNamed(nodes, "coverage-spy-worker"), `docker.io/${DEMO}`);
        nodeNamed(nodes, "coverage-spy-worker").spec!.unschedulable = true;
        expect(images.checkNodeImages([need(DEMO)], nodes).missing).toEqual([]);
        nodeNamed(nodes, "coverage-spy-worker").spec = { taints: [{ effect: "NoExecute" }] };
        expect(images.checkNodeImages([need(DEMO)], nodes).missing).toEqual([]);
        nodeNamed(nodes, "coverage-spy-worker").spec = { taints: [{ effect: "PreferNoSchedule" }] };
        expect(images.checkNodeImages([need(DEMO)], nodes).missing).toHaveLength(1);
    });

    it("does not check an image the nodes pull from a registry", () => {
        expect(images.checkNodeImages([need("registry.example.com/demo:1")], kindNodes())).toEqual({
            missing: [],
            unsure: [],
        });
    });

    it("only warns when the lacking node lists as many images as a kubelet reports at most", () => {
        const nodes = kindNodes();
        for (const name of ["coverage-spy-worker", "coverage-spy-worker2"]) {
            without(nodeNamed(nodes, name), `docker.io/${DEMO}`);
            listing(nodeNamed(nodes, name), images.NODE_STATUS_MAX_IMAGES);
        }
        expect(images.checkNodeImages([need(DEMO)], nodes)).toEqual({
            missing: [],
            unsure: [{ image: DEMO, owners: ["service demo"], nodes: ["coverage-spy-worker", "coverage-spy-worker2"] }],
        });
        // One image fewer on one node: its list is whole, so the image is surely missing there.
        nodeNamed(nodes, "coverage-spy-worker2").status!.images!.pop();
        expect(images.checkNodeImages([need(DEMO)], nodes).missing).toHaveLength(1);
    });

    it("only warns about a node that lists no image at all (its kubelet reports none)", () => {
        const nodes = kindNodes();
        nodeNamed(nodes, "coverage-spy-worker").status!.images = [];
        delete nodeNamed(nodes, "coverage-spy-worker2").status!.images;
        expect(images.checkNodeImages([need(DEMO)], nodes)).toEqual({
            missing: [],
            unsure: [{ image: DEMO, owners: ["service demo"], nodes: ["coverage-spy-worker", "coverage-spy-worker2"] }],
        });
    });

    it("reads the kind cluster's name from the nodes' providerID, and none from another cluster's", () => {
        expect(images.kindClusterOf(kindNodes())).toBe("coverage-spy");
        const cloud = kindNodes().map((n) => ({ ...n, spec: { providerID: "aws:///eu-west-1a/i-0abc" } }));
        expect(images.kindClusterOf(cloud)).toBeUndefined();
    });
});

/** A component given a kubernetes provider, planned for the demo (measured) and a database (plain). */
function planOnCluster(name: string, nodes: NodeJson[]) {
    const provider = new k8s.Provider(`${name}-kind`, { kubeconfig: "{}" });
    const component = new pulumi.ComponentResource("test:index:Parent", name, {}, { providers: [provider] });
    const reportDir = tempDir();
    const planned = planRun(
        {
            services: [
                { name: "demo", image: DEMO, sourcePath: "/app", imagePythonPath: "", ports: [{ internal: 8000 }] },
                { name: "db", image: "postgres:16", instrument: false, ports: [{ internal: 5432 }] },
            ],
            testCommand: "pytest tests/e2e",
            reportDir,
        },
        { stack: "ci", project: "shop", projectDir: reportDir, component },
    );
    const plan = { ...planned, engine: kubernetesRunEngine(planned.kubernetes!, planned.resolved, () => nodes) };
    return { plan, component, prepare: () => prepareRun(component, name, plan, (m) => new Error(m)) };
}

function refusalOf(prepare: () => unknown): string {
    try {
        prepare();
    } catch (err) {
        return (err as Error).message;
    }
    throw new Error("the run was not refused");
}

describe("the run on a cluster whose nodes lack images", () => {
    it("is refused at preview with one error listing every missing image and the kind load that fixes it", () => {
        const nodes = kindNodes();
        const { plan, prepare } = planOnCluster("lacking", nodes);
        const before = engine.resources.length;
        const message = refusalOf(prepare);
        const spy = plan.spyImage.image;
        expect(message).toContain("postgres:16 (service db): not on coverage-spy-worker, coverage-spy-worker2");
        expect(message).toContain(`${spy} (the spy: measured pods' shipper sidecar, the collector and its harvest)`);
        expect(message).not.toContain(`${DEMO} (`);
        // As a reader would type them: plain words bare.
        expect(message).toContain(`kind load docker-image postgres:16 ${spy} --name coverage-spy`);
        // The spy image is coverage-spy's own: the message says how to build it on this machine first.
        expect(message).toContain(`build it there first: docker build --quiet --force-rm --file `);
        expect(message).toContain(spyDockerBuild(spy, plan.spyImage.recipe!, shownWord));
        // A node lists an image some seconds after it got it.
        expect(message).toContain("Images loaded in the last minute may not be listed yet: if so, run again.");
        expect(message).toContain("registry");
        // Nothing was declared: the namespace, claim and collector come after the check.
        expect(engine.resources.slice(before).filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
    });

    it("names kind's command with a placeholder, and the registry, on a cluster that is not kind's", () => {
        const nodes = kindNodes().map((n) => ({ ...n, spec: { ...n.spec, providerID: "gce://p/europe-west1-b/n" } }));
        const message = refusalOf(planOnCluster("cloud", nodes).prepare);
        expect(message).toContain("On a kind cluster, load them from this machine's Docker engine: kind load");
        expect(message).toContain("--name CLUSTER");
        expect(message).toContain("On any other cluster, push them to a registry the nodes pull from");
    });

    it("goes ahead with a warning when the lacking nodes' lists are at the kubelet's cap", () => {
        const nodes = kindNodes();
        const warn = jest.spyOn(pulumi.log, "warn");
        try {
            const { plan, prepare } = planOnCluster("capped", nodes);
            for (const name of ["coverage-spy-worker", "coverage-spy-worker2"]) {
                const node = nodeNamed(nodes, name);
                node.status!.images!.push({ names: ["docker.io/library/postgres:16"] });
                node.status!.images!.push({ names: [`docker.io/${plan.spyImage.image}`] });
                without(node, `docker.io/${DEMO}`);
                listing(node, images.NODE_STATUS_MAX_IMAGES);
            }
            prepare();
            expect(warn).toHaveBeenCalledTimes(1);
            const said = warn.mock.calls[0][0];
            expect(said).toContain(`${DEMO} (service demo): not on coverage-spy-worker, coverage-spy-worker2`);
            expect(said).toContain("--node-status-max-images");
        } finally {
            warn.mockRestore();
        }
    });
});
