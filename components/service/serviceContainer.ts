import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedService } from "../options/resolveArgs";
import {
    LABEL_MEASURED,
    LABEL_ROLE,
    LABEL_RUN_ID,
    LABEL_SERVICE,
    LABEL_SOURCE_PATH,
    stackObjectName,
    toLabelList,
} from "../shared/naming";
import { Instrumentation, serviceSpyFiles, spyEnvironment } from "./instrumentation";
import { dataVolumeMount } from "../infra/coverageVolume";

export interface ServiceContainerInput {
    service: ResolvedService;
    stack: string;
    runId: string;
    labels: Record<string, string>;
    networkName: pulumi.Input<string>;
    /** The address on the engine's machine its ports are published on (components/engine/dockerEngine.ts). */
    publishIp: string;
    /** How the service is measured; none for a service that is not (instrument: false). */
    instrumentation?: Instrumentation;
}

/**
 * The service's environment, on every engine: the user's variables (secrets stay secrets), then the spy's when it is
 * measured (its PYTHONPATH keeps the user's, else the image's, after the spy's folders).
 */
export function serviceEnvironment(
    service: ResolvedService,
    instrumentation?: Pick<Instrumentation, "runId" | "imagePythonPath">,
): pulumi.Output<Record<string, string>> {
    return pulumi
        .all([pulumi.output(service.env), instrumentation?.imagePythonPath ?? ""])
        .apply(([env, imagePythonPath]) => {
            const spy = instrumentation
                ? spyEnvironment(service.name, instrumentation.runId, env.PYTHONPATH ?? imagePythonPath)
                : {};
            return { ...env, ...spy };
        });
}

/** The service's environment as Docker's "K=V" list. */
export function serviceEnvList(input: ServiceContainerInput): pulumi.Output<string[]> {
    return serviceEnvironment(input.service, input.instrumentation).apply((env) =>
        Object.entries(env).map(([k, v]) => `${k}=${v}`),
    );
}

/**
 * Docker arguments of a service: the image unchanged; a measured one gets coverage by env and mounts only.
 */
export function serviceContainerArgs(input: ServiceContainerInput): docker.ContainerArgs {
    const { service, stack, runId, instrumentation } = input;
    const grace = service.stopGraceSeconds;
    const spy = instrumentation && serviceSpyFiles(instrumentation.spyFiles);
    const userMounts = service.mounts.map((m) => ({
        type: m.type,
        source: m.source,
        target: m.target,
        readOnly: m.readOnly,
    }));
    return {
        name: stackObjectName(stack, service.name),
        image: service.image,
        command: service.command,
        entrypoints: service.entrypoint,
        envs: serviceEnvList(input),
        user: service.user,
        workingDir: service.workingDir,
        // An init as PID 1 forwards the stop signal and reaps, so the app exits (and saves) at once
        // instead of ignoring SIGTERM as PID 1 would until the grace period runs out.
        init: true,
        stopSignal: service.stopSignal,
        stopTimeout: grace,
        destroyGraceSeconds: grace,
        ports: service.ports.map((p) => ({ internal: p.internal, external: p.external, ip: input.publishIp })),
        mounts: spy ? [...spy.mounts, ...userMounts] : userMounts,
        volumes: spy && instrumentation ? [...spy.volumes, dataVolumeMount(instrumentation.volumeName)] : [],
        networksAdvanced: [{ name: input.networkName, aliases: [service.name] }],
        healthcheck: service.healthcheck && {
            tests: service.healthcheck.test,
            interval: service.healthcheck.interval,
            timeout: service.healthcheck.timeout,
            retries: service.healthcheck.retries,
            startPeriod: service.healthcheck.startPeriod,
        },
        labels: toLabelList({
            ...input.labels,
            [LABEL_RUN_ID]: runId,
            [LABEL_ROLE]: "service",
            [LABEL_SERVICE]: service.name,
            // A snapshot signals the measured services only.
            [LABEL_MEASURED]: String(instrumentation !== undefined),
            ...(instrumentation && service.sourcePath !== undefined ? { [LABEL_SOURCE_PATH]: service.sourcePath } : {}),
        }),
        // The test run stops services itself; Pulumi must not restart or wait on them.
        restart: "no",
        // Not mustRun: the provider removes a container that exits at once, its logs and exit code with it, and says
        // only "container exited immediately". The readiness waits find it stopped instead and show both.
        mustRun: false,
    };
}

/** Creates the service's container. Deleted before replacement because its name is fixed. */
export function createServiceContainer(
    name: string,
    input: ServiceContainerInput,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    return new docker.Container(
        `${name}-${input.service.name}`,
        serviceContainerArgs(input),
        pulumi.mergeOptions(opts, { deleteBeforeReplace: true }),
    );
}
