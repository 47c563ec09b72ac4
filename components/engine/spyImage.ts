import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { shellQuote } from "../shared/shell";
import { findUp } from "../shared/findUp";
import { SPY_DOCKERFILE } from "../shared/layout";

/** The repository of the spy images coverage-spy builds; the tag is the hash of what goes in. */
export const SPY_IMAGE_REPOSITORY = "coverage-spy/spy";
/** What of the assets the build context leaves out: the assets' .dockerignore says the same. */
const LEFT_OUT_FOLDERS = new Set(["tests", "__pycache__"]);
const LEFT_OUT_FILE = /(\.pyc|^\.dockerignore)$/;
/** Hex digits of the hash in the tag: enough to never collide among one engine's spy images. */
const TAG_HASH_LENGTH = 20;

/** The coverage.py releases the spy image holds: package.json's config.coveragePy and coveragePyLegacy. */
export interface CoveragePins {
    main: string;
    legacy: string;
}

/** What the spy image is built from: its content hash covers all of it. */
export interface SpyImageRecipe {
    /** The build context: the spy's assets, holding image/Dockerfile and image/build_spy.py. */
    assetsDir: string;
    /** The image the spy image is built FROM (spyBaseImage). */
    baseImage: string;
    pins: CoveragePins;
}

/**
 * The coverage.py pins of this package, from its own package.json (the first one above `start` that pins them,
 * whatever the package is published as): one place pins them for the spy image and for this repository's scripts.
 */
export function coveragePins(start: string = __dirname): CoveragePins {
    const pins = findUp(start, (dir): CoveragePins | undefined => {
        const file = path.join(dir, "package.json");
        if (!fs.existsSync(file)) return undefined;
        const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as {
            config?: { coveragePy?: string; coveragePyLegacy?: string };
        };
        return pkg.config?.coveragePy && pkg.config.coveragePyLegacy
            ? { main: pkg.config.coveragePy, legacy: pkg.config.coveragePyLegacy }
            : undefined;
    });
    if (pins === undefined)
        throw new Error(
            `coverage-spy: no package.json with config.coveragePy and coveragePyLegacy above ${start}: ` +
                "is the package installed whole?",
        );
    return pins;
}

/** Every file of the build context, relative to it, sorted: the assets less tests and bytecode. */
export function buildContextFiles(assetsDir: string): string[] {
    const files: string[] = [];
    const walk = (rel: string): void => {
        const entries = fs.readdirSync(path.join(assetsDir, rel), { withFileTypes: true });
        for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
            const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
            if (entry.isDirectory()) {
                if (!LEFT_OUT_FOLDERS.has(entry.name)) walk(child);
            } else if (!LEFT_OUT_FILE.test(entry.name)) files.push(child);
        }
    };
    walk("");
    return files;
}

/**
 * sha256 over everything the spy image is made of: the base image's name, the coverage.py pins, and every file of
 * the build context (its path, its executable bit, its content), which holds the Dockerfile and the build script.
 * Read now, at preview too: equal hashes mean the engine's image of that tag already holds these files.
 */
export function spyImageHash(recipe: SpyImageRecipe): string {
    const hash = crypto.createHash("sha256");
    hash.update(`base\0${recipe.baseImage}\0coverage\0${recipe.pins.main}\0${recipe.pins.legacy}\0`);
    for (const rel of buildContextFiles(recipe.assetsDir)) {
        const file = path.join(recipe.assetsDir, rel);
        const executable = (fs.statSync(file).mode & 0o111) !== 0;
        const content = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
        hash.update(`${rel}\0${executable ? "x" : "-"}\0${content}\0`);
    }
    return hash.digest("hex");
}

/** The tag of the spy image made from `recipe`. */
export function spyImageTag(recipe: SpyImageRecipe): string {
    return `${SPY_IMAGE_REPOSITORY}:${spyImageHash(recipe).slice(0, TAG_HASH_LENGTH)}`;
}

/** What a failed build says after Docker's own output: the usual causes, and the fixes. */
export function spyBuildFailure(tag: string, baseImage: string): string {
    return (
        `coverage-spy: building the spy image ${tag} from ${baseImage} failed (Docker's output above). ` +
        "The base image (spyBaseImage) needs python3 3.11 or later, pip or apt-get/apk to install it, and the build " +
        "needs a Python package index pip can reach (set PIP_INDEX_URL, and PIP_CERT behind a TLS-inspecting proxy, " +
        "in the base image). Or build it once where that works and name it with spyImage."
    );
}

/**
 * The `docker build` of the spy image (assets folder, image/Dockerfile), quiet, as words: `quote` makes each a shell
 * word (shellQuote for a command run, shownWord for one shown). `--force-rm`: the classic builder otherwise keeps the
 * container of a failed step, one exited container left per failed build.
 */
export function spyDockerBuild(tag: string, recipe: SpyImageRecipe, quote: (word: string) => string): string {
    return [
        "docker",
        "build",
        "--quiet",
        "--force-rm",
        "--file",
        path.join(recipe.assetsDir, SPY_DOCKERFILE),
        "--build-arg",
        `BASE_IMAGE=${recipe.baseImage}`,
        "--build-arg",
        `COVERAGE_VERSION=${recipe.pins.main}`,
        "--build-arg",
        `COVERAGE_LEGACY_VERSION=${recipe.pins.legacy}`,
        "--tag",
        tag,
        recipe.assetsDir,
    ]
        .map(quote)
        .join(" ");
}

/**
 * The shell command that builds the spy image unless the engine has it (another stack may have built it since the
 * program looked): `docker build` of the assets folder with image/Dockerfile, quiet, so the resource's state
 * stays small; Docker prints a failed step's output whatever. Every value is quoted.
 */
export function spyBuildCommand(tag: string, recipe: SpyImageRecipe): string {
    const build = spyDockerBuild(tag, recipe, shellQuote);
    const present = `docker image inspect ${shellQuote(tag)} >/dev/null 2>&1`;
    const fail = `{ printf '%s\\n' ${shellQuote(spyBuildFailure(tag, recipe.baseImage))} >&2; exit 1; }`;
    return `${present} || ${build} >/dev/null || ${fail}`;
}

/** What the component needs to build the spy image through the engine. */
export interface SpyImageBuildInput {
    tag: string;
    recipe: SpyImageRecipe;
    /** The engine has the tag: looked up while the program runs (at preview too). */
    present: pulumi.Input<boolean>;
    /** The docker CLI's environment for the engine (DOCKER_HOST...). */
    cliEnv: pulumi.Input<Record<string, string>>;
}

/**
 * Builds the spy image through the engine when it lacks it. Its triggers are the tag and whether the engine had it
 * when the program looked: a warm run changes neither (nothing runs), a new recipe or a deleted image does (the
 * build runs; the next run's "present" runs the command once more, which finds the image and builds nothing).
 */
export function createSpyImageBuild(
    name: string,
    input: SpyImageBuildInput,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    return new command.local.Command(
        `${name}-spy-image`,
        {
            create: spyBuildCommand(input.tag, input.recipe),
            interpreter: ["/bin/sh", "-c"],
            environment: input.cliEnv,
            triggers: [input.tag, pulumi.output(input.present).apply((p) => (p ? "present" : "missing"))],
            addPreviousOutputInEnv: false,
        },
        opts,
    );
}
