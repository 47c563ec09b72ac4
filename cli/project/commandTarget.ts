import * as path from "path";
import { PulumiProject, findProject, isBundledDemo } from "./projectFolder";
import { STACK_NAME, chooseStack } from "./stackName";

/** What a command works on: the project, the stack, and how the engine reaches the backend. */
export interface CommandTarget {
    project: PulumiProject;
    /**
     * This package's bundled demo: its program runs inline with the stacks/ configs, and a stack without a name
     * is the git branch's. Otherwise the user's project, whose own program runs.
     */
    demo: boolean;
    /** The stack as the user named it (may be organization/project/stack in a cloud backend). */
    stack: string;
    /** The stack's own name (the last part): the one its Docker objects and processes carry. */
    stackName: string;
    /** Why this stack: shown to the user. */
    stackReason: string;
    /** PULUMI_BACKEND_URL, or undefined: the Pulumi CLI's own login. */
    backendUrl?: string;
}

export interface TargetOptions {
    /** --cwd: where to look for Pulumi.yaml (default: the current folder). */
    cwd?: string;
    /** --stack. */
    stack?: string;
}

export interface TargetSources {
    env: NodeJS.ProcessEnv;
    /** This package's folder: a project there is the bundled demo. */
    ownRoot: string;
    /** The stack the Pulumi CLI has selected in a project folder, if any (`pulumi stack select`). */
    selectedStack: (projectDir: string) => Promise<string | undefined>;
    /** The current folder. */
    cwd: string;
}

/** A stack name as Pulumi accepts it: NAME, or ORGANIZATION/NAME, or ORGANIZATION/PROJECT/NAME. */
const QUALIFIED_STACK = /^(?:[A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]{1,100}$/;

function checkedStack(stack: string, reason: string): string {
    if (!QUALIFIED_STACK.test(stack))
        throw new Error(
            `coverage-spy: "${stack}" (${reason}) is not a valid stack name: letters, digits, "-", "_", "." and at ` +
                "most 100 characters, optionally after ORGANIZATION/ or ORGANIZATION/PROJECT/",
        );
    return stack;
}

/**
 * The stack of a user's project: --stack, else $COVERAGE_SPY_STACK (set in a test run, so a command inside the
 * suite works on the run's stack), else the stack the Pulumi CLI has selected there.
 */
async function userStack(
    options: TargetOptions,
    sources: TargetSources,
    project: PulumiProject,
): Promise<{ stack: string; reason: string }> {
    if (options.stack !== undefined) return { stack: checkedStack(options.stack, "--stack"), reason: "--stack" };
    const fromRun = sources.env.COVERAGE_SPY_STACK;
    if (fromRun) return { stack: checkedStack(fromRun, "$COVERAGE_SPY_STACK"), reason: "$COVERAGE_SPY_STACK" };
    const selected = await sources.selectedStack(project.dir);
    if (selected !== undefined) return { stack: selected, reason: `the stack selected in ${project.dir}` };
    throw new Error(
        `coverage-spy: no stack is selected in ${project.dir}: pass --stack NAME, or select one with ` +
            "`pulumi stack select NAME` (`pulumi stack init NAME` creates one)",
    );
}

/** The project a command works on (Pulumi.yaml in the folder or above, or --cwd's), and the backend. */
export type ProjectTarget = Pick<CommandTarget, "project" | "demo" | "backendUrl">;

export function resolveProject(
    options: Pick<TargetOptions, "cwd">,
    cwd: string,
    ownRoot: string,
    env: NodeJS.ProcessEnv,
): ProjectTarget {
    const project = findProject(path.resolve(cwd, options.cwd ?? "."));
    return { project, demo: isBundledDemo(project, ownRoot), backendUrl: env.PULUMI_BACKEND_URL || undefined };
}

/** Resolves the project folder (Pulumi.yaml here or above, or --cwd), the stack and the backend of a command. */
export async function resolveTarget(options: TargetOptions, sources: TargetSources): Promise<CommandTarget> {
    const where = resolveProject(options, sources.cwd, sources.ownRoot, sources.env);
    const { stack, reason } = where.demo
        ? chooseStack(options.stack, sources.env, where.project.dir)
        : await userStack(options, sources, where.project);
    const stackName = stack.slice(stack.lastIndexOf("/") + 1);
    if (!STACK_NAME.test(stackName)) throw new Error(`coverage-spy: "${stack}" has no valid stack name at its end`);
    return { ...where, stack, stackName, stackReason: reason };
}
