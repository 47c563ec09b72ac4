import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStackArgs } from "../options/args";
import { ResolvedStackArgs, resolveArgs, resolveKubernetesOptions } from "../options/resolveArgs";
import { validateStackArgs } from "../options/validation";
import { SpyImagePlan, planSpyImage } from "../engine/spyDelivery";
import { defaultEngineSettings } from "../engine/dockerEngine";
import { runReportDir } from "../harvester/harvester";
import { stackNamespace } from "../engine/kubernetes/names";
import { kubernetesServiceProblems } from "../engine/kubernetes/serviceChecks";
import { CoverageSpyInputError } from "../options/inputError";
import { isKubeconfigText } from "../options/kubernetesOptions";
import { PATCH_BASE_ENV } from "../options/patchOptions";
import { defaultPatchBase } from "../summary/gitChanges";
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

/** The provider the component makes itself, from the `kubernetes` option, when it was given none. */
export interface OwnKubernetesProvider {
    /** The option's kubeconfig: a file's path or its text. */
    kubeconfig?: string;
    context?: string;
    namespace: string;
}

/** The cluster a run's services run on, when the component was given a kubernetes provider or option. */
export interface KubernetesTarget {
    /** The stack's namespace on the cluster. */
    namespace: string;
    /**
     * What kubectl reads on this machine to reach the same cluster as the provider, as its KUBECONFIG: the option's
     * file (the option's text written to one), else this machine's KUBECONFIG when set (one path or several).
     */
    kubeconfig?: string;
    /** The kubeconfig's context kubectl is given (`--context`); its current context when none. */
    context?: string;
    /** The provider the component makes from the `kubernetes` option; none when it was given one. */
    ownProvider?: OwnKubernetesProvider;
    /** The data claim's size and StorageClass (none: the cluster's default), and the shippers' interval. */
    dataClaimSize: string;
    storageClass?: string;
    shipIntervalSeconds: number;
}

/** Whether the component's children get a kubernetes provider (its `providers` option, or a parent's). */
function hasKubernetesProvider(context: RunContext): boolean {
    return context.component?.getProvider(KUBERNETES_MODULE_MEMBER) !== undefined;
}

/** Whether the run is on a cluster: the component was given a kubernetes provider, or the `kubernetes` option. */
export function runsOnCluster(context: RunContext, args: Pick<CoverageSpyStackArgs, "kubernetes">): boolean {
    return hasKubernetesProvider(context) || args.kubernetes !== undefined;
}

/** The file kubectl reads a kubeconfig given as text from: the stack's engine folder, beside the run's tar. */
export function kubeconfigFileOf(reportDir: string): string {
    return path.join(reportDir, "engine", "kubeconfig");
}

/**
 * Writes a kubeconfig's text where only this user can read it (it holds the cluster's credentials), replacing an
 * older one; returns its path.
 */
export function writeKubeconfigFile(file: string, text: string): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, "w", 0o600);
    try {
        // The mode of an existing file is not changed by opening it.
        fs.fchmodSync(fd, 0o600);
        fs.writeFileSync(fd, text);
    } finally {
        fs.closeSync(fd);
    }
    return file;
}

/** The KUBECONFIG kubectl gets: the option's file (its text written to one), else this machine's own, if set. */
function kubectlKubeconfig(option: string | undefined, reportDir: string): string | undefined {
    if (option !== undefined)
        return isKubeconfigText(option) ? writeKubeconfigFile(kubeconfigFileOf(reportDir), option) : option;
    const fromEnv = process.env.KUBECONFIG;
    return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
}

/**
 * The cluster the component's services run on: one when it was given a kubernetes provider or the `kubernetes`
 * option, none for Docker. Call it on validated arguments: it writes a kubeconfig given as text to a file.
 */
export function kubernetesTarget(context: RunContext, resolved: ResolvedStackArgs): KubernetesTarget | undefined {
    if (!runsOnCluster(context, resolved)) return undefined;
    const options = resolveKubernetesOptions(resolved.kubernetes);
    const namespace = options.namespace ?? stackNamespace(context.project, context.stack);
    const kubeconfig = kubectlKubeconfig(options.kubeconfig, resolved.reportDir);
    const ownProvider: OwnKubernetesProvider | undefined =
        resolved.kubernetes !== undefined && !hasKubernetesProvider(context)
            ? {
                  namespace,
                  ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
                  ...(options.context !== undefined ? { context: options.context } : {}),
              }
            : undefined;
    return {
        namespace,
        ...(kubeconfig !== undefined ? { kubeconfig } : {}),
        ...(options.context !== undefined ? { context: options.context } : {}),
        ...(ownProvider !== undefined ? { ownProvider } : {}),
        dataClaimSize: options.dataClaimSize,
        ...(options.storageClass !== undefined ? { storageClass: options.storageClass } : {}),
        shipIntervalSeconds: options.shipIntervalSeconds,
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
            "remoteEngine: true names a remote Docker engine, but the component was given a kubernetes provider or " +
                "the kubernetes option, which run the services on the cluster: remove remoteEngine, or the cluster",
        );
    return [...problems, ...kubernetesServiceProblems(resolved.services)];
}

/** What the arguments ask that a Docker engine cannot do: more than one container of a service. */
export function dockerProblems(resolved: ResolvedStackArgs): string[] {
    return resolved.services.flatMap((service, i) =>
        service.replicas !== undefined && service.replicas !== 1
            ? [
                  `services[${i}].replicas ${service.replicas}: a Docker engine runs one container per service; ` +
                      "replicas is for a Kubernetes cluster (a kubernetes provider or the kubernetes option): remove " +
                      "it, or run this stack on a cluster",
              ]
            : [],
    );
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
        patchBaseFromCommand: process.env[PATCH_BASE_ENV] || undefined,
        defaultPatchBase: () => defaultPatchBase(context.projectDir),
    });
    const engineProblems = runsOnCluster(context, args) ? kubernetesProblems(args, resolved) : dockerProblems(resolved);
    try {
        validateStackArgs(resolved);
    } catch (err) {
        // Every problem at once: the options' and what the engine cannot do.
        if (err instanceof CoverageSpyInputError) throw new CoverageSpyInputError([...err.problems, ...engineProblems]);
        throw err;
    }
    if (engineProblems.length > 0) throw new CoverageSpyInputError(engineProblems);
    const kubernetes = kubernetesTarget(context, resolved);
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
