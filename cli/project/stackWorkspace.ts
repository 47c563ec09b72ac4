import { LocalWorkspace, Stack, Workspace } from "@pulumi/pulumi/automation";
import * as path from "path";
import { coverageStackProgram } from "../../components/stackProgram";
import { CommandTarget } from "./commandTarget";
import { coverageWorkspace, openCoverageStack, removeCoverageStack } from "./engineWorkspace";
import { configFileEngineEnvironment, effectiveStackConfigPath, stackEngineEnvironment } from "./stackConfigFile";
import { refusePlainSecretEnv } from "./plainSecretEnv";
import { selectStack } from "./stackOpening";

export interface OpenOptions {
    /** Create the stack when it does not exist (an up, a preview); otherwise it must exist. */
    create: boolean;
    /** A destroy of the demo keeps the last run's settings when its config has a syntax error. */
    keepLastConfigOnSyntaxError?: boolean;
    warn?: (line: string) => void;
}

/**
 * The target's stack, ready for the engine. The bundled demo runs its program inline with its stacks/ config; a
 * user's project runs its own program (Pulumi.yaml's runtime and main) with its own stack config, as `pulumi up`.
 * A config to refuse throws at once, before the engine's CLI starts; the promise is the CLI's work.
 */
export function openTargetStack(target: CommandTarget, options: OpenOptions): Promise<Stack> {
    // An up or a preview runs the program, which reads secretEnv: refused in plain text before it starts.
    if (options.create) refusePlainSecretEnv(targetStackConfigFile(target));
    return openStack(target, options);
}

function openStack(target: CommandTarget, options: OpenOptions): Promise<Stack> {
    const dir = target.project.dir;
    if (target.demo)
        return openCoverageStack(target.project.dir, target.stack, () => Promise.resolve(coverageStackProgram(dir)), {
            keepLastConfigOnSyntaxError: options.keepLastConfigOnSyntaxError,
            warn: options.warn,
            backendUrl: target.backendUrl,
        });
    const where = { stack: target.stack, project: target.project.name, backendUrl: target.backendUrl };
    return selectStack({ workDir: dir }, where, options.create);
}

/** The workspace that lists the target project's stacks. */
export async function targetWorkspace(target: Pick<CommandTarget, "project" | "demo">): Promise<Workspace> {
    return target.demo ? coverageWorkspace(target.project.dir) : LocalWorkspace.create({ workDir: target.project.dir });
}

/** The stack the Pulumi CLI has selected in a project folder, if any. */
export async function selectedStack(projectDir: string): Promise<string | undefined> {
    return (await LocalWorkspace.create({ workDir: projectDir }).then((ws) => ws.stack()))?.name;
}

/**
 * The docker CLI's environment for the engine the stack's config names (`docker:host`), so the command's own docker
 * calls (recovery, snapshot, the cleanup after destroy) look where the stack's resources are.
 */
export function targetEngineEnvironment(target: CommandTarget): Record<string, string> {
    if (target.demo) return stackEngineEnvironment(target.project.dir, target.stackName);
    return configFileEngineEnvironment(path.join(target.project.stackConfigDir, `Pulumi.${target.stackName}.yaml`));
}

/** The stack config file the target's stack runs with (the demo's own or its base stack's), if any. */
function targetStackConfigFile(target: CommandTarget): string | undefined {
    if (target.demo) return effectiveStackConfigPath(target.project.dir, target.stackName);
    return path.join(target.project.stackConfigDir, `Pulumi.${target.stackName}.yaml`);
}

/**
 * The backend's URL: PULUMI_BACKEND_URL, else the one the Pulumi CLI is logged in to (a file backend's locks and
 * checkpoints are read straight from its folder). `workspace` is asked only for the latter: each start of the
 * CLI costs a tenth of a second or more.
 */
export async function targetBackendUrl(target: CommandTarget, workspace: () => Promise<Workspace>): Promise<string> {
    return target.backendUrl ?? (await (await workspace()).whoAmI()).url ?? "";
}

/**
 * After a destroy: the demo's stack leaves the backend (with a copied config of an earlier version); a user's
 * stack stays, with its Pulumi.<stack>.yaml, as after `pulumi destroy`. Returns what the user should hear.
 */
export async function afterDestroy(target: CommandTarget, stack: Stack): Promise<string> {
    if (!target.demo)
        return `stack ${target.stack} destroyed; the stack and its config stay (\`pulumi stack rm ${target.stack}\` removes them)`;
    const removed = await removeCoverageStack(target.project.dir, stack);
    return (
        `stack ${target.stack} destroyed and removed from the backend` +
        (removed ? `; removed its copied config ${path.relative(target.project.dir, removed)}` : "")
    );
}
