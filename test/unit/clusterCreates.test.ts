import {
    ClusterDeployment,
    ClusterStateResource,
    kubernetesObjectId,
    recordPendingClusterCreates,
} from "../../cli/recovery/clusterCreates";

const STACK_URN = "urn:pulumi:s::p::coverage-spy:index:CoverageSpyStack";

/** A resource of the run as an update's state holds it, or as a pending operation does (no id yet). */
function resource(type: string, name: string, namespace?: string, id?: string): ClusterStateResource {
    const kind = type.split(":").pop();
    return {
        urn: `${STACK_URN}$${type}::demo-${name}`,
        type,
        ...(id !== undefined ? { id } : {}),
        inputs: { kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) } },
    };
}

const NAMESPACE = "kubernetes:core/v1:Namespace";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("a killed update's creates on a cluster", () => {
    it("names an object as the provider does: namespace/name, or name for a cluster-wide one", () => {
        expect(kubernetesObjectId({ metadata: { name: "app", namespace: "ns" } })).toBe("ns/app");
        expect(kubernetesObjectId({ metadata: { name: "ns" } })).toBe("ns");
        expect(kubernetesObjectId({ metadata: {} })).toBeUndefined();
        expect(kubernetesObjectId(undefined)).toBeUndefined();
    });

    it("records each pending create of a Kubernetes object, with its id and its inputs as outputs", () => {
        const known = resource(NAMESPACE, "ns", undefined, "ns");
        const deployment: ClusterDeployment = {
            resources: [known],
            pending_operations: [
                { type: "creating", resource: resource(DEPLOYMENT, "app", "ns") },
                { type: "creating", resource: resource(DEPLOYMENT, "coverage-spy-collector", "ns") },
            ],
        };
        const recorded = recordPendingClusterCreates(deployment);
        expect(recorded).toEqual([
            { urn: `${STACK_URN}$${DEPLOYMENT}::demo-app`, object: "Deployment ns/app" },
            {
                urn: `${STACK_URN}$${DEPLOYMENT}::demo-coverage-spy-collector`,
                object: "Deployment ns/coverage-spy-collector",
            },
        ]);
        expect(deployment.resources).toHaveLength(3);
        expect(deployment.resources![1]).toEqual(
            expect.objectContaining({
                id: "ns/app",
                outputs: { kind: "Deployment", metadata: { name: "app", namespace: "ns" } },
            }),
        );
    });

    it("leaves other operations alone: updates, other providers' creates, a URN the state holds, generated names", () => {
        const known = resource(DEPLOYMENT, "app", "ns", "ns/app");
        const command = { urn: `${STACK_URN}$command:local:Command::demo-test-run`, type: "command:local:Command" };
        const deployment: ClusterDeployment = {
            resources: [known],
            pending_operations: [
                { type: "updating", resource: resource(DEPLOYMENT, "collector", "ns") },
                { type: "creating", resource: command },
                { type: "creating", resource: resource(DEPLOYMENT, "app", "ns") },
                { type: "creating", resource: { ...resource(DEPLOYMENT, "x", "ns"), inputs: { metadata: {} } } },
                {
                    type: "creating",
                    resource: {
                        urn: `${STACK_URN}$pulumi:providers:kubernetes::kind`,
                        type: "pulumi:providers:kubernetes",
                    },
                },
            ],
        };
        expect(recordPendingClusterCreates(deployment)).toEqual([]);
        expect(deployment.resources).toEqual([known]);
    });
});
