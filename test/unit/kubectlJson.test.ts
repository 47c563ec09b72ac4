import * as fs from "fs";
import * as path from "path";
import { describeExit } from "../../components/testRun/runner/engines/engine";
import { kubectlEngine } from "../../components/testRun/runner/engines/kubectl";
import {
    containerImage,
    deploymentReadiness,
    deploymentState,
    podGraceSeconds,
    podSelector,
    podsForLogs,
    podsNotEnded,
    runningPods,
} from "../../components/testRun/runner/engines/kubectlJson";

/**
 * Real kubectl output (v1.34.4, the project's kind cluster), `get deployment NAME -o json` and `get pods -l app=NAME
 * -o json`: web (2 replicas spread over the two workers, running), web after its pod on coverage-spy-worker had its
 * process killed from the node (restarted once, exit 137), crash (exit 3) and oom (a 40Mi limit, OOMKilled).
 */
function fixture(name: string): unknown {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "kubectl-fixtures", `${name}.json`), "utf8"));
}

describe("kubectl's JSON as the kubectl engine reads it (components/testRun/runner/engines/kubectlJson.ts)", () => {
    it("reads the Deployment's pod selector, its app container's image and its pods' grace", () => {
        const web = fixture("deployment-web");
        expect(podSelector(web)).toBe("app=web");
        expect(containerImage(web, "app")).toBe("coverage-spy/base:trixie");
        expect(containerImage(web, "shipper")).toBeUndefined();
        expect(podGraceSeconds(web)).toBe(10);
        // Not set in the manifest: the API server fills in Kubernetes' default.
        expect(podGraceSeconds(fixture("deployment-oom"))).toBe(30);
    });

    it("turns match expressions into kubectl's selector syntax", () => {
        const deployment = {
            spec: {
                selector: {
                    matchLabels: { "coverage-spy.service": "demo" },
                    matchExpressions: [
                        { key: "tier", operator: "In", values: ["a", "b"] },
                        { key: "old", operator: "NotIn", values: ["x"] },
                        { key: "track", operator: "Exists" },
                        { key: "canary", operator: "DoesNotExist" },
                    ],
                },
            },
        };
        expect(podSelector(deployment)).toBe("coverage-spy.service=demo,tier in (a,b),old notin (x),track,!canary");
    });

    it("counts a Deployment ready once every wanted pod of its revision is ready", () => {
        expect(deploymentReadiness(fixture("deployment-web"))).toEqual({ ready: true, last: "2 of 2 pods ready" });
        const web = fixture("deployment-web") as { status: Record<string, number> };
        const starting = { ...web, status: { ...web.status, readyReplicas: 1 } };
        expect(deploymentReadiness(starting)).toEqual({ ready: false, last: "1 of 2 pods ready" });
        const rolling = { ...web, status: { ...web.status, replicas: 3 } };
        expect(deploymentReadiness(rolling)).toEqual({
            ready: false,
            last: "2 of 2 pods ready, 1 of an older revision still there",
        });
        const unseen = { ...web, status: { ...web.status, observedGeneration: 0 } };
        expect(deploymentReadiness(unseen).ready).toBe(false);
    });

    it("says the pods run while no container of theirs ended", () => {
        const pods = fixture("pods-web");
        expect(deploymentState(pods, "app")).toEqual({ running: true, exitCode: 0, oomKilled: false });
        expect(runningPods(pods)).toEqual([
            { pod: "web-589989574d-9b79d", node: "coverage-spy-worker2" },
            { pod: "web-589989574d-px648", node: "coverage-spy-worker" },
        ]);
    });

    it("names the pod and node of a process killed and restarted by Kubernetes, with its exit code", () => {
        const state = deploymentState(fixture("pods-web-killed"), "app");
        expect(state).toEqual({
            running: false,
            exitCode: 137,
            oomKilled: false,
            where:
                "in pod web-589989574d-px648 on node coverage-spy-worker (container app, reason Error, restarted 1 " +
                "time(s) by Kubernetes)",
        });
        expect(describeExit(state)).toBe(
            "exit code 137, in pod web-589989574d-px648 on node coverage-spy-worker (container app, reason Error, " +
                "restarted 1 time(s) by Kubernetes)",
        );
        expect(podsForLogs(fixture("pods-web-killed"), "app").map((p) => p.restarts)).toEqual([0, 1]);
    });

    it("reads an exit code of a container that ended and an OOM kill", () => {
        expect(describeExit(deploymentState(fixture("pods-crash"), "app"))).toBe(
            "exit code 3, in pod crash-74444d9f79-qtwxl on node coverage-spy-worker2 (container app, reason Error, " +
                "restarted 1 time(s) by Kubernetes)",
        );
        const oom = deploymentState(fixture("pods-oom"), "app");
        expect(oom).toMatchObject({ running: false, exitCode: 137, oomKilled: true });
        expect(describeExit(oom)).toBe(
            "exit code 137, killed for lack of memory (OOM), in pod oom-7c7d69896d-pnl4b on node coverage-spy-worker " +
                "(container app, restarted 1 time(s) by Kubernetes)",
        );
    });

    it("names a pod seen at readiness that is gone since, with its node", () => {
        const seen = [
            { pod: "web-589989574d-9b79d", node: "coverage-spy-worker2" },
            { pod: "web-589989574d-lost1", node: "coverage-spy-worker" },
        ];
        const state = deploymentState(fixture("pods-web"), "app", seen);
        expect(state.running).toBe(false);
        expect(describeExit(state)).toBe(
            "pod web-589989574d-lost1 on node coverage-spy-worker is gone (deleted, evicted or its node lost; its " +
                "processes had no graceful stop)",
        );
    });

    it("counts a Deployment whose pods are not made yet, or are being deleted, as running", () => {
        expect(deploymentState({ items: [] }, "app").running).toBe(true);
        const crash = fixture("pods-crash") as { items: { metadata: Record<string, unknown> }[] };
        const deleting = crash.items.map((p) => ({
            ...p,
            metadata: { ...p.metadata, deletionTimestamp: "2026-12-05T21:40:00Z" },
        }));
        expect(deploymentState({ items: deleting }, "app").running).toBe(true);
    });

    it("counts a stopping pod ended once its phase is terminal and none of its containers, sidecars too, runs", () => {
        const web = fixture("pods-web") as { items: { status: Record<string, unknown> }[] };
        const names = (pods: unknown) => podsNotEnded(pods).map((p) => p.pod);
        expect(names(web)).toEqual(["web-589989574d-9b79d", "web-589989574d-px648"]);
        const terminated = { terminated: { exitCode: 0, reason: "Completed" } };
        const ended = (phase: string, sidecar: Record<string, unknown>) => ({
            items: web.items.map((p) => ({
                ...p,
                status: {
                    ...p.status,
                    phase,
                    containerStatuses: [{ name: "app", state: terminated }],
                    initContainerStatuses: [{ name: "shipper", state: sidecar }],
                },
            })),
        });
        expect(names(ended("Succeeded", terminated))).toEqual([]);
        expect(names(ended("Failed", terminated))).toEqual([]);
        // The shipper's last round still running: its data is not at the collector yet.
        expect(names(ended("Succeeded", { running: { startedAt: "2026-12-06T17:00:00Z" } }))).toHaveLength(2);
        // The app ended, the pod not yet terminal (the kubelet has not stopped the sidecar).
        expect(names(ended("Running", terminated))).toHaveLength(2);
        expect(names({ items: [] })).toEqual([]);
    });

    it("keeps Docker's wording when the engine names no place", () => {
        expect(describeExit({ running: false, exitCode: -1, oomKilled: false })).toBe("exit code -1");
        expect(describeExit({ running: false, exitCode: 137, oomKilled: true })).toBe(
            "exit code 137, killed for lack of memory (OOM)",
        );
    });
});

describe("the kubectl program the kubectl engine runs", () => {
    it("refuses to start without kubectl on PATH, naming the fix", async () => {
        const engine = kubectlEngine({ kind: "kubectl", namespace: "demo" }, "/nonexistent-bin");
        await expect(engine.check()).rejects.toThrow(
            "no kubectl on PATH (/nonexistent-bin): the kubectl engine needs it to ask, stop and read the services' " +
                "pods. Install kubectl, or put it on PATH (for the project's local cluster: " +
                'eval "$(bash scripts/k8s-cluster.sh env)"), or name it in the run\'s engine.kubectl',
        );
    });

    it("refuses a kubectl named by the description that is not an executable file", async () => {
        const engine = kubectlEngine({ kind: "kubectl", kubectl: __filename, namespace: "demo" }, "/usr/bin");
        await expect(engine.check()).rejects.toThrow(`engine.kubectl ${__filename} is not an executable file:`);
    });
});
