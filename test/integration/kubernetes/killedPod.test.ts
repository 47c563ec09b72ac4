// A pod of the demo killed by SIGKILL during the suite, on the project's kind cluster: the pod's app container (its
// server, and so every process in it) is killed by its node's container runtime, as the OOM killer would, once the
// pod's shipper sent the collector a periodic save made after the pod's last request; the kubelet restarts it in the
// same pod, its new processes with the killed ones' host name and pids. The killed processes are reported
// interrupted, with what they ran up to that save in the report, and the restarted ones as ended.
import * as fs from "fs";
import * as path from "path";
import { COLLECTOR_NAME } from "../../../components/engine/kubernetes/names";
import { DATA_DIR } from "../../../components/shared/layout";
import { LABEL_STACK } from "../../../components/shared/naming";
import { DEMO_WORKERS } from "../demoExpectations";
import { expectDemoLines } from "../freshProject";
import {
    CLUSTER_UP_MS,
    DEMO_SUITE,
    KubernetesProgram,
    prepareCluster,
    SERVICE,
    SERVICE_PODS,
    Up,
    UP_MS,
} from "./program";

const STACK = `itest-k8s-kill-${process.pid}`;

/** What the suite killed: killed-<stack>.json. */
interface Killed {
    pod: string;
    node: string;
    /** The pid (in its pod) of the process that served the pod's last request. */
    pid: number;
    /** That process's save count when the request was served, and as the collector held it at the kill. */
    savedBefore: number;
    shippedAtKill: number;
}

// After the suite: the first pod serves a request (made inside it, without the spy's variables, so the request's
// own python is not measured), then its save count is read where the spy writes it; once the collector holds a
// count two higher (a whole save begun after the request, shipped), the pod's app container is killed.
const KILL_POD = `set -eu
work=$1
ns=$(kubectl get pods --all-namespaces -l "${SERVICE_PODS},${LABEL_STACK}=$ITEST_STACK" -o jsonpath='{.items[0].metadata.namespace}')
pod=$(kubectl get pods -n "$ns" -l "${SERVICE_PODS}" -o jsonpath='{.items[0].metadata.name}')
node=$(kubectl get pod -n "$ns" "$pod" -o jsonpath='{.spec.nodeName}')
pid=$(kubectl exec -n "$ns" "$pod" -c ${SERVICE} -- env -u PYTHONPATH -u COVERAGE_PROCESS_START python3 -c \\
    'import json, urllib.request; print(json.load(urllib.request.urlopen("http://127.0.0.1:8000/whoami", timeout=10))["pid"])')
count() { python3 -c 'import json, sys; print(json.load(sys.stdin)["saves"])'; }
saved=$(kubectl exec -n "$ns" "$pod" -c ${SERVICE} -- sh -c \\
    'cat "\${COVERAGE_FILE%/*}"/.saves.*.pid"$1".json 2>/dev/null || echo "{\\"saves\\": 0}"' sh "$pid" | count)
shipped() {
    kubectl exec -n "$ns" deployment/${COLLECTOR_NAME} -c collector -- sh -c \\
        'cat "$1"/runs/*/${SERVICE}/.saves."$2".pid"$3".json 2>/dev/null || echo "{\\"saves\\": 0}"' \\
        sh "${DATA_DIR}" "$pod" "$pid" | count
}
until [ "$(shipped)" -ge $((saved + 2)) ]; do sleep 0.5; done
at_kill=$(shipped)
id=$(kubectl get pod -n "$ns" "$pod" -o jsonpath='{.status.containerStatuses[?(@.name=="${SERVICE}")].containerID}')
docker exec "$node" ctr -n k8s.io task kill -a -s SIGKILL "\${id#containerd://}"
# The kubelet restarts the killed container in the same pod (its name, and so the spy's host, unchanged): the suite
# ends once the new app is ready, so its processes are measured beside the killed ones.
until [ "$(kubectl get pod -n "$ns" "$pod" -o jsonpath='{.status.containerStatuses[?(@.name=="${SERVICE}")].restartCount}')" -ge 1 ]; do
    sleep 0.5
done
kubectl wait -n "$ns" --for=condition=Ready --timeout=300s "pod/$pod" >&2
printf '{"pod": "%s", "node": "%s", "pid": %s, "savedBefore": %s, "shippedAtKill": %s}' \\
    "$pod" "$node" "$pid" "$saved" "$at_kill" > "$work/killed-$ITEST_STACK.json"
`;

let program: KubernetesProgram;
let result: Up;
let killed: Killed;

beforeAll(() => {
    program = new KubernetesProgram("itest-k8s-kill", prepareCluster(), (work) => {
        fs.writeFileSync(path.join(work, "kill-pod.sh"), KILL_POD);
        return `${DEMO_SUITE} && bash ${JSON.stringify(path.join(work, "kill-pod.sh"))} ${JSON.stringify(work)}`;
    });
    program.initStack(STACK);
    result = program.up(STACK);
    killed = JSON.parse(fs.readFileSync(path.join(program.work, `killed-${STACK}.json`), "utf8")) as Killed;
}, CLUSTER_UP_MS + UP_MS);

afterAll(() => program?.cleanup([STACK]), UP_MS);

describe("a pod killed by SIGKILL during the suite, on a Kubernetes cluster", () => {
    it("reports the killed pod's processes as interrupted, with their last periodic save, and loses none", () => {
        expect(result.summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 0 }));
        expect(result.summary.lostProcesses).toEqual([]);
        const interrupted = result.summary.interruptedProcesses;
        // The server and its workers, all in the killed pod, all killed at once.
        expect(interrupted).toHaveLength(1 + DEMO_WORKERS);
        for (const process of interrupted) {
            expect(process.service).toBe(SERVICE);
            // The pod's name, with "-k<n>" where a restarted process took the killed one's pid.
            expect(process.host).toMatch(new RegExp(`^${killed.pod}(-k\\d+)?$`));
            expect(process.lastSave).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        }
        expect(interrupted.map((process) => process.pid)).toContain(killed.pid);
        expect(killed.shippedAtKill).toBeGreaterThanOrEqual(killed.savedBefore + 2);
    });

    it("keeps every line the processes ran up to their last save: the report is what an unkilled run measures", () => {
        expectDemoLines(result.summary);
    });

    it("counts every process of the killed pod, before and after its restart: each its data file, the killed no end", () => {
        const files = { started: 0, ended: 0, dataFiles: 0 };
        for (const [host, counts] of Object.entries(program.podFiles(STACK, result.runId)))
            if (host === killed.pod || host.startsWith(`${killed.pod}-k`)) {
                files.started += counts.started;
                files.ended += counts.ended;
                files.dataFiles += counts.dataFiles;
            }
        // The killed server and workers, and the restarted ones (the same pids again in the new container).
        expect(files.started).toBeGreaterThanOrEqual(2 * (1 + DEMO_WORKERS));
        expect(files.dataFiles).toBe(files.started);
        expect(files.ended).toBe(files.started - (1 + DEMO_WORKERS));
        expect(result.summary.services.app.processes).toEqual(
            expect.objectContaining({ interrupted: 1 + DEMO_WORKERS, lost: 0 }),
        );
    });
});
