import * as pulumi from "@pulumi/pulumi";
import { LocalImage, inspectLocalImages, missingImageProblems } from "./localImages";
import {
    CommandResult,
    EngineChecks,
    checkedSources,
    foreignContainerProblems,
    inspectContainerNames,
    probeSourcePath,
    sourceCheckKey,
    sourcePathProblem,
} from "./imageChecks";
import { CoverageSpyInputError } from "../options/inputError";
import { EngineSettings } from "../shared/engineAddress";
import { defaultEngineSettings, dockerCliEnvironment, dockerProviderOf, providerEngineSettings } from "./dockerEngine";

/** How the component's commands reach the engine its Docker resources use, and what that engine holds. */
export interface EngineAccess {
    /** DOCKER_HOST and friends for every docker command the component runs. */
    cliEnv: pulumi.Output<Record<string, string>>;
    /** Each image the stack needs or looks up, as the engine describes it. */
    images: pulumi.Output<Record<string, LocalImage>>;
}

/**
 * The engine of `component`'s Docker resources, and the images it needs looked up there. The default provider's
 * engine is known now, so a missing image stops the program before any resource is declared; a given provider's
 * once its outputs are (at preview too, still before any container is created). Input errors are thrown as
 * `inputError` makes them. `checks`: what else is looked at in that engine before any object is made (the
 * services' sourcePaths in their images, the container names the stack takes). `lookups`: images looked up as
 * well, which the engine may lack (the spy image, built when missing).
 */
export function engineAccess(
    component: pulumi.Resource,
    needs: Array<{ owner: string; image: string }>,
    remoteEngine: boolean,
    inputError: (message: string) => Error,
    checks: EngineChecks = { sources: [], containerNames: [] },
    lookups: string[] = [],
): EngineAccess {
    const cliEnvironment = (settings: EngineSettings): Record<string, string> => {
        try {
            return dockerCliEnvironment(settings, remoteEngine);
        } catch (err) {
            throw inputError((err as Error).message);
        }
    };
    const lookUpImages = (env: Record<string, string>): Record<string, LocalImage> => {
        const found = inspectLocalImages([...needs.map((n) => n.image), ...lookups], env);
        const dockerHost = env.DOCKER_HOST ?? process.env.DOCKER_HOST;
        const missing = missingImageProblems(needs, found, dockerHost);
        if (missing.length > 0) throw inputError(new CoverageSpyInputError(missing).message);
        const problems = engineProblems(checks, found, env, dockerHost);
        if (problems.length > 0) throw inputError(new CoverageSpyInputError(problems).message);
        return Object.fromEntries(found);
    };
    const provider = dockerProviderOf(component);
    if (provider === undefined) {
        const env = cliEnvironment(defaultEngineSettings());
        return { cliEnv: pulumi.output(env), images: pulumi.output(lookUpImages(env)) };
    }
    const cliEnv = providerEngineSettings(provider).apply(cliEnvironment);
    return { cliEnv, images: cliEnv.apply(lookUpImages) };
}

/**
 * What the engine shows to be wrong before anything is made: sourcePaths its images lack, names taken. `found`: the
 * images as the engine described them.
 */
function engineProblems(
    checks: EngineChecks,
    found: Map<string, LocalImage>,
    env: Record<string, string>,
    dockerHost: string | undefined,
): string[] {
    const owner = checks.containerNames.length === 0 ? undefined : checks.owner;
    const inspected = owner === undefined ? "" : inspectContainerNames(checks.containerNames, env);
    const answered = owner === undefined ? new Set<string>() : checkedSources(inspected, owner);
    // Services often share an image and its folder (a web app and its worker): each is looked at once.
    const probes = new Map<string, CommandResult>();
    const sources = checks.sources.flatMap((check) => {
        const image = found.get(check.image);
        const user = check.user ?? image?.user;
        if (image?.id && user !== undefined && answered.has(sourceCheckKey(image.id, check.sourcePath, user)))
            return [];
        const key = JSON.stringify([check.image, check.sourcePath, check.user]);
        if (!probes.has(key)) probes.set(key, probeSourcePath(check, env));
        const problem = sourcePathProblem(check, probes.get(key)!);
        return problem === undefined ? [] : [problem];
    });
    if (owner === undefined) return sources;
    return [...sources, ...foreignContainerProblems(checks.containerNames, inspected, owner, dockerHost)];
}
