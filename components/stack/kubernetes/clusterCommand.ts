import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

/**
 * A shell script run on this machine once per run (kubectl reaching the cluster), its values in the environment:
 * the shell parses none of them.
 */
export function clusterCommand(
    name: string,
    script: string,
    runId: string,
    env: pulumi.Input<Record<string, string>>,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    return new command.local.Command(
        name,
        {
            create: script,
            interpreter: ["/bin/sh", "-c"],
            environment: env,
            triggers: [runId],
            addPreviousOutputInEnv: false,
        },
        opts,
    );
}
