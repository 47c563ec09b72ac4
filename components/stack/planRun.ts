import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStackArgs } from "../options/args";
import { ResolvedStackArgs, resolveArgs } from "../options/resolveArgs";
import { validateStackArgs } from "../options/validation";
import { SpyImagePlan, planSpyImage } from "../engine/spyDelivery";
import { defaultEngineSettings } from "../engine/dockerEngine";
import { runReportDir } from "../harvester/harvester";
import { stackNamespace } from "../engine/kubernetes/names";
import { kubernetesServiceProblems } from "../engine/kubernetes/serviceChecks";
import { CoverageSpyInputError } from "../options/inputError";
import type { DockerRunEngine } from "./docker/dockerRun";
import { engineOf } from "./engineChoice";
import type { RunEngine } from "./runEngine";
import { LABEL_PROJECT, LABEL_STACK, newRunId } from "../shared/naming";
import { findUp } from "../shared/findUp";

/** The spy's assets folder shipped with this library, whether it runs from source or from bin/. */
export function defaultAssetsDir(start: string = __dirname): string {
    const found = findUp(start, (dir) => {
        const candidate = path.join(dir, "coverage-spy");
        return fs.existsSync(path.join(candidate, "site", "sitecustomize.py")) ? candidate : undefined;
    });
    if (found === undefined) throw new Error(`coverage-spy: cannot find the coverage-spy/ assets above ${start}`);
    return found;
}

/** Where a run happens: the stack and project it belongs to, and the folder of the program declaring it. */
export interface RunContext {
    stack: string;
    project: string;
    projectDir: string;
    /** The component being planned: its providers say which engine runs the services (none: Docker). */
    component?: pulumi.Resource;
}

/**
 * A resource of @pulumi/kubernetes, to ask a component whether its children get a kubernetes provider (its
 * `providers` option, or a parent's): the package itself is not loaded to ask.
 */
export const KUBERNETES_MODULE_MEMBER = "kubernetes:core/v1:Namespace";

/** The cluster a run's services run on, when the component was given a kubernetes provider. */
export interface KubernetesTarget {
    /** The stack's namespace on the cluster. */
    namespace: string;
    /** What kubectl reads on this machine to reach the same cluster as the provider: KUBECONFIG when set. */
    kubeconfig?: string;
}

/** The cluster the component's services run on: one when it was given a kubernetes provider, none for Docker. */
export function kubernetesTarget(context: RunContext): KubernetesTarget | undefined {
    if (context.component?.getProvider(KUBERNETES_MODULE_MEMBER) === undefined) return undefined;
    const kubeconfig = process.env.KUBECONFIG;
    return {
        namespace: stackNamespace(context.project, context.stack),
        ...(kubeconfig !== undefined && kubeconfig !== "" ? { kubeconfig } : {}),
    };
}

/**
 * What the arguments ask that a Kubernetes cluster cannot do, each naming the option and the fix: the services'
 * options (kubernetesServiceProblems) and the component's own.
 */
export function kubernetesProblems(args: CoverageSpyStackArgs, resolved: ResolvedStackArgs): string[] {
    const problems: string[] = [];
    if (args.remoteEngine === true)
        problems.push(
            "remoteEngine: true names a remote Docker engine, but the component was given a kubernetes provider, " +
                "which runs the services on the cluster: remove remoteEngine, or the kubernetes provider",
        );
    if (resolved.perTestContexts)
        problems.push(
            "perTestContexts: the relay that tells each measured process the current test cannot reach pods on a " +
                "cluster yet: remove perTestContexts, or run this stack on a Docker engine",
        );
    return [...problems, ...kubernetesServiceProblems(resolved.services)];
}

/** An image the engine must hold before anything is created, and who asked for it (named in the error). */
export interface ImageNeed {
    owner: string;
    image: string;
}

/**
 * What a run is, decided before any resource exists: every later step reads it and none changes it. `Engine`: the
 * run's engine; Docker's for a plan made without a component (no provider to find a cluster by).
 */
export interface RunPlan<Engine extends RunEngine = DockerRunEngine> {
    stack: string;
    project: string;
    resolved: ResolvedStackArgs;
    spyImage: SpyImagePlan;
    /** Images looked up on the engine at preview: those named by plain strings (an Output image is built later). */
    imageNeeds: ImageNeed[];
    /** What runs the services: a Docker engine, local or remote, or a Kubernetes cluster. */
    engine: Engine;
    /** The labels of every object of the stack, by which recovery and prune find them. */
    labels: Record<string, string>;
    /** The host folder of this run's reports, where the summary reads them. */
    runDir: string;
    /** The cluster the services run on; none: the Docker engine. */
    kubernetes?: KubernetesTarget;
}

/**
 * Resolves and checks the component's arguments and decides the run's engine and spy image. Throws a
 * CoverageSpyInputError listing every problem of the input: nothing is created for a run that cannot work.
 */
export function planRun(args: CoverageSpyStackArgs, context: Omit<RunContext, "component">): RunPlan;
export function planRun(args: CoverageSpyStackArgs, context: RunContext): RunPlan<RunEngine>;
export function planRun(args: CoverageSpyStackArgs, context: RunContext): RunPlan<RunEngine> {
    const { stack, project } = context;
    const resolved = resolveArgs(args, {
        stack,
        projectDir: context.projectDir,
        defaultDockerHost: defaultEngineSettings().host ?? process.env.DOCKER_HOST,
        defaultAssetsDir,
        newRunId,
    });
    const kubernetes = kubernetesTarget(context);
    const clusterProblems = kubernetes === undefined ? [] : kubernetesProblems(args, resolved);
    try {
        validateStackArgs(resolved);
    } catch (err) {
        // Every problem at once: the options' and what the cluster cannot do.
        if (err instanceof CoverageSpyInputError)
            throw new CoverageSpyInputError([...err.problems, ...clusterProblems]);
        throw err;
    }
    if (clusterProblems.length > 0) throw new CoverageSpyInputError(clusterProblems);
    const spyImage = planSpyImage(resolved);
    const imageNeeds: ImageNeed[] = [
        ...resolved.services.flatMap((s) =>
            typeof s.image === "string" ? [{ owner: `service ${s.name}`, image: s.image }] : [],
        ),
        ...(spyImage.need !== undefined ? [spyImage.need] : []),
    ];
    return {
        stack,
        project,
        resolved,
        spyImage,
        imageNeeds,
        engine: engineOf(resolved, kubernetes),
        labels: { [LABEL_PROJECT]: project, [LABEL_STACK]: stack },
        runDir: runReportDir(resolved.reportDir, resolved.runId),
        ...(kubernetes !== undefined ? { kubernetes } : {}),
    };
}
