import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { COPY_REPORTS_ENTRY, runnerEntryPath, runnerStartEnvironment } from "../../shared/runnerPath";

export interface ReportCopyInput {
    runId: string;
    harvester: docker.Container;
    /** The run's report folder inside the harvester. */
    from: string;
    /** The run's report folder on this machine. */
    to: string;
    /** The docker CLI's environment for the engine (DOCKER_HOST...). */
    cliEnv: pulumi.Input<Record<string, string>>;
}

/**
 * Copies the run's reports out of a remote engine's stopped harvester into the host's report folder, where the
 * summary reads them. Replaced with every run, like the harvester.
 */
export function createReportCopy(
    name: string,
    input: ReportCopyInput,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    return new command.local.Command(
        `${name}-reports-copy`,
        {
            create: runnerEntryPath(COPY_REPORTS_ENTRY),
            interpreter: [process.execPath],
            environment: pulumi
                .all([input.cliEnv, input.harvester.name, input.harvester.exitCode])
                .apply(([env, harvester, exitCode]) => ({
                    ...env,
                    ...runnerStartEnvironment(),
                    COVERAGE_SPY_HARVESTER: harvester,
                    COVERAGE_SPY_FROM: input.from,
                    COVERAGE_SPY_TO: input.to,
                    COVERAGE_SPY_HARVEST_EXIT: String(exitCode ?? -1),
                })),
            triggers: [input.runId],
            addPreviousOutputInEnv: false,
        },
        pulumi.mergeOptions(opts, { dependsOn: [input.harvester] }),
    );
}
