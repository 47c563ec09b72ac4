import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Runs docker and returns its trimmed stdout. */
export function docker(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

/** Names of Docker objects of one kind carrying the stack's label. */
export function labelledObjects(kind: "container" | "volume" | "network", stack: string): string[] {
    const list = kind === "container" ? ["ps", "-a"] : [kind, "ls"];
    const out = docker(...list, "--filter", `label=coverage-spy.stack=${stack}`, "--format", "{{.Names}}{{.Name}}");
    return out === "" ? [] : out.split("\n");
}

/** The demo stack's config (stacks/Pulumi.dev.yaml), to reuse under another stack name. */
export function devStackConfig(): Record<string, unknown> {
    const file = parse(fs.readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    return file.config;
}

/**
 * A real stack of this project in the local file backend (PULUMI_BACKEND_URL, set by scripts/pulumi-env.sh),
 * with the given config. Integration stack files are git-ignored.
 */
export async function projectStack(name: string, config: Record<string, unknown>): Promise<Stack> {
    if (!process.env.PULUMI_BACKEND_URL) throw new Error("source scripts/pulumi-env.sh first (PULUMI_BACKEND_URL is unset)");
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: REPO_ROOT });
    const values: Record<string, { value: string }> = {};
    for (const [key, value] of Object.entries(config)) {
        values[key] = { value: typeof value === "string" ? value : JSON.stringify(value) };
    }
    await stack.setAllConfig(values, /* path */ false);
    return stack;
}

/** Lines of a demo source file carrying the `# demo: not-hit` marker (1-based). */
export function markedLines(file: string): number[] {
    return fs.readFileSync(file, "utf8").split("\n")
        .map((line, i) => (/#\s*demo:\s*not-hit\b/.test(line) ? i + 1 : 0))
        .filter((n) => n > 0);
}
