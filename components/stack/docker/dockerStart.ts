import * as pulumi from "@pulumi/pulumi";
import { EngineKind } from "../../engine/engineKind";
import { LocalImage } from "../../engine/localImages";
import { ResolvedService } from "../../options/resolveArgs";
import { pythonPathFromImageEnv, readImagePythonPath } from "../../service/imagePythonPath";
import { publishedUrl } from "../../service/publishedUrl";
import { createServiceContainer } from "../../service/serviceContainer";
import { createReadinessWait } from "../../testRun/readinessWait";
import { publishAddress } from "../../shared/engineAddress";
import { LABEL_HARVESTER_IMAGE, LABEL_REMOTE_ENGINE, LABEL_REPORT_DIR } from "../../shared/naming";
import type { RunPlan } from "../planRun";
import type { RunEngine, ServiceToStart, StartedService } from "../runEngine";
import type { DockerPreparedRun } from "./dockerPrepare";

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
 * Starts a service from its unchanged image as a container, a measured one with the spy's environment and the spy and
 * data volumes, after those it depends on are ready; a service others depend on gets a readiness wait.
 */
export function startDockerService(
    kind: EngineKind,
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine>,
    prepared: DockerPreparedRun,
    start: ServiceToStart,
): StartedService {
    const { resolved, stack } = plan;
    const { runId, reportDir, serviceHost } = resolved;
    const { service } = start;
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
                [LABEL_REMOTE_ENGINE]: String(kind.remote),
            },
            networkName: prepared.network.name,
            publishIp: publishAddress(serviceHost),
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
            dependsOn: [...prepared.spyReady, prepared.preparation, ...start.dependsOn],
        },
    );
    const url =
        service.ports.length > 0
            ? publishedUrl(container, service.ports[0].internal, serviceHost, `service ${service.name}`)
            : undefined;
    const readiness = start.needed
        ? createReadinessWait(
              name,
              { service: start.described, runId, url, remoteHost: kind.probeHost, cliEnv: prepared.cliEnv },
              { parent: component, dependsOn: [container] },
          )
        : undefined;
    return { workload: container, ...(url !== undefined ? { url } : {}), ...(readiness ? { readiness } : {}) };
}
