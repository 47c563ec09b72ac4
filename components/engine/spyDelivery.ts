import * as pulumi from "@pulumi/pulumi";
import { LocalImage } from "./localImages";
import { SpyImageRecipe, coveragePins, createSpyImageBuild, spyImageTag } from "./spyImage";

/** Which spy image a stack uses: one the user names (spyImage), or one coverage-spy builds from spyBaseImage. */
export interface SpyImagePlan {
    image: string;
    /** The build, when the image is coverage-spy's own. */
    recipe?: SpyImageRecipe;
    /** The image the engine must hold (one named by the user: coverage-spy pulls no image). */
    need?: { owner: string; image: string };
}

/** The spy image of the options, decided before the engine is asked anything. */
export function planSpyImage(options: { spyImage?: string; spyBaseImage: string; assetsDir: string }): SpyImagePlan {
    if (options.spyImage !== undefined)
        return { image: options.spyImage, need: { owner: "spyImage", image: options.spyImage } };
    const recipe = { assetsDir: options.assetsDir, baseImage: options.spyBaseImage, pins: coveragePins() };
    return { image: spyImageTag(recipe), recipe };
}

/** The spy image on the engine: what the spy volume's digest is made of, and what must be done before it is used. */
export interface SpyImageOnEngine {
    image: string;
    /** Its content: the content-addressed tag of a built image, the ID of one the user named. */
    identity: pulumi.Output<string>;
    /** The build, when there is one: whatever uses the image waits for it. */
    ready: pulumi.Resource[];
}

/** What is said when the engine lacks the spy image: the update builds it, once. */
export function spyBuildNotice(tag: string, baseImage: string): string {
    return (
        `coverage-spy: building the spy image ${tag} from ${baseImage} through the engine: first use of this ` +
        "coverage-spy version on this engine (about a minute; later runs reuse it)"
    );
}

/**
 * Makes sure the engine has the spy image: a named one is used as it is (the engine was checked to hold it); a
 * built one is built by a command when the engine lacked it when the program looked (said at preview too).
 */
export function provideSpyImage(
    component: pulumi.Resource,
    name: string,
    plan: SpyImagePlan,
    engine: { images: pulumi.Output<Record<string, LocalImage>>; cliEnv: pulumi.Output<Record<string, string>> },
): SpyImageOnEngine {
    const { image, recipe } = plan;
    if (recipe === undefined)
        return { image, identity: engine.images.apply((found) => found[image]?.id ?? image), ready: [] };
    const present = engine.images.apply((found) => {
        const there = found[image] !== undefined && found[image].missing === undefined;
        if (!there) void pulumi.log.info(spyBuildNotice(image, recipe.baseImage), component);
        return there;
    });
    const build = createSpyImageBuild(
        name,
        { tag: image, recipe, present, cliEnv: engine.cliEnv },
        { parent: component },
    );
    return { image, identity: pulumi.output(image), ready: [build] };
}
