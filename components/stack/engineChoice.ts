import { runEngine } from "../engine/runEngine";
import { ResolvedStackArgs } from "../options/resolveArgs";
import { DockerRunEngine, dockerRunEngine } from "./docker/dockerRun";
import type { KubernetesTarget } from "./planRun";
import type { RunEngine } from "./runEngine";

/** The Kubernetes engine's module: loaded only when a run is on a cluster (@pulumi/kubernetes is an optional peer). */
type KubernetesRunModule = typeof import("./kubernetes/kubernetesRun");

/** The run's engine on Docker: local or remote, as the resolved `remoteEngine` says. */
export function dockerEngineOf(resolved: ResolvedStackArgs): DockerRunEngine {
    return dockerRunEngine(runEngine(resolved));
}

/**
 * The run's engine: the cluster's when the component was given a kubernetes provider, Docker's otherwise. The one
 * place that loads the Kubernetes engine, so a program on Docker never needs @pulumi/kubernetes installed.
 */
export function engineOf(resolved: ResolvedStackArgs, kubernetes: KubernetesTarget | undefined): RunEngine {
    if (kubernetes === undefined) return dockerEngineOf(resolved);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: an optional peer dependency
    const cluster = require("./kubernetes/kubernetesRun") as KubernetesRunModule;
    return cluster.kubernetesRunEngine(kubernetes, resolved);
}
