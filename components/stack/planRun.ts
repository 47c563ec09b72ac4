import * as fs from "fs";
import * as path from "path";
import { CoverageSpyStackArgs } from "../options/args";
import { ResolvedStackArgs, resolveArgs } from "../options/resolveArgs";
import { validateStackArgs } from "../options/validation";
import { SpyImagePlan, planSpyImage } from "../engine/spyDelivery";
import { defaultEngineSettings } from "../engine/dockerEngine";
import { EngineKind } from "../engine/engineKind";
import { runEngine } from "../engine/runEngine";
import { runReportDir } from "../harvester/harvester";
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
}

/** An image the engine must hold before anything is created, and who asked for it (named in the error). */
export interface ImageNeed {
    owner: string;
    image: string;
}

/** What a run is, decided before any resource exists: every later step reads it and none changes it. */
export interface RunPlan {
    stack: string;
    project: string;
    resolved: ResolvedStackArgs;
    spyImage: SpyImagePlan;
    /** Images looked up on the engine at preview: those named by plain strings (an Output image is built later). */
    imageNeeds: ImageNeed[];
    /** What differs between a local and a remote engine. */
    engine: EngineKind;
    /** The labels of every object of the stack, by which recovery and prune find them. */
    labels: Record<string, string>;
    /** The host folder of this run's reports, where the summary reads them. */
    runDir: string;
}

/**
 * Resolves and checks the component's arguments and decides the run's engine and spy image. Throws a
 * CoverageSpyInputError listing every problem of the input: nothing is created for a run that cannot work.
 */
export function planRun(args: CoverageSpyStackArgs, context: RunContext): RunPlan {
    const { stack, project } = context;
    const resolved = resolveArgs(args, {
        stack,
        projectDir: context.projectDir,
        defaultDockerHost: defaultEngineSettings().host ?? process.env.DOCKER_HOST,
        defaultAssetsDir,
        newRunId,
    });
    validateStackArgs(resolved);
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
        engine: runEngine(resolved),
        labels: { [LABEL_PROJECT]: project, [LABEL_STACK]: stack },
        runDir: runReportDir(resolved.reportDir, resolved.runId),
    };
}
