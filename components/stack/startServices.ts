import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LocalImage } from "../engine/localImages";
import { ResolvedService } from "../options/resolveArgs";
import { dependedOn, startOrder } from "../service/dependencyOrder";
import { pythonPathFromImageEnv, readImagePythonPath } from "../service/imagePythonPath";
import { publishedUrl } from "../service/publishedUrl";
import { createServiceContainer } from "../service/serviceContainer";
import { createReadinessWait } from "../testRun/readinessWait";
import { scriptServices } from "../testRun/scriptServices";
import { ScriptService } from "../testRun/testRunScript";
import { publishAddress } from "../shared/engineAddress";
import { LABEL_HARVESTER_IMAGE, LABEL_REMOTE_ENGINE, LABEL_REPORT_DIR } from "../shared/naming";
import { PreparedRun } from "./prepareRun";
import { RunPlan } from "./planRun";

/** The run's services, started. */
export interface StartedServices {
    containers: Map<string, docker.Container>;
    /** The readiness waits of the services others depend on. */
    readiness: Map<string, command.local.Command>;
    /** Service name → its URL on serviceHost, for services with a port (the first port). */
    urls: Record<string, pulumi.Output<string>>;
    /** Each service as the test run sees it, in the order given. */
    described: ScriptService[];
}

/** The image's own PYTHONPATH: given, read from the engine's image at preview, or once an Output image is built. */
function imagePythonPath(
    component: pulumi.Resource,
    service: ResolvedService,
    engineImages: pulumi.Output<Record<string, LocalImage>>,
    cliEnv: pulumi.Output<Record<string, string>>,
): pulumi.Output<string> {
    if (service.imagePythonPath !== undefined) return pulumi.output(service.imagePythonPath);
    const image = service.image;
    if (typeof image === "string") return engineImages.apply((found) => pythonPathFromImageEnv(found[image].envJson!));
    return readImagePythonPath(service.name, image, cliEnv, { parent: component });
}

/**
 * Starts every service from its unchanged image, a measured one with the spy's environment and the spy and data
 * volumes; each starts once those it depends on are ready (their readiness waits), the others in the order given.
 */
export function startServices(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan,
    prepared: PreparedRun,
): StartedServices {
    const { resolved, stack, engine } = plan;
    const { runId, reportDir, serviceHost } = resolved;
    const publishIp = publishAddress(serviceHost);
    const described = scriptServices(resolved.services, stack);
    const describedByName = new Map(described.map((s) => [s.name, s]));
    const needed = dependedOn(resolved.services);
    const started: StartedServices = { containers: new Map(), readiness: new Map(), urls: {}, described };
    for (const service of startOrder(resolved.services)) {
        const container = createServiceContainer(
            name,
            {
                service,
                stack,
                runId,
                // A snapshot (npm run coverage:snapshot) finds its report folder and harvester here.
                labels: {
                    ...plan.labels,
                    [LABEL_REPORT_DIR]: reportDir,
                    [LABEL_HARVESTER_IMAGE]: plan.spyImage.image,
                    [LABEL_REMOTE_ENGINE]: String(engine.remote),
                },
                networkName: prepared.network.name,
                publishIp,
                instrumentation: service.instrument
                    ? {
                          runId,
                          spyFiles: prepared.spyFiles,
                          volumeName: prepared.volume.name,
                          // Waiting on `prepared` keeps services from starting when the volume was not made ready.
                          imagePythonPath: pulumi
                              .all([
                                  imagePythonPath(component, service, prepared.engineImages, prepared.cliEnv),
                                  prepared.prepared,
                              ])
                              .apply(([p]) => p),
                      }
                    : undefined,
            },
            {
                parent: component,
                dependsOn: [
                    ...prepared.spyReady,
                    prepared.preparation,
                    ...service.dependsOn.map((d) => started.readiness.get(d)!),
                ],
            },
        );
        started.containers.set(service.name, container);
        if (service.ports.length > 0)
            started.urls[service.name] = publishedUrl(
                container,
                service.ports[0].internal,
                serviceHost,
                `service ${service.name}`,
            );
        if (needed.has(service.name))
            started.readiness.set(
                service.name,
                createReadinessWait(
                    name,
                    {
                        service: describedByName.get(service.name)!,
                        runId,
                        url: started.urls[service.name],
                        remoteHost: engine.probeHost,
                        cliEnv: prepared.cliEnv,
                    },
                    { parent: component, dependsOn: [container] },
                ),
            );
    }
    return started;
}
