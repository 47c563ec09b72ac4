import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { generateCoveragerc } from "../../config/coveragerc";
import {
    CONTEXT_RELAY_NAME,
    contextRelayPodsAddress,
    createClusterContextRelay,
} from "../../engine/kubernetes/contextRelay";
import { createDataHome } from "../../engine/kubernetes/dataHome";
import { stackLabels } from "../../engine/kubernetes/names";
import { ImagePullPolicy } from "../../engine/kubernetes/objectBasics";
import { createServiceWorkload } from "../../engine/kubernetes/serviceWorkload";
import { LocalImage, inspectLocalImages } from "../../engine/localImages";
import { ResolvedService, ResolvedStackArgs, measuredServices } from "../../options/resolveArgs";
import { pythonPathFromImageEnv, readImagePythonPath } from "../../service/imagePythonPath";
import { serviceEnvironment } from "../../service/serviceContainer";
import { CONTEXT_RELAY_PORT } from "../../shared/layout";
import { CONTEXT_RELAY_CONTAINER } from "../../shared/naming";
import { scriptServices } from "../../testRun/scriptServices";
import type { KubernetesTarget, RunPlan } from "../planRun";
import type { ContextRelay, RunEngine, ServiceToStart, StartedService } from "../runEngine";
import { kubectlContextEnvironment } from "./clusterCommand";
import { KubernetesPreparedRun, harvestOnCluster, runTarOf } from "./kubernetesHarvest";
import { NodeJson, clusterNodeAddress, clusterNodes } from "./nodeAddress";
import { requireImagesOnNodes } from "./nodeImages";
import { createPreviousPodsGone } from "./previousPods";

/** The cluster's preparation, and the parent of the run's objects on the cluster (see clusterScope). */
export type ClusterPreparedRun = KubernetesPreparedRun & { scope: pulumi.ComponentResource };

/**
 * Images loaded into the nodes (kind load) and images a registry serves alike: the kubelet pulls only what its node
 * lacks.
 */
const IMAGE_PULL_POLICY: ImagePullPolicy = "IfNotPresent";
/** Pods per measured service, spread over the nodes (one per node as far as they go). */
export const SERVICE_REPLICAS = 2;

/**
 * A service's pods: its own count, else SERVICE_REPLICAS for a measured service (measured on several nodes at once)
 * and 1 for one it needs (a database or a cache: two replicas would be two separate stores behind one Service).
 */
export function replicasOf(service: Pick<ResolvedService, "replicas" | "instrument">): number {
    return service.replicas ?? (service.instrument ? SERVICE_REPLICAS : 1);
}

/** The service's image on this machine's Docker engine, when named by a string; none for an Output image. */
function localImageOf(service: ResolvedService): LocalImage | undefined {
    return typeof service.image === "string" ? inspectLocalImages([service.image]).get(service.image) : undefined;
}

/** The app image's own PYTHONPATH: given, else read from the image on this machine's Docker engine, else none. */
function imagePythonPath(
    component: pulumi.Resource,
    service: ResolvedService,
    local: LocalImage | undefined,
): pulumi.Output<string> {
    if (service.imagePythonPath !== undefined) return pulumi.output(service.imagePythonPath);
    if (typeof service.image !== "string")
        return readImagePythonPath(service.name, service.image, pulumi.output({}), { parent: component });
    return pulumi.output(local?.envJson !== undefined ? pythonPathFromImageEnv(local.envJson) : "");
}

/** What kubectl on this machine reads to reach the cluster: the kubeconfig found, and the context given. */
export function kubectlEnvironment(target: KubernetesTarget): Record<string, string> {
    return {
        ...(target.kubeconfig !== undefined ? { KUBECONFIG: target.kubeconfig } : {}),
        ...kubectlContextEnvironment(target.context),
    };
}

/** The component's child that holds the provider it makes from the `kubernetes` option, for its Kubernetes objects. */
export const CLUSTER_SCOPE_TYPE = "coverage-spy:kubernetes:Cluster";

/**
 * What the run's Kubernetes objects are children of: the component, whose kubernetes provider they get; or, when the
 * component makes its own provider from the `kubernetes` option, a child of it holding that provider, which every
 * object under it gets.
 */
function clusterScope(component: pulumi.ComponentResource, name: string, target: KubernetesTarget) {
    const own = target.ownProvider;
    if (own === undefined) return component;
    const provider = new k8s.Provider(
        `${name}-cluster`,
        {
            // Its text holds the cluster's credentials: a secret in the state.
            ...(own.kubeconfig !== undefined ? { kubeconfig: pulumi.secret(own.kubeconfig) } : {}),
            ...(own.context !== undefined ? { context: own.context } : {}),
            namespace: own.namespace,
        },
        { parent: component },
    );
    return new pulumi.ComponentResource(CLUSTER_SCOPE_TYPE, name, {}, { parent: component, providers: [provider] });
}

/** The stack's namespace, data claim, collector and rcfile: kept across runs, deleted with the namespace. */
function prepareCluster(
    target: KubernetesTarget,
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine>,
    inputError: (message: string) => Error,
    readNodes: (target: KubernetesTarget) => NodeJson[],
): ClusterPreparedRun {
    const { resolved } = plan;
    const labels = stackLabels(plan.project, plan.stack);
    let nodeAddress: string;
    try {
        const nodes = readNodes(target);
        nodeAddress = clusterNodeAddress(nodes);
        requireImagesOnNodes(component, plan, nodes);
    } catch (err) {
        throw inputError((err as Error).message);
    }
    const child = { parent: component };
    const spyImage = plan.spyImage.image;
    const home = createDataHome(
        name,
        {
            namespace: target.namespace,
            labels,
            spyImage,
            imagePullPolicy: IMAGE_PULL_POLICY,
            claimSize: target.dataClaimSize,
            storageClass: target.storageClass,
            coveragerc: generateCoveragerc({
                options: resolved.coverage,
                sourcePaths: measuredServices(resolved.services).map((s) => s.sourcePath),
                perTestContexts: resolved.perTestContexts,
            }),
        },
        child,
    );
    return {
        scope: component,
        cliEnv: pulumi.output(kubectlEnvironment(target)),
        target,
        labels,
        home,
        nodeAddress,
        spyImage,
        imagePullPolicy: IMAGE_PULL_POLICY,
    };
}

/**
 * The URL of a service's first port on a node: its NodePort, which the API server gives when it creates the Service
 * (unknown at preview).
 */
function nodePortUrl(
    nodeAddress: string,
    service: string,
    port: number,
    ports: Array<{ port: number; nodePort?: number }>,
): string {
    const nodePort = ports.find((p) => p.port === port)?.nodePort;
    if (nodePort !== undefined) return `http://${nodeAddress}:${nodePort}`;
    if (pulumi.runtime.isDryRun()) return pulumi.unknown as unknown as string;
    throw new Error(
        `coverage-spy: the cluster gave the Service of ${service} no NodePort for port ${port}, which the test run ` +
            `reaches it on: see \`kubectl get service ${service} -o yaml\` in the stack's namespace`,
    );
}

/**
 * A service as a Deployment of its unchanged image (measured: the shipper sidecar, which installs the spy) and a
 * NodePort Service; the test run reaches it on a node's address. The Deployment is ready once its pods are: what a
 * service depending on it waits for.
 */
function startOnCluster(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine>,
    prepared: KubernetesPreparedRun,
    start: ServiceToStart,
): StartedService {
    const { service } = start;
    const { runId } = plan.resolved;
    const { home } = prepared;
    const { coveragerc } = home;
    const measured = service.instrument
        ? {
              spyImage: prepared.spyImage,
              coveragercConfigMap: coveragerc.metadata.name,
              collectorUrl: home.collectorUrl,
              shipIntervalSeconds: prepared.target.shipIntervalSeconds,
              ...(plan.resolved.perTestContexts
                  ? { contextRelay: contextRelayPodsAddress(prepared.target.namespace) }
                  : {}),
          }
        : undefined;
    const local = localImageOf(service);
    const env = serviceEnvironment(
        service,
        service.instrument ? { runId, imagePythonPath: imagePythonPath(component, service, local) } : undefined,
    );
    const previousGone = createPreviousPodsGone(
        name,
        { namespace: home.namespaceName, labels: prepared.labels, service, runId, cliEnv: prepared.cliEnv },
        { parent: component },
    );
    const workload = createServiceWorkload(
        name,
        {
            namespace: home.namespaceName,
            labels: prepared.labels,
            service,
            runId,
            replicas: replicasOf(service),
            imagePullPolicy: prepared.imagePullPolicy,
            env,
            measured,
            imagePorts: local?.exposedPorts ?? [],
        },
        // A measured pod ships to the collector from its start.
        {
            parent: component,
            dependsOn: [previousGone, ...(measured ? [home.collector, coveragerc] : []), ...start.dependsOn],
        },
    );
    const firstPort = service.ports[0]?.internal;
    const url =
        firstPort !== undefined && workload.service !== undefined
            ? workload.service.spec.ports.apply((ports) =>
                  nodePortUrl(prepared.nodeAddress, service.name, firstPort, ports),
              )
            : undefined;
    return {
        workload: workload.deployment,
        ...(url !== undefined ? { url } : {}),
        ...(start.needed ? { readiness: workload.deployment } : {}),
    };
}

/**
 * The per-test context relay on the cluster, on the stack's claim: the test run reaches it on a node's address, the
 * measured pods' sidecars by its Service's name (they wait for it, so the pods need not).
 */
function startRelayOnCluster(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine>,
    prepared: KubernetesPreparedRun,
): ContextRelay {
    const { home } = prepared;
    const relay = createClusterContextRelay(
        name,
        {
            namespace: home.namespaceName,
            labels: prepared.labels,
            runId: plan.resolved.runId,
            spyImage: prepared.spyImage,
            imagePullPolicy: prepared.imagePullPolicy,
            claimName: home.claim.metadata.name,
            collectorLabels: home.collectorLabels,
        },
        // The claim's runs/ folder is the collector's to make.
        { parent: component, dependsOn: [home.collector] },
    );
    const url = relay.service.spec.ports.apply((ports) =>
        nodePortUrl(prepared.nodeAddress, CONTEXT_RELAY_NAME, CONTEXT_RELAY_PORT, ports),
    );
    return {
        relay: relay.deployment,
        url,
        where: { containerName: CONTEXT_RELAY_CONTAINER, deployment: CONTEXT_RELAY_NAME },
    };
}

/** The run's engine on a Kubernetes cluster, reached by the component's kubernetes provider and, here, by kubectl. */
export function kubernetesRunEngine(
    target: KubernetesTarget,
    resolved: Pick<ResolvedStackArgs, "reportDir">,
    readNodes: (target: KubernetesTarget) => NodeJson[] = clusterNodes,
): RunEngine<ClusterPreparedRun> {
    return {
        // The harvest runs on the cluster: the run's results go to it as a tar.
        remote: true,
        runTar: runTarOf(resolved.reportDir),
        prepare: (component, name, plan, inputError) =>
            prepareCluster(target, clusterScope(component, name, target), name, plan, inputError, readNodes),
        // Each service is its Deployment, whose app container has the service's name.
        describeServices: (plan) =>
            scriptServices(plan.resolved.services, plan.stack).map((s) => ({
                ...s,
                containerName: s.name,
                deployment: s.name,
            })),
        startService: (_component, name, plan, prepared, start) =>
            startOnCluster(prepared.scope, name, plan, prepared, start),
        startContextRelay: (_component, name, plan, prepared) =>
            startRelayOnCluster(prepared.scope, name, plan, prepared),
        testRunEngine: () => ({
            kind: "kubectl",
            ...(target.kubeconfig !== undefined ? { kubeconfig: target.kubeconfig } : {}),
            ...(target.context !== undefined ? { context: target.context } : {}),
            namespace: target.namespace,
        }),
        harvest: (_component, name, plan, prepared, testRun) =>
            harvestOnCluster(prepared.scope, name, plan, prepared, testRun),
        stackPlaces: (prepared) => ({
            volumeName: prepared.home.claim.metadata.name,
            networkName: prepared.home.namespaceName,
        }),
    };
}
