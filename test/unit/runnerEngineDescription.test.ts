import {
    ReadinessDescription,
    RunDescription,
    readReadinessDescription,
    readRunDescription,
} from "../../components/testRun/runner/description";

/** A service as the test run reads it; `more` sets any other field. */
function service(more: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        name: "web",
        containerName: "app",
        sourcePath: "/app",
        readinessPath: "/",
        readinessTimeoutSeconds: 30,
        hasHealthcheck: false,
        stopGraceSeconds: 10,
        stopWave: 0,
        ...more,
    };
}

function run(more: Record<string, unknown> = {}): string {
    return JSON.stringify({
        runDir: "/tmp/run",
        testWorkingDir: "/tmp",
        testCommand: "true",
        testTimeoutSeconds: 0,
        services: [service({ deployment: "web" })],
        engine: { kind: "kubectl", namespace: "coverage-spy-demo-main" },
        ...more,
    });
}

const KUBECTL = {
    kind: "kubectl",
    kubectl: "/opt/k8s/bin/kubectl",
    kubeconfig: "/home/me/.cache/coverage-spy/k8s/kubeconfig",
    context: "kind-coverage-spy",
    namespace: "coverage-spy-demo-main",
};

describe("the run description's engine (components/testRun/runner/description.ts)", () => {
    it("keeps a description without an engine as it was: Docker, no Deployment", () => {
        const text = run({ engine: undefined, services: [service({ containerName: "Any_Docker.name" })] });
        expect(readRunDescription(text).engine).toBeUndefined();
    });

    it("reads the kubectl engine with its kubectl, kubeconfig, context, namespace and each service's Deployment", () => {
        const read: RunDescription = readRunDescription(run({ engine: KUBECTL }));
        expect(read.engine).toEqual(KUBECTL);
        expect(read.services[0].deployment).toBe("web");
    });

    it("lists every problem of a kubectl engine and of its services, each naming its field", () => {
        const text = run({
            engine: {
                kind: "kubectl",
                kubectl: "bin/kubectl",
                kubeconfig: "~/.kube/config",
                context: "",
                namespace: "Demo_NS",
            },
            services: [service({ containerName: "App_1" }), service({ name: "db", deployment: "Db" })],
        });
        expect(() => readRunDescription(text)).toThrow(
            "COVERAGE_SPY_TEST_RUN is not a run description: " +
                'engine.kubectl must be an absolute path, got "bin/kubectl"; ' +
                'engine.kubeconfig must be an absolute path, got "~/.kube/config"; ' +
                "engine.context must not be empty (leave it out for the current one); " +
                "engine.namespace 'Demo_NS' is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63); " +
                "services[0].deployment must be a string, got nothing; " +
                "services[0].containerName 'App_1' is not a Kubernetes container name (lower-case letters, digits and '-', at most 63); " +
                "services[1].deployment 'Db' is not a Kubernetes Deployment name",
        );
    });

    it("refuses a namespace longer than 63 characters and an engine of another kind", () => {
        expect(() => readRunDescription(run({ engine: { kind: "kubectl", namespace: "a".repeat(64) } }))).toThrow(
            `engine.namespace '${"a".repeat(64)}' is not a Kubernetes namespace name`,
        );
        expect(() => readRunDescription(run({ engine: { kind: "podman" } }))).toThrow(
            'engine must be {"kind": "docker"} or {"kind": "kubectl", ...}',
        );
        expect(() => readRunDescription(run({ engine: { kind: "kubectl" } }))).toThrow(
            "engine.namespace must be a string, got nothing",
        );
    });

    it("refuses a Deployment on the Docker engine, named or not", () => {
        for (const engine of [undefined, { kind: "docker" }])
            expect(() => readRunDescription(run({ engine }))).toThrow(
                "services[0].deployment is for the kubectl engine only (the engine is Docker)",
            );
    });

    it("checks the readiness wait's engine and service alike", () => {
        const wait: ReadinessDescription = readReadinessDescription(
            JSON.stringify({ service: service({ deployment: "web" }), engine: KUBECTL }),
        );
        expect(wait.engine).toEqual(KUBECTL);
        expect(() =>
            readReadinessDescription(
                JSON.stringify({ service: service(), engine: { kind: "kubectl", namespace: "ns" } }),
            ),
        ).toThrow("COVERAGE_SPY_TEST_RUN is not a run description: service.deployment must be a string, got nothing");
    });
});
