// The unmeasured side of a benchmark: a stack config's services started with `docker run` as they are (same image,
// environment, command, user, init), none of coverage-spy's environment or mounts. Used where a benchmark compares
// the measured services with the same ones unmeasured.
import { spawnSync } from "child_process";
import { Service } from "../components/options/args";
import { docker } from "../test/integration/engine";
import { stackFileServices } from "../test/integration/exampleStacks";

/** The services of stacks/<stackFile>, with one service's image replaced and plain environment added per service. */
export function replacedServices(
    stackFile: string,
    replace: { service?: string; image?: string; env?: Record<string, Record<string, string>> } = {},
): Service[] {
    return stackFileServices(stackFile).map((service) => ({
        ...service,
        ...(service.name === replace.service && replace.image ? { image: replace.image } : {}),
        env: { ...(service.env ?? {}), ...(replace.env?.[service.name] ?? {}) },
    }));
}

function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits until the container's Docker-style healthcheck command succeeds in it (the database before the app). */
async function waitHealthy(container: string, test: string[], checkInterrupted: () => Promise<void>): Promise<void> {
    const command = test[0] === "CMD-SHELL" ? ["sh", "-c", test.slice(1).join(" ")] : test.slice(1);
    const deadline = Date.now() + 120_000;
    while (spawnSync("docker", ["exec", container, ...command], { stdio: "ignore" }).status !== 0) {
        if (Date.now() > deadline) throw new Error(`${container} was not healthy in 120 s`);
        await checkInterrupted();
        sleep(300);
    }
}

/** Where and how the unmeasured services start. */
export interface UnmeasuredStart {
    /** Container names are `<prefix>-<service>`. */
    prefix: string;
    /** A network of the benchmark's: the services find each other by name on it, as on the stack's. */
    network: string;
    labels: string[];
    /** Throws once the benchmark was interrupted; called while waiting. */
    checkInterrupted: () => Promise<void>;
}

/** The container name of an unmeasured service. */
export const unmeasuredName = (start: UnmeasuredStart, service: Service): string => `${start.prefix}-${service.name}`;

/**
 * Starts every service with `docker run` (as the component runs it: under an init, on a network where it is found
 * by its name), each after the one before is healthy where it has a healthcheck. Returns the containers started,
 * in order; remove them with `docker rm --force` (also when this throws: `started` holds those started so far).
 */
export async function startUnmeasured(services: Service[], start: UnmeasuredStart, started: string[]): Promise<void> {
    for (const service of services) {
        const name = unmeasuredName(start, service);
        const [entrypoint, ...entrypointArgs] = service.entrypoint ?? [];
        docker(
            "run",
            "--detach",
            // The component runs every service under an init too (init: true).
            "--init",
            "--name",
            name,
            "--network",
            start.network,
            "--network-alias",
            service.name,
            ...start.labels.flatMap((label) => ["--label", label]),
            ...Object.entries(service.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v as string}`]),
            ...(service.user ? ["--user", service.user] : []),
            ...(service.workingDir ? ["--workdir", service.workingDir] : []),
            ...(entrypoint !== undefined ? ["--entrypoint", entrypoint] : []),
            service.image as string,
            ...entrypointArgs,
            ...(service.command ?? []),
        );
        started.push(name);
        if (service.healthcheck) await waitHealthy(name, service.healthcheck.test, start.checkInterrupted);
    }
}
