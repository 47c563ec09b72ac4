import type * as k8s from "@pulumi/kubernetes";
import { installMockEngine, valueOf } from "../mockEngine";
import { PARENT, declarationsSettled, parentNamed } from "../stack/stepInputs";
import { tempDir } from "../fixtures";
import {
    CLAIM,
    CONFIG_MAP,
    DEPLOYMENT,
    NAMESPACE,
    SERVICE,
    inputsOf,
    parsedBy,
    podSpecOf,
    withOption,
} from "./kubernetesInputs";

const engine = installMockEngine();

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { createDataHome } =
    require("../../../components/engine/kubernetes/dataHome") as typeof import("../../../components/engine/kubernetes/dataHome");
const { stackLabels, stackNamespace } =
    require("../../../components/engine/kubernetes/names") as typeof import("../../../components/engine/kubernetes/names");
/* eslint-enable @typescript-eslint/no-require-imports */

const NS = stackNamespace("shop", "feature/login");
const LABELS = stackLabels("shop", "feature/login");

type Meta = { metadata: k8s.types.output.meta.v1.ObjectMeta };

describe("the stack's data home", () => {
    const parent = parentNamed("home");
    const input = {
        namespace: NS,
        labels: LABELS,
        spyImage: "coverage-spy/spy:abc",
        imagePullPolicy: "Never" as const,
        claimSize: "2Gi",
        coveragerc: "[run]\nparallel = true\n",
    };
    const home = createDataHome("home", input, { parent });
    // The same stack with another rcfile.
    createDataHome("other", { ...input, coveragerc: "[run]\nparallel = true\nbranch = true\n" }, { parent });
    beforeAll(declarationsSettled);

    it("is children of the component, each of its objects in the stack's namespace with the stack's labels", async () => {
        expect(inputsOf<Meta>(engine.one(NAMESPACE, "home-namespace")).metadata).toEqual({ name: NS, labels: LABELS });
        for (const [type, name] of [
            [CLAIM, "home-data"],
            [DEPLOYMENT, "home-collector"],
            [SERVICE, "home-collector"],
            [CONFIG_MAP, "home-coveragerc"],
        ]) {
            const { metadata } = inputsOf<Meta>(engine.one(type, name));
            expect([name, metadata.namespace]).toEqual([name, NS]);
            expect(metadata.labels).toEqual(expect.objectContaining(LABELS));
        }
        expect(await valueOf(home.collector.urn)).toContain(`${PARENT}$${DEPLOYMENT}::home-collector`);
        expect(await valueOf(home.claim.urn)).toContain(`${PARENT}$${CLAIM}::home-data`);
    });

    it("keeps the data on a ReadWriteOnce claim of the given size, in the cluster's default StorageClass", () => {
        const claim = inputsOf<Meta & { spec: k8s.types.output.core.v1.PersistentVolumeClaimSpec }>(
            engine.one(CLAIM, "home-data"),
        );
        expect(claim.metadata.name).toBe("coverage-spy-data");
        expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
        expect(claim.spec.resources.requests).toEqual({ storage: "2Gi" });
        expect(claim.spec.storageClassName).toBeUndefined();
        // The provider's await of a WaitForFirstConsumer claim never ends once the claim is bound.
        expect(claim.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    });

    it("runs one collector from the spy image, recreated (never two pods on the claim), ready on /healthz", () => {
        const collector = engine.one(DEPLOYMENT, "home-collector");
        const { spec } = inputsOf<{ spec: k8s.types.output.apps.v1.DeploymentSpec }>(collector);
        expect(spec.replicas).toBe(1);
        expect(spec.strategy.type).toBe("Recreate");
        expect(spec.selector.matchLabels).toEqual({ ...LABELS, "coverage-spy.role": "collector" });
        const pod = podSpecOf(collector);
        expect(pod.containers).toHaveLength(1);
        const [container] = pod.containers;
        expect(container.image).toBe("coverage-spy/spy:abc");
        expect(container.imagePullPolicy).toBe("Never");
        expect(container.command).toEqual([
            "python3",
            "/opt/coverage-spy/assets/kubernetes/collector.py",
            "--data-dir",
            "/opt/coverage-spy/data",
            "--port",
            "8080",
        ]);
        expect(container.readinessProbe.httpGet).toEqual({ path: "/healthz", port: 8080 });
    });

    it("mounts the claim, its reports folder and the rcfile (read-only) where its harvest reads them", () => {
        const pod = podSpecOf(engine.one(DEPLOYMENT, "home-collector"));
        expect(pod.containers[0].volumeMounts).toEqual([
            { name: "coverage-data", mountPath: "/opt/coverage-spy/data" },
            { name: "coverage-data", mountPath: "/opt/coverage-spy/reports", subPath: "reports" },
            { name: "coveragerc", mountPath: "/opt/coverage-spy/config", readOnly: true },
        ]);
        expect(pod.volumes).toEqual([
            { name: "coverage-data", persistentVolumeClaim: { claimName: "coverage-spy-data" } },
            { name: "coveragerc", configMap: { name: "coverage-spy-coveragerc" } },
        ]);
    });

    it("starts a new collector when the rcfile changes, so its harvest never reads an older one", () => {
        type Template = { spec: { template: { metadata: k8s.types.output.meta.v1.ObjectMeta } } };
        const hashOf = (name: string) =>
            inputsOf<Template>(engine.one(DEPLOYMENT, name)).spec.template.metadata.annotations[
                "coverage-spy/coveragerc-sha256"
            ];
        expect(hashOf("home-collector")).toMatch(/^[0-9a-f]{64}$/);
        expect(hashOf("other-collector")).toMatch(/^[0-9a-f]{64}$/);
        expect(hashOf("other-collector")).not.toBe(hashOf("home-collector"));
    });

    it("starts the collector with a command line collector.py accepts", () => {
        const [container] = podSpecOf(engine.one(DEPLOYMENT, "home-collector")).containers;
        const [python, script, ...args] = container.command;
        expect([python, script.endsWith("/kubernetes/collector.py")]).toEqual(["python3", true]);
        const data = tempDir();
        expect(parsedBy("collector", withOption(args, "--data-dir", data))).toEqual({ data_dir: data, port: 8080 });
    });

    it("gives the collector a Service Pulumi does not await, and its URL as a plain string of cluster DNS", () => {
        const service = inputsOf<Meta & { spec: k8s.types.output.core.v1.ServiceSpec }>(
            engine.one(SERVICE, "home-collector"),
        );
        expect(service.metadata.name).toBe("coverage-spy-collector");
        expect(service.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
        expect(service.spec.selector).toEqual(home.collectorLabels);
        expect(service.spec.ports).toEqual([{ name: "port-8080", port: 8080, targetPort: 8080 }]);
        expect(home.collectorUrl).toBe(`http://coverage-spy-collector.${NS}.svc:8080`);
        expect(typeof home.collectorUrl).toBe("string");
    });

    it("holds the generated rcfile in a ConfigMap, under the rcfile's own name", () => {
        const map = inputsOf<Meta & { data: Record<string, string> }>(engine.one(CONFIG_MAP, "home-coveragerc"));
        expect(map.metadata.name).toBe("coverage-spy-coveragerc");
        expect(map.data).toEqual({ coveragerc: "[run]\nparallel = true\n" });
    });
});
