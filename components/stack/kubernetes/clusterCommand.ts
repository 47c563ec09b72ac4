import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

/** The environment variable naming the kubeconfig's context every kubectl of a cluster command is given. */
export const KUBECTL_CONTEXT_VARIABLE = "COVERAGE_SPY_KUBECTL_CONTEXT";

/** The environment that gives the context to every kubectl of a cluster command; none for the current context. */
export function kubectlContextEnvironment(context: string | undefined): Record<string, string> {
    return context !== undefined ? { [KUBECTL_CONTEXT_VARIABLE]: context } : {};
}

/**
 * Comes before each script: its kubectl is given the context when one is set (kubectl reads none from its
 * environment, unlike its kubeconfig, KUBECONFIG).
 */
export const KUBECTL_WITH_CONTEXT = [
    "kubectl() {",
    `  if [ -n "\${${KUBECTL_CONTEXT_VARIABLE}:-}" ]; then`,
    `    command kubectl --context "$${KUBECTL_CONTEXT_VARIABLE}" "$@"`,
    "  else",
    '    command kubectl "$@"',
    "  fi",
    "}",
].join("\n");

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
            create: `${KUBECTL_WITH_CONTEXT}\n${script}`,
            interpreter: ["/bin/sh", "-c"],
            environment: env,
            triggers: [runId],
            addPreviousOutputInEnv: false,
        },
        opts,
    );
}
