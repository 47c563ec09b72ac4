import { kubernetesServiceProblems } from "../../../components/engine/kubernetes/serviceChecks";
import { resolvedServices } from "./kubernetesInputs";

describe("the services' options on Kubernetes", () => {
    it("accept what the cluster can run: DNS names, a numeric user, no mounts, the default stop signal", () => {
        const services = resolvedServices([
            { name: "shop", image: "shop:prod", sourcePath: "/app", user: "1000:1000" },
            { name: "db-2", image: "postgres:prod", instrument: false, user: "999" },
        ]);
        expect(kubernetesServiceProblems(services)).toEqual([]);
    });

    it("name every problem of every service, its option, its cause and its fix", () => {
        const services = resolvedServices([
            { name: "Worker_2", image: "worker:prod", sourcePath: "/srv" },
            {
                name: "api",
                image: "api:prod",
                sourcePath: "/app",
                user: "app",
                stopSignal: "SIGINT",
                mounts: [{ source: "/host/data", target: "/data" }],
            },
            { name: "2fa", image: "x:1", instrument: false },
            { name: "coverage-spy-collector", image: "x:1", instrument: false },
        ]);
        expect(kubernetesServiceProblems(services)).toEqual([
            'services[0].name "Worker_2" cannot name a Kubernetes Service (the other pods reach the service by it): use lowercase letters, digits and "-", a letter first, at most 63 characters, e.g. "worker-2"',
            "services[1].mounts: a host folder or Docker volume cannot be mounted into pods on a cluster; remove the mounts, or run this stack on a Docker engine",
            'services[1].user "app": Kubernetes runs a container as a numeric user only; give its uid (or uid:gid), e.g. from `docker run --rm --entrypoint id IMAGE -u app`',
            'services[1].stopSignal "SIGINT": the kubelet stops a pod with the image\'s STOPSIGNAL (SIGTERM unless the image says otherwise); remove stopSignal, or set STOPSIGNAL in the image',
            'services[2].name "2fa" cannot name a Kubernetes Service (the other pods reach the service by it): use lowercase letters, digits and "-", a letter first, at most 63 characters, e.g. "fa"',
            'services[3].name "coverage-spy-collector" is taken by coverage-spy\'s own collector; name the service differently',
        ]);
    });
});
