import { LocalWorkspace, PulumiFn, Stack, Workspace } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import {
    StackConfigSyntaxError,
    effectiveStackConfigPath,
    readStackConfigFile,
    removeCopiedStackConfig,
} from "./stackConfigFile";
import { selectStack } from "./stackOpening";

/** The Pulumi project name of coverage stacks (Pulumi.yaml). */
export const COVERAGE_PROJECT = "coverage-spy";
/** Keys the engine writes into a stack's config file (the passphrase provider's salt, another provider's key). */
const ENGINE_KEYS = ["encryptionsalt", "secretsprovider", "encryptedkey"] as const;

/**
 * The engine's own folder for the Automation API (git-ignored): its Pulumi.yaml and one Pulumi.<stack>.yaml per
 * stack, copied from the project's stacks/ before every run. The engine rewrites the stack file it is given
 * (it adds an encryption salt and turns numbers into strings); given only this copy, it never changes a file
 * someone committed.
 */
export function engineWorkDir(projectDir: string): string {
    return path.join(projectDir, ".state", "workspace");
}

function readYaml(file: string): Record<string, unknown> {
    if (!fs.existsSync(file)) return {};
    const value = parse(fs.readFileSync(file, "utf8")) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * Copies the stack's config (its own, else the base stack's) into the engine's folder, keeping what the engine
 * wrote there (its salt) before. A config that is not valid YAML stops the run, naming the line; with
 * `keepLastOnSyntaxError` (a destroy, which needs only the engine's settings) the engine keeps the copy of the last
 * run, and the returned warning says so.
 */
function syncStackSettings(
    projectDir: string,
    workDir: string,
    stack: string,
    keepLastOnSyntaxError: boolean,
): string | undefined {
    const engineFile = path.join(workDir, `Pulumi.${stack}.yaml`);
    const previous = readYaml(engineFile);
    const kept = Object.fromEntries(ENGINE_KEYS.filter((k) => previous[k] !== undefined).map((k) => [k, previous[k]]));
    const source = effectiveStackConfigPath(projectDir, stack);
    let config: Record<string, unknown>;
    try {
        config = source === undefined ? {} : readStackConfigFile(source);
    } catch (err) {
        if (!(err instanceof StackConfigSyntaxError) || !keepLastOnSyntaxError) throw err;
        return `${err.message.replace(/ Fix that line.*$/, "")}; using the settings of the stack's last run`;
    }
    fs.writeFileSync(engineFile, stringify({ ...kept, ...config }));
    return undefined;
}

/** The engine's folder with its project file, made when missing. */
function prepareWorkDir(projectDir: string): string {
    const workDir = engineWorkDir(projectDir);
    fs.mkdirSync(workDir, { recursive: true });
    fs.writeFileSync(
        path.join(workDir, "Pulumi.yaml"),
        stringify({
            name: COVERAGE_PROJECT,
            runtime: "nodejs",
            description: `The engine's copy of ${path.join(projectDir, "Pulumi.yaml")} for inline runs (written by coverage-spy).`,
        }),
    );
    return workDir;
}

/** The coverage project's workspace, to list its stacks. */
export async function coverageWorkspace(projectDir: string): Promise<Workspace> {
    return LocalWorkspace.create({ workDir: prepareWorkDir(projectDir) });
}

/**
 * Creates or selects a coverage stack for the Automation API, with the program inline. `warn` hears what the user
 * should know (a destroy that runs with the last run's settings because the config has a syntax error). A config
 * that stops the run throws at once, before the engine's CLI starts.
 */
export function openCoverageStack(
    projectDir: string,
    stackName: string,
    program: PulumiFn,
    options: { keepLastConfigOnSyntaxError?: boolean; warn?: (line: string) => void; backendUrl?: string } = {},
): Promise<Stack> {
    const workDir = prepareWorkDir(projectDir);
    const warning = syncStackSettings(projectDir, workDir, stackName, options.keepLastConfigOnSyntaxError ?? false);
    if (warning) options.warn?.(warning);
    const where = { stack: stackName, project: COVERAGE_PROJECT, backendUrl: options.backendUrl };
    return selectStack({ workDir, program }, where, true);
}

/**
 * Removes a destroyed stack from the backend. The project's stacks/Pulumi.<stack>.yaml stays, unless it is a
 * copy coverage-spy made for a branch stack and git does not track it. Returns that removed copy, if any.
 */
export async function removeCoverageStack(projectDir: string, stack: Stack): Promise<string | undefined> {
    await stack.workspace.removeStack(stack.name);
    return removeCopiedStackConfig(projectDir, stack.name);
}
