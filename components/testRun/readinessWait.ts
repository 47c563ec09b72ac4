import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { TEST_RUN_VARIABLE } from "./runner/description";
import { WAIT_READY_ENTRY, runnerEntryPath, runnerStartEnvironment } from "../shared/runnerPath";
import { ScriptService, readinessDescription } from "./testRunScript";

export interface ReadinessWaitInput {
    /** The service, as the test run sees it (the same readiness parameters). */
    service: ScriptService;
    runId: string;
    /** The service's URL (on serviceHost), for its HTTP probe; none without a published port. */
    url?: pulumi.Input<string>;
    /** A remote engine's address, where its TCP probe reaches the service's published port. */
    remoteHost?: string;
    /** The docker CLI's environment for the engine (DOCKER_HOST...). */
    cliEnv: pulumi.Input<Record<string, string>>;
}

/**
 * Waits until a service others depend on is ready (testRun/runner/waitReadyMain.ts: the test run's own probes, run
 * by the Node that runs this program), so that they start only then. Replaced on every run id, like the service.
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
            create: runnerEntryPath(WAIT_READY_ENTRY),
            interpreter: [process.execPath],
            environment: pulumi.all([input.url, input.cliEnv]).apply(([url, engineEnv]) => ({
                ...engineEnv,
                // Nothing it runs needs them back: it starts no process of the user's.
                ...runnerStartEnvironment(),
                [TEST_RUN_VARIABLE]: JSON.stringify(readinessDescription(service, url, input.remoteHost)),
            })),
            triggers: [input.runId],
            addPreviousOutputInEnv: false,
        },
        opts,
    );
}
