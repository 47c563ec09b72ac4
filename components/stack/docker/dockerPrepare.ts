import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { generateCoveragerc } from "../../config/coveragerc";
import { OneShotInput, createRunPreparation } from "../../harvester/harvester";
import { checkOneShotExit } from "../../harvester/oneShotExit";
import { createCoverageVolume } from "../../infra/coverageVolume";
import { createStackNetwork } from "../../infra/stackNetwork";
import { engineAccess } from "../../engine/engineAccess";
import { engineChecks } from "../../engine/imageChecks";
import { LocalImage } from "../../engine/localImages";
import { provideSpyImage } from "../../engine/spyDelivery";
import { SpySource } from "../../engine/spyFiles";
import { createSpyVolume } from "../../engine/spyVolume";
import { measuredServices } from "../../options/resolveArgs";
import { EngineKind } from "../../engine/engineKind";
import type { RunPlan } from "../planRun";
import type { PreparedBase, RunEngine } from "../runEngine";

/** What every later step of a run stands on: the engine's access, the stack's volumes and network, the spy. */
export interface DockerPreparedRun extends PreparedBase {
    /** The images the plan needs, as the engine holds them. */
    engineImages: pulumi.Output<Record<string, LocalImage>>;
    volume: docker.Volume;
    network: docker.Network;
    /** The spy volume the services read the spy's files from. */
    spyFiles: SpySource;
    /** What must exist before anything reads the spy volume. */
    spyReady: pulumi.Resource[];
    /** The container that made the data volume ready for this run. */
    preparation: docker.Container;
    /** Resolves once the spy's files are installed and the data volume is ready; fails the update otherwise. */
    prepared: pulumi.Output<number>;
    /** What every one-shot container of the run (preparation, relay, harvester) shares. */
    oneShot: OneShotInput;
}

/** Resolves once the one-shot container exited 0; fails the update with its logs otherwise. */
function requireSuccess(container: docker.Container, what: string): pulumi.Output<number> {
    return pulumi.all([container.exitCode, container.containerLogs]).apply(([code, logs]) => {
        checkOneShotExit(what, code, logs);
        return code;
    });
}

/**
 * Reaches the engine (checking at preview that it holds every image and source path the plan names), then creates
 * the stack's data volume and network, the spy volume filled from the spy image (built first when the engine lacks
 * it: every engine, local or remote, gets the spy's files this way) and the data volume's preparation for this run.
 */
export function prepareDocker(
    kind: EngineKind,
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine>,
    inputError: (message: string) => Error,
): DockerPreparedRun {
    const { resolved, stack, labels, spyImage } = plan;
    const { cliEnv, images: engineImages } = engineAccess(
        component,
        plan.imageNeeds,
        kind.remote,
        inputError,
        engineChecks(stack, plan.project, resolved.services),
        // The spy image coverage-spy builds may be missing: then it is built, once per engine.
        spyImage.recipe !== undefined ? [spyImage.image] : [],
    );
    const child = { parent: component };
    const volume = createCoverageVolume(name, stack, labels, child);
    const network = createStackNetwork(name, stack, labels, child);

    const services = measuredServices(resolved.services).map((s) => ({ name: s.name, sourcePath: s.sourcePath }));
    const coveragerc = generateCoveragerc({
        options: resolved.coverage,
        sourcePaths: services.map((s) => s.sourcePath),
        perTestContexts: resolved.perTestContexts,
    });
    const onEngine = provideSpyImage(component, name, spyImage, { images: engineImages, cliEnv });
    const spy = createSpyVolume(
        name,
        { stack, labels, image: onEngine.image, imageIdentity: onEngine.identity, coveragerc },
        { parent: component, dependsOn: onEngine.ready },
    );
    const spyFiles: SpySource = { volumeName: spy.volume.name };
    const spyReady: pulumi.Resource[] = [spy.installed];

    const oneShot: OneShotInput = {
        stack,
        runId: resolved.runId,
        image: onEngine.image,
        labels,
        volumeName: volume.name,
        spyFiles,
        keepRuns: resolved.keepRuns,
        services,
    };
    const preparation = createRunPreparation(name, oneShot, { parent: component, dependsOn: spyReady });
    const prepared = pulumi
        .all([
            requireSuccess(spy.installed, "filling the spy volume"),
            requireSuccess(preparation, "preparing the data volume"),
        ])
        .apply(([, code]) => code);
    return { cliEnv, engineImages, volume, network, spyFiles, spyReady, preparation, prepared, oneShot };
}
