import * as fs from "fs";
import * as path from "path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental/provider";
import { COVERAGE_SPY_STACK_TYPE, CoverageSpyStack } from "../components/coverageSpyStack";
import { findUp } from "../components/shared/findUp";
import { PackageSchema, completeSchema } from "./schema";

/** The package's root: the folder whose plugin/ holds PulumiPlugin.yaml, from plugin/ or its compiled copy. */
export function packageRootOf(moduleDir: string): string {
    const root = findUp(moduleDir, (dir) =>
        fs.existsSync(path.join(dir, "plugin", "PulumiPlugin.yaml")) ? dir : undefined,
    );
    if (root === undefined) throw new Error(`coverage-spy: no plugin/PulumiPlugin.yaml in ${moduleDir} or above`);
    return root;
}

/** What the package's package.json says of it. */
export interface PackageManifest {
    version: string;
    description?: string;
}

/** The package.json of the package at `root`. */
export function readManifest(root: string): PackageManifest {
    return JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as PackageManifest;
}

/**
 * Pulumi's component provider for CoverageSpyStack, as its componentProviderHost makes it, with the package's own
 * version (so each release's schema is its own: Pulumi caches a schema by name and version) and the inferred schema
 * completed with what TypeScript types cannot say.
 */
export class CoverageSpyProvider extends ComponentProvider {
    private readonly description?: string;

    constructor(root: string, manifest: PackageManifest = readManifest(root)) {
        super({
            name: COVERAGE_SPY_STACK_TYPE.split(":")[0],
            version: manifest.version,
            dirname: path.join(root, "plugin"),
            components: [CoverageSpyStack],
        });
        this.description = manifest.description;
    }

    async getSchema(): Promise<string> {
        const inferred = JSON.parse(await super.getSchema()) as PackageSchema;
        return JSON.stringify(completeSchema(inferred, this.description));
    }
}
