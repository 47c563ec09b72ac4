// The images a stack of this repository runs with, for scripts/coverage.sh, which has scripts/setup.sh build only
// those (scripts/images.sh builds this repository's own, coverage-spy/*, and what they are built FROM).
//
//   node bin/scripts/helpers/stackImages.js [--stack NAME] [the command's other options, ignored]
//
// The stack as the command chooses it (--stack, else $COVERAGE_SPY_STACK, else the git branch's), its config as the
// command reads it (stacks/Pulumi.<stack>.yaml, else the base stack's). Prints the images, one a line; says on
// stderr which stack and file they come from. A config that cannot be read prints nothing: the run says why.
import * as path from "path";
import { Service } from "../../components/options/args";
import { STACK_OPTIONS } from "../../components/options/optionTable";
import { chooseStack } from "../../cli/project/stackName";
import { effectiveStackConfigPath, readStackConfigFile } from "../../cli/project/stackConfigFile";

/** The images a stack config (its `config:` map) names: its services', and the spy image or its base. */
export function configImages(config: Record<string, unknown>): string[] {
    const services = config["coverage-spy:services"];
    const serviceImages = (Array.isArray(services) ? (services as Partial<Service>[]) : [])
        .map((service) => service?.image)
        .filter((image): image is string => typeof image === "string");
    const spyImage = config["coverage-spy:spyImage"];
    const spyBaseImage = config["coverage-spy:spyBaseImage"] ?? STACK_OPTIONS.spyBaseImage.default;
    const spy = typeof spyImage === "string" ? spyImage : spyBaseImage;
    return [...new Set([...serviceImages, ...(typeof spy === "string" ? [spy] : [])])];
}

/** The stack `argv` (the command's options) names in the project folder, its config file and its images. */
export function stackImages(
    argv: string[],
    env: NodeJS.ProcessEnv,
    projectDir: string,
): { stack: string; reason: string; file?: string; images: string[] } {
    const at = argv.indexOf("--stack");
    const { stack, reason } = chooseStack(at >= 0 ? argv[at + 1] : undefined, env, projectDir);
    const file = effectiveStackConfigPath(projectDir, stack);
    if (file === undefined) return { stack, reason, images: [] };
    const config = readStackConfigFile(file).config;
    const images = typeof config === "object" && config !== null ? configImages(config as Record<string, unknown>) : [];
    return { stack, reason, file, images };
}

function main(): void {
    const projectDir = process.cwd();
    let found;
    try {
        found = stackImages(process.argv.slice(2), process.env, projectDir);
    } catch (err) {
        process.stderr.write(`[coverage-spy] no images from the stack's config: ${(err as Error).message}\n`);
        return;
    }
    const from = found.file === undefined ? "no config file" : path.relative(projectDir, found.file);
    process.stderr.write(
        `[coverage-spy] stack ${found.stack} (${found.reason}) runs with ${from}: ` +
            `${found.images.length > 0 ? found.images.join(", ") : "no image"}\n`,
    );
    for (const image of found.images) process.stdout.write(`${image}\n`);
}

if (require.main === module) main();
