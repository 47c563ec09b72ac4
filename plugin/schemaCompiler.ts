import * as fs from "fs";
import * as path from "path";

/** The oldest TypeScript that reads this package's sources as Pulumi's schema inference needs. */
const OLDEST_MAJOR = 5;

/** The version of the TypeScript package `require` finds from `dir`, or undefined when there is none. */
function typescriptVersionFrom(dir: string): string | undefined {
    try {
        const manifest = require.resolve("typescript/package.json", { paths: [dir] });
        return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version;
    } catch {
        return undefined;
    }
}

/**
 * Why Pulumi's schema inference cannot read this package's TypeScript sources, or undefined when it can. It compiles
 * them with the TypeScript found beside @pulumi/pulumi, else with its own 3.8.3, which misreads the choice options
 * (`Union types are not supported`).
 */
export function schemaCompilerProblem(
    pulumiDir: string = path.dirname(require.resolve("@pulumi/pulumi/package.json")),
): string | undefined {
    const version = typescriptVersionFrom(pulumiDir);
    if (version !== undefined && Number(version.split(".")[0]) >= OLDEST_MAJOR) return undefined;
    // <project>/node_modules/@pulumi/pulumi: npm installs beside it from <project>.
    const project = path.resolve(pulumiDir, "..", "..", "..");
    return (
        `coverage-spy: Pulumi infers the plugin's schema from its TypeScript sources with the TypeScript found beside ` +
        `@pulumi/pulumi, which is ${version === undefined ? "missing" : `version ${version}`}: it needs TypeScript ` +
        `${OLDEST_MAJOR} or later. Install it with \`npm install typescript@${OLDEST_MAJOR}\` in ${project} (npm 7 or ` +
        "later installs it with coverage-spy, a peer dependency), then run `pulumi package add` again."
    );
}
