import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { dockerEnvironmentFor, engineSettingsFromConfig } from "../engine/engineAddress";

/** The first line of a stack config that coverage-spy copied for a new branch stack: only such a file may go. */
const COPY_MARKER = "# Copied from stacks/Pulumi.dev.yaml by coverage-spy";
const BASE_STACK = "dev";

/** stacks/Pulumi.<stack>.yaml under the project folder. */
export function stackConfigPath(projectDir: string, stack: string): string {
    return path.join(projectDir, "stacks", `Pulumi.${stack}.yaml`);
}

/**
 * A branch stack without its own config starts from the base stack's (stacks/Pulumi.dev.yaml).
 * Returns the path of the copy, or undefined when the stack has a config already (or there is no base).
 */
export function copyBaseStackConfig(projectDir: string, stack: string): string | undefined {
    const file = stackConfigPath(projectDir, stack);
    const base = stackConfigPath(projectDir, BASE_STACK);
    if (fs.existsSync(file) || !fs.existsSync(base)) return undefined;
    fs.writeFileSync(file, `${COPY_MARKER} for stack ${stack}; edit it to differ.\n${fs.readFileSync(base, "utf8")}`);
    return file;
}

/** Whether git tracks the file (false outside a git checkout or without git). */
function trackedByGit(file: string): boolean {
    const result = spawnSync("git", ["ls-files", "--error-unmatch", "--", path.basename(file)], {
        cwd: path.dirname(file),
        stdio: "ignore",
    });
    return result.status === 0;
}

/**
 * Removes the stack's config file only when coverage-spy made it (copyBaseStackConfig) and git does not track it:
 * a config someone wrote or committed survives every command of ours. Returns the removed path, if any.
 */
export function removeCopiedStackConfig(projectDir: string, stack: string): string | undefined {
    const file = stackConfigPath(projectDir, stack);
    if (!fs.existsSync(file) || trackedByGit(file)) return undefined;
    if (!fs.readFileSync(file, "utf8").startsWith(COPY_MARKER)) return undefined;
    fs.rmSync(file);
    return file;
}

/**
 * The docker CLI's environment for the engine a stack's config names (`docker:host`, `docker:certPath`), so the
 * driver's own docker calls (recovery, the cleanup after destroy) look where the stack's resources are. Empty when
 * the config names none, or cannot be read (the program then says why).
 */
export function stackEngineEnvironment(projectDir: string, stack: string): Record<string, string> {
    let config: Record<string, unknown> | undefined;
    try {
        config = (
            parse(fs.readFileSync(stackConfigPath(projectDir, stack), "utf8")) as { config?: Record<string, unknown> }
        )?.config;
    } catch {
        return {};
    }
    const setting = (key: string): string | undefined => {
        const value = config?.[`docker:${key}`];
        return typeof value === "string" ? value : undefined;
    };
    return dockerEnvironmentFor(engineSettingsFromConfig(setting));
}
