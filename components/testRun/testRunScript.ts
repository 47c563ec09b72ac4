import {
    EngineDescription,
    PatchDescription,
    ReadinessDescription,
    RunDescription,
    ServiceDescription,
} from "./runner/description";

/**
 * What the test run needs to know about one service: its description (runner/description.ts), with the variable of
 * the suite's environment that will hold its URL instead of the URL, which is an Output until its container exists.
 */
export type ScriptService = Omit<ServiceDescription, "url"> & {
    /** Env var holding the service URL (only for services with a port). */
    urlEnvName?: string;
};

export interface TestRunScriptInput {
    services: ScriptService[];
    /** Host folder of this run's results. */
    runDir: string;
    testWorkingDir: string;
    testTimeoutSeconds: number;
}

/** What the test run needs beyond its services and folders. */
export interface TestRunSettings {
    testCommand: string;
    /** Also pack the run's results into this tar (a remote engine's harvester cannot see the run folder). */
    runTar?: string;
    /** A remote engine's address: the TCP probes reach its services on their published ports there. */
    remoteHost?: string;
    /** The engine that runs the services, when it is not Docker (the runner's default). */
    engine?: EngineDescription;
    /** What the summary's patch coverage is read with (handed on to `coverage-spy watch`). */
    patch?: PatchDescription;
}

/** One service as the test run and the readiness wait read it, with its URL (none without a port). */
export function serviceDescription(s: ScriptService, url: string | undefined): ServiceDescription {
    return {
        name: s.name,
        containerName: s.containerName,
        ...(s.sourcePath ? { sourcePath: s.sourcePath } : {}),
        ...(s.deployment !== undefined ? { deployment: s.deployment } : {}),
        ...(s.urlEnvName && url ? { url } : {}),
        readinessPath: s.readinessPath,
        readinessTimeoutSeconds: s.readinessTimeoutSeconds,
        ...(s.readinessTcpPort !== undefined ? { readinessTcpPort: s.readinessTcpPort } : {}),
        hasHealthcheck: s.hasHealthcheck,
        stopGraceSeconds: s.stopGraceSeconds,
        stopWave: s.stopWave,
    };
}

/**
 * The description of a run (runner/description.ts), each service's URL taken from the environment the suite gets,
 * so the probes reach what the tests reach. One JSON value, never shell text: no name or path can run as a command.
 */
export function testRunDescription(
    input: TestRunScriptInput & TestRunSettings,
    environment: Record<string, string>,
): RunDescription {
    return {
        runDir: input.runDir,
        testWorkingDir: input.testWorkingDir,
        testCommand: input.testCommand,
        testTimeoutSeconds: input.testTimeoutSeconds,
        ...(input.runTar !== undefined ? { runTar: input.runTar } : {}),
        ...(input.remoteHost !== undefined ? { remoteHost: input.remoteHost } : {}),
        ...(input.engine !== undefined ? { engine: input.engine } : {}),
        ...(input.patch !== undefined ? { patch: input.patch } : {}),
        services: input.services.map((s) =>
            serviceDescription(s, s.urlEnvName ? environment[s.urlEnvName] : undefined),
        ),
    };
}

/** The description of one service's readiness wait. */
export function readinessDescription(
    s: ScriptService,
    url: string | undefined,
    remoteHost: string | undefined,
): ReadinessDescription {
    return { service: serviceDescription(s, url), ...(remoteHost !== undefined ? { remoteHost } : {}) };
}
