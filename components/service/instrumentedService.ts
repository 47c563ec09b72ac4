import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedService } from "../options/resolveArgs";
import { CONFIG_DIR, DATA_DIR, LIB_DIR, RCFILE, ASSETS_DIR, SITE_DIR, serviceDataFile } from "../layout";
import { LABEL_ROLE, LABEL_RUN_ID, LABEL_SERVICE, LABEL_SOURCE_PATH, stackObjectName, toLabelList } from "../naming";

/** Host folders the spy mounts read-only into every service. */
export interface SpyMounts {
    assetsDir: string;
    coverageLibDir: string;
    configDir: string;
}

export interface InstrumentedServiceInput {
    service: ResolvedService;
    stack: string;
    runId: string;
    labels: Record<string, string>;
    volumeName: pulumi.Input<string>;
    networkName: pulumi.Input<string>;
    spyMounts: SpyMounts;
    /** The image's own PYTHONPATH ("" when it has none). */
    imagePythonPath: pulumi.Input<string>;
}

/**
 * The whole of coverage-spy's footprint in a service: three variables. PYTHONPATH puts sitecustomize.py
 * and coverage.py first and keeps the image's (or the user's) own entries after them.
 */
export function spyEnvironment(
    service: ResolvedService,
    runId: string,
    imagePythonPath: string,
): Record<string, string> {
    const appPythonPath = service.env.PYTHONPATH ?? imagePythonPath;
    return {
        PYTHONPATH: [SITE_DIR, LIB_DIR, appPythonPath].filter((p) => p !== "").join(":"),
        COVERAGE_PROCESS_START: RCFILE,
        COVERAGE_FILE: serviceDataFile(runId, service.name),
    };
}

/** The service's full environment as Docker's "K=V" list: the user's variables, then the spy's. */
export function serviceEnvList(service: ResolvedService, runId: string, imagePythonPath: string): string[] {
    const env = { ...service.env, ...spyEnvironment(service, runId, imagePythonPath) };
    return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** Docker arguments of an instrumented service: the image unchanged, coverage added by env and mounts only. */
export function instrumentedContainerArgs(input: InstrumentedServiceInput): docker.ContainerArgs {
    const { service, stack, runId, spyMounts } = input;
    const grace = service.stopGraceSeconds;
    const envs = pulumi
        .output(input.imagePythonPath)
        .apply((imagePythonPath) => serviceEnvList(service, runId, imagePythonPath));
    return {
        name: stackObjectName(stack, service.name),
        image: service.image,
        command: service.command,
        entrypoints: service.entrypoint,
        envs,
        user: service.user,
        workingDir: service.workingDir,
        // An init as PID 1 forwards the stop signal and reaps, so the app exits (and saves) at once
        // instead of ignoring SIGTERM as PID 1 would until the grace period runs out.
        init: true,
        stopSignal: service.stopSignal,
        stopTimeout: grace,
        destroyGraceSeconds: grace,
        ports: service.ports.map((p) => ({ internal: p.internal, external: p.external, ip: "127.0.0.1" })),
        mounts: [
            { type: "bind", source: spyMounts.assetsDir, target: ASSETS_DIR, readOnly: true },
            { type: "bind", source: spyMounts.coverageLibDir, target: LIB_DIR, readOnly: true },
            { type: "bind", source: spyMounts.configDir, target: CONFIG_DIR, readOnly: true },
            ...service.mounts.map((m) => ({ type: m.type, source: m.source, target: m.target, readOnly: m.readOnly })),
        ],
        volumes: [{ volumeName: input.volumeName, containerPath: DATA_DIR }],
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
            [LABEL_SOURCE_PATH]: service.sourcePath,
        }),
        // The test run stops services itself; Pulumi must not restart or wait on them.
        restart: "no",
        mustRun: true,
    };
}

/** Creates the service's container. Deleted before replacement because its name is fixed. */
export function createInstrumentedService(
    name: string,
    input: InstrumentedServiceInput,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    return new docker.Container(
        `${name}-${input.service.name}`,
        instrumentedContainerArgs(input),
        pulumi.mergeOptions(opts, { deleteBeforeReplace: true }),
    );
}
