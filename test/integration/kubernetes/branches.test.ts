// Two branch stacks of one project on the project's kind cluster at once: both `pulumi up` started together, each
// stack in its own namespace, both suites green with the demo's lines; destroying one leaves the other as it was, and
// destroying both leaves nothing with either stack's label in the cluster.
import { LABEL_STACK } from "../../../components/shared/naming";
import { expectDemoLines } from "../freshProject";
import { CLUSTER_UP_MS, KubernetesProgram, prepareCluster, Up, UP_MS } from "./program";

const BRANCHES = [`itest-k8s-main-${process.pid}`, `itest-k8s-feature-${process.pid}`];
// The kinds whose objects a stack keeps between runs (pods come and go with each run).
const KEPT = "namespace,deployment,service,persistentvolumeclaim,configmap";

let program: KubernetesProgram;
const standing = new Set<string>();
let ups: Up[];

function kept(stack: string): string[] {
    return program
        .kubectl(["get", KEPT, "--all-namespaces", "-l", `${LABEL_STACK}=${stack}`, "-o", "name"])
        .split("\n")
        .filter((line) => line !== "")
        .sort();
}

beforeAll(async () => {
    program = new KubernetesProgram("itest-k8s-branches", prepareCluster());
    for (const stack of BRANCHES) {
        program.initStack(stack);
        standing.add(stack);
    }
    ups = await Promise.all(BRANCHES.map((stack) => program.upAsync(stack)));
}, CLUSTER_UP_MS + UP_MS);

afterAll(() => program?.cleanup([...standing]), 2 * UP_MS);

describe("two branch stacks of one project on a Kubernetes cluster at once", () => {
    it("brings both up together, each green with exactly the demo's lines", () => {
        for (const up of ups) {
            expect(up.summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 0 }));
            expect(up.summary.lostProcesses).toEqual([]);
            expectDemoLines(up.summary);
        }
        expect(ups[0].runId).not.toBe(ups[1].runId);
    });

    it("keeps each stack in its own namespace, every object of it there", () => {
        const namespaces = BRANCHES.map((stack) => program.namespace(stack));
        expect(new Set(namespaces).size).toBe(2);
        for (const [index, stack] of BRANCHES.entries()) {
            const objects = kept(stack);
            expect(objects).toContain(`namespace/${namespaces[index]}`);
            const inNamespace = program
                .kubectl(["get", KEPT.replace("namespace,", ""), "--namespace", namespaces[index], "-o", "name"])
                .split("\n")
                // The cluster puts its CA's ConfigMap in every namespace: it goes with the namespace.
                .filter((line) => line !== "" && line !== "configmap/kube-root-ca.crt")
                .sort();
            expect(objects.filter((name) => !name.startsWith("namespace/"))).toEqual(inNamespace);
            // Each service's Service reaches it on its own NodePort.
            expect(ups[index].url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:3\d{4}$/);
        }
        expect(ups[0].url).not.toBe(ups[1].url);
    });

    it(
        "destroys one stack without touching the other: its objects and its run's data stay",
        () => {
            const [gone, survivor] = BRANCHES;
            const before = kept(survivor);
            const dataBefore = program.podFiles(survivor, ups[1].runId);
            program.destroy(gone);
            standing.delete(gone);
            expect(program.labelled(gone)).toEqual([]);
            expect(kept(survivor)).toEqual(before);
            expect(program.podFiles(survivor, ups[1].runId)).toEqual(dataBefore);
            expect(Object.keys(dataBefore)).toHaveLength(2);
        },
        UP_MS,
    );

    it(
        "leaves nothing with either stack's label once both are destroyed",
        () => {
            program.destroy(BRANCHES[1]);
            standing.delete(BRANCHES[1]);
            for (const stack of BRANCHES) expect(program.labelled(stack)).toEqual([]);
        },
        UP_MS,
    );
});
