import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ScriptService, WAIT_READY_SCRIPT, assetScriptPath, serviceParameters } from "../testRun/testRunScript";

export interface ReadinessWaitInput {
    /** The service, as the test-run script sees it (the same readiness parameters). */
    service: ScriptService;
    runId: string;
    /** The spy's assets folder, which holds wait-ready.sh. */
    assetsDir: string;
    /** The service's URL (on serviceHost), for its HTTP probe; none without a published port. */
    url?: pulumi.Input<string>;
    /** The docker CLI's environment for the engine (DOCKER_HOST...). */
    cliEnv: pulumi.Input<Record<string, string>>;
}

/**
 * Waits until a service others depend on is ready (coverage-spy/wait-ready.sh: the test run's own probes),
 * so that they start only then. Replaced on every run id, like the service itself.
 */
export function createReadinessWait(
    name: string,
    input: ReadinessWaitInput,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    const { service } = input;
    return new command.local.Command(
        `${name}-${service.name}-ready`,
        {
            create: assetScriptPath(input.assetsDir, WAIT_READY_SCRIPT),
            interpreter: ["/bin/bash"],
            environment: pulumi.all([input.url, input.cliEnv]).apply(([url, engineEnv]) => ({
                ...engineEnv,
                COVERAGE_SPY_SERVICE_COUNT: "1",
                ...serviceParameters(service, 0),
                ...(service.urlEnvName && url ? { [service.urlEnvName]: url } : {}),
            })),
            triggers: [input.runId],
            addPreviousOutputInEnv: false,
        },
        opts,
    );
}
