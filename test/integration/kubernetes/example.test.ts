// A real-framework example with its database on the project's kind cluster: examples/django (gunicorn's master and
// forked workers, after manage.py's wait_for_db and migrate) with PostgreSQL beside it, from their unchanged images,
// chosen by stack config alone (this repository's stack program, `coverage-spy:kubernetes`). Its executed lines must
// equal coverage.py's own in-process measurement of the same images on Docker (the oracle examples.test.ts holds the
// Docker engine's run to), every process of every web pod counted, and destroy must leave nothing of the stack.
import * as fs from "fs";
import * as path from "path";
import { Service } from "../../../components/options/args";
import { COLLECTOR_NAME, stackNamespace } from "../../../components/engine/kubernetes/names";
import { DATA_DIR } from "../../../components/shared/layout";
import { copyExampleStack, exampleServices, exampleTestCommand, executedLines } from "../exampleStacks";
import { CLUSTER_UP_MS, Cluster, prepareCluster, run } from "./program";
import { ExecutedLines } from "../oracle";
import { referenceRun } from "../serviceOracle";
import { StackRun, destroyStack, runStack, stackRun } from "../stackRun";

jest.setTimeout(15 * 60 * 1000);

const STACK = `itest-k8s-django-${process.pid}`;
/** The repository's project: its stack program reads stacks/Pulumi.<stack>.yaml. */
const NAMESPACE = stackNamespace("coverage-spy", STACK);
/** gunicorn's master and 3 forked workers, manage.py's wait_for_db and migrate: per web pod. */
const PROCESSES_PER_POD = 6;
const WEB_PODS = 1;
/** Django's secrets, encrypted in the example's stack config, which the reference sets in plain text. */
const EXTRA_ENV = {
    db: { POSTGRES_PASSWORD: "library-pw-1" },
    web: { DB_PASSWORD: "library-pw-1", DJANGO_SECRET_KEY: "example-django-not-a-real-key" },
};

let cluster: Cluster;
let services: Service[];
let django: StackRun;
let reference: Record<string, ExecutedLines>;

function kubectl(args: string[]): string {
    return run("kubectl", args, cluster.env);
}

beforeAll(
    () => {
        cluster = prepareCluster();
        // The web runs its migrations at start: two pods at once would race on them (one fails), so it runs alone,
        // as a team runs such an app; the database runs alone whatever.
        services = copyExampleStack("django", STACK, {
            "coverage-spy:services": exampleServices("django").map((s) =>
                s.name === "web" ? { ...s, replicas: 1 } : s,
            ),
            "coverage-spy:kubernetes": { kubeconfig: cluster.kubeconfig },
        });
        // The example's images into every node: the component's preview refuses a run whose images the nodes lack.
        run("bash", ["scripts/k8s-cluster.sh", "load", ...services.map((s) => s.image as string)]);
        // The component's kubectl from the cluster's PATH; its kubeconfig only from the config.
        const env = { ...cluster.env };
        delete env.KUBECONFIG;
        django = stackRun({ stack: STACK, service: services[1], testCommand: "" }, runStack("up", STACK, env));
        reference = referenceRun({
            name: `itest-reference-k8sdjango-${process.pid}`,
            services,
            extraEnv: EXTRA_ENV,
            testCommand: exampleTestCommand("django"),
        });
    },
    CLUSTER_UP_MS + 15 * 60 * 1000,
);

// The stack was tracked when its config was written: destroyed whether its up passed or not.
afterAll(() => destroyStack(STACK), 15 * 60 * 1000);

describe("the django example with PostgreSQL on a cluster, chosen by stack config", () => {
    it("passes its suite, every process of the web pod saved, none lost or killed", () => {
        const log = path.join(django.runDir, "tests.log");
        expect({
            succeeded: django.summary.tests.succeeded,
            log: django.summary.tests.succeeded
                ? ""
                : fs.existsSync(log)
                  ? fs.readFileSync(log, "utf8").slice(-6000)
                  : "",
        }).toEqual({ succeeded: true, log: "" });
        expect(django.summary.lostProcesses).toEqual([]);
        const processes = PROCESSES_PER_POD * WEB_PODS;
        expect(django.summary.services.web.processes).toEqual({ ended: processes, interrupted: 0, lost: 0 });
        expect(django.summary.services.web.dataFiles).toBe(processes);
        // The database is not measured.
        expect(Object.keys(django.summary.services)).toEqual(["web"]);
    });

    it("measures exactly the lines coverage.py measures in-process on Docker, file by file", () => {
        expect(executedLines(django.summary, "web")).toEqual(reference.web);
    });

    it("ran the web in one pod, each of its processes with its start and end record and its data file", () => {
        const names = kubectl([
            "--namespace",
            NAMESPACE,
            "exec",
            `deployment/${COLLECTOR_NAME}`,
            "-c",
            "collector",
            "--",
            "ls",
            "-A",
            `${DATA_DIR}/runs/${django.runId}/web`,
        ]).split("\n");
        const perPod = new Map<string, { start: number; end: number; data: number }>();
        const count = (pod: string, what: "start" | "end" | "data") => {
            const counts = perPod.get(pod) ?? { start: 0, end: 0, data: 0 };
            counts[what] += 1;
            perPod.set(pod, counts);
        };
        for (const name of names) {
            const record = /^\.(start|end)\.(.+)\.pid\d+\.json$/.exec(name);
            if (record) count(record[2], record[1] as "start" | "end");
            const data = /^\.coverage\.(.+)\.pid\d+\.X[A-Za-z0-9]{6}x(\.H[A-Za-z0-9]{10}h)?$/.exec(name);
            if (data) count(data[1], "data");
        }
        const every = { start: PROCESSES_PER_POD, end: PROCESSES_PER_POD, data: PROCESSES_PER_POD };
        expect([...perPod.values()]).toEqual(Array<typeof every>(WEB_PODS).fill(every));
        for (const pod of perPod.keys()) expect(pod).toMatch(/^web-/);
    });

    it("gives the pods their secrets from a Secret of the namespace, none of them in a Deployment", () => {
        const deployments = kubectl(["--namespace", NAMESPACE, "get", "deployments", "--output", "json"]);
        const secrets = Object.values(EXTRA_ENV).flatMap((env) => Object.values(env));
        expect(secrets.filter((value) => deployments.includes(value))).toEqual([]);
        const stored = kubectl(["--namespace", NAMESPACE, "get", "secret", "web-env", "--output", "jsonpath={.data}"]);
        const decoded = Object.fromEntries(
            Object.entries(JSON.parse(stored) as Record<string, string>).map(([k, v]) => [
                k,
                Buffer.from(v, "base64").toString("utf8"),
            ]),
        );
        expect(decoded).toEqual(expect.objectContaining(EXTRA_ENV.web));
    });
});
