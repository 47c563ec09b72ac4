// planRun's choice of engine: the cluster when the component was given a kubernetes provider, Docker otherwise, and
// what cannot work on a cluster refused before anything is created.
import * as pulumi from "@pulumi/pulumi";
import { installMockEngine } from "../mockEngine";
import { tempDir } from "../fixtures";
import { declarationsSettled, parentNamed, stepArgs } from "../stack/stepInputs";

const engine = installMockEngine();

/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
const { planRun } = require("../../../components/stack/planRun") as typeof import("../../../components/stack/planRun");
const { CoverageSpyInputError } =
    require("../../../components/options/inputError") as typeof import("../../../components/options/inputError");
/* eslint-enable @typescript-eslint/no-require-imports */

type Args = Parameters<typeof planRun>[0];

/** A component given a kubernetes provider, as a program declares one. */
function clusterComponent(name: string): pulumi.ComponentResource {
    const provider = new k8s.Provider(`${name}-kind`, { kubeconfig: "{}" });
    return new pulumi.ComponentResource("test:index:Parent", name, {}, { providers: [provider] });
}

function planFor(component: pulumi.Resource | undefined, args: Args) {
    return planRun(args, { stack: "ci", project: "shop", projectDir: tempDir(), component });
}

function problemsOf(component: pulumi.Resource, args: Args): string[] {
    try {
        planFor(component, args);
    } catch (err) {
        expect(err).toBeInstanceOf(CoverageSpyInputError);
        return (err as InstanceType<typeof CoverageSpyInputError>).problems;
    }
    throw new Error("planRun accepted the input");
}

describe("planRun's engine choice", () => {
    it("runs on the cluster when the component was given a kubernetes provider, in the stack's namespace", () => {
        const plan = planFor(clusterComponent("kube"), stepArgs("/tmp/reports"));
        expect(plan.kubernetes).toEqual(expect.objectContaining({ namespace: "coverage-spy-shop-ci" }));
    });

    it("runs on Docker without one: a component given only other providers, or none", () => {
        expect(planFor(parentNamed("plain"), stepArgs("/tmp/reports")).kubernetes).toBeUndefined();
        expect(planFor(undefined, stepArgs("/tmp/reports")).kubernetes).toBeUndefined();
    });

    it("lets kubectl reach the provider's cluster through KUBECONFIG, when it is set", () => {
        const saved = process.env.KUBECONFIG;
        process.env.KUBECONFIG = "/home/me/.kube/kind";
        try {
            expect(planFor(clusterComponent("kubeconfig"), stepArgs("/tmp/reports")).kubernetes?.kubeconfig).toBe(
                "/home/me/.kube/kind",
            );
        } finally {
            if (saved === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = saved;
        }
    });

    it("refuses at preview, all at once, what a cluster cannot do: a remote engine, service options (per-test contexts it can)", () => {
        const args = stepArgs("/tmp/reports", { remoteEngine: true, perTestContexts: true });
        args.services = [
            { name: "Shop_API", image: "shop:prod", sourcePath: "/app", ports: [{ internal: 8000 }] },
            {
                name: "worker",
                image: "worker:prod",
                sourcePath: "/srv",
                mounts: [{ source: "/data", target: "/data" }],
            },
        ];
        const problems = problemsOf(clusterComponent("refused"), args);
        expect(problems).toEqual([
            // The options' own problem first, then what the cluster cannot do.
            "services[1].mounts[0].source does not exist: /data",
            expect.stringMatching(/^remoteEngine: true names a remote Docker engine.*remove remoteEngine/),
            expect.stringMatching(/^services\[0\]\.name "Shop_API" cannot name a Kubernetes Service.*"shop-api"/),
            expect.stringMatching(/^services\[1\]\.mounts: /),
        ]);
    });

    it("accepts on Docker what it refuses on a cluster", () => {
        const args = stepArgs("/tmp/reports", { perTestContexts: true });
        args.services[0].name = "Shop_API";
        expect(() => planFor(parentNamed("docker"), args)).not.toThrow();
    });

    it("takes a service's replicas on a cluster, and refuses more than one container of a service on Docker", () => {
        const args = stepArgs("/tmp/reports");
        args.services[0].replicas = 3;
        expect(planFor(clusterComponent("replicas"), args).resolved.services[0].replicas).toBe(3);
        expect(problemsOf(parentNamed("docker-replicas"), args)).toEqual([
            "services[0].replicas 3: a Docker engine runs one container per service; replicas is for a Kubernetes " +
                "cluster (a kubernetes provider or the kubernetes option): remove it, or run this stack on a cluster",
        ]);
        args.services[0].replicas = 1;
        expect(planFor(parentNamed("docker-one"), args).resolved.services[0].replicas).toBe(1);
        args.services[0].replicas = 0;
        expect(problemsOf(clusterComponent("no-replicas"), args)).toEqual([
            expect.stringMatching(/^services\[0\]\.replicas must be .*1/),
        ]);
    });

    it("declares nothing, on either engine", async () => {
        await declarationsSettled();
        const before = engine.resources.length;
        planFor(parentNamed("nothing"), stepArgs("/tmp/reports"));
        planFor(clusterComponent("nothing-either"), stepArgs("/tmp/reports"));
        await declarationsSettled();
        // What the test declared itself, and nothing more.
        expect(
            engine.resources
                .slice(before)
                .map((r) => r.type)
                .sort(),
        ).toEqual(["pulumi:providers:kubernetes", "test:index:Parent", "test:index:Parent"]);
    });
});
