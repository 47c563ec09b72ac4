import * as pulumi from "@pulumi/pulumi";
import { podGraceSeconds } from "../../engine/kubernetes/spyPodParts";
import { serviceSelector } from "../../engine/kubernetes/serviceWorkload";
import { ResolvedService } from "../../options/resolveArgs";
import { clusterCommand } from "./clusterCommand";

/** Seconds beyond the pods' grace for the API server to see them gone. */
const GONE_MARGIN_SECONDS = 15;

/**
 * When the service has pods left (a killed run's, which its stop never reached), scales its Deployment of the
 * previous run to 0 and waits until they are gone; one listing otherwise, as after every run that stopped its pods.
 * Its values come from the environment: the shell parses none of them.
 */
const PREVIOUS_PODS_GONE_SCRIPT = [
    "set -e",
    'ns="$COVERAGE_SPY_NAMESPACE"',
    'left=$(kubectl --namespace "$ns" get pods --selector "$COVERAGE_SPY_SELECTOR" --output name)',
    '[ -n "$left" ] || exit 0',
    // Pods whose Deployment is gone (deleted, its pods not yet) need only the wait.
    'if kubectl --namespace "$ns" get deployment "$COVERAGE_SPY_DEPLOYMENT" >/dev/null 2>&1; then',
    '  kubectl --namespace "$ns" scale deployment "$COVERAGE_SPY_DEPLOYMENT" --replicas=0 >&2',
    "fi",
    'kubectl --namespace "$ns" wait --for=delete pod --selector "$COVERAGE_SPY_SELECTOR" ' +
        '--timeout="${COVERAGE_SPY_TIMEOUT_SECONDS}s" >&2',
].join("\n");

export interface PreviousPodsInput {
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    service: ResolvedService;
    runId: string;
    cliEnv: pulumi.Input<Record<string, string>>;
}

/**
 * Before a run starts a service's new pods: every pod of its previous run gone. A run ends with its pods scaled to 0
 * (the test run's graceful stop), but a killed run leaves them running; a rolling update would then keep them
 * serving, terminating, while the suite starts: its first requests would reach pods on their way out. Scaling to 0
 * stops them gracefully, so their data is saved and shipped as any stop's.
 */
export function createPreviousPodsGone(
    name: string,
    input: PreviousPodsInput,
    opts: pulumi.CustomResourceOptions,
): pulumi.Resource {
    const { service } = input;
    const selector = Object.entries(serviceSelector(input.labels, service.name))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    const timeout = podGraceSeconds(service.stopGraceSeconds, service.instrument) + GONE_MARGIN_SECONDS;
    return clusterCommand(
        `${name}-${service.name}-previous-pods-gone`,
        PREVIOUS_PODS_GONE_SCRIPT,
        input.runId,
        pulumi.all([input.cliEnv, input.namespace]).apply(([cliEnv, namespace]) => ({
            ...cliEnv,
            COVERAGE_SPY_NAMESPACE: namespace,
            COVERAGE_SPY_DEPLOYMENT: service.name,
            COVERAGE_SPY_SELECTOR: selector,
            COVERAGE_SPY_TIMEOUT_SECONDS: String(timeout),
        })),
        opts,
    );
}
