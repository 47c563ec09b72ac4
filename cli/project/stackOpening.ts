import { LocalWorkspace, LocalWorkspaceOptions, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";

/**
 * A stack's checkpoint in a file backend (`file://DIR`), or undefined for another backend or a qualified stack name
 * (org/project/stack). The file is there for as long as the backend holds the stack.
 */
export function fileBackendCheckpoint(backendUrl: string, project: string, stack: string): string | undefined {
    if (!backendUrl.startsWith("file://") || stack.includes("/")) return undefined;
    return path.join(backendUrl.slice("file://".length), ".pulumi", "stacks", project, `${stack}.json`);
}

/**
 * Selects a stack in the workspace `options` describe, creating it when missing if `create`. One whose checkpoint
 * the file backend holds is opened without `pulumi stack select`, a start of the CLI (0.1–0.2 s) that the Automation
 * API spends only to learn that the stack exists: each of a Stack's commands names its stack itself (--stack), and
 * nothing here reads the CLI's selection. `backendUrl`: the backend, when known without asking the CLI.
 */
export async function selectStack(
    options: LocalWorkspaceOptions,
    where: { stack: string; project: string; backendUrl: string | undefined },
    create: boolean,
): Promise<Stack> {
    const { stack, project, backendUrl } = where;
    const workspace = await LocalWorkspace.create(options);
    const checkpoint = backendUrl === undefined ? undefined : fileBackendCheckpoint(backendUrl, project, stack);
    if (checkpoint === undefined || !fs.existsSync(checkpoint))
        return create ? Stack.createOrSelect(stack, workspace) : Stack.select(stack, workspace);
    // For this one call only: the workspace's own method comes back from its prototype after it.
    workspace.selectStack = () => Promise.resolve();
    try {
        return await Stack.select(stack, workspace);
    } finally {
        Reflect.deleteProperty(workspace, "selectStack");
    }
}
