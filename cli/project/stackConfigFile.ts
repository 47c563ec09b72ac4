import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { YAMLParseError, parse } from "yaml";
import { dockerEnvironmentFor, engineSettingsFromConfig } from "../../components/shared/engineAddress";

/**
 * The first line of a stack config that earlier versions copied from the base stack's for a new branch stack.
 * Such a copy is still removed with its stack; nothing writes one any more (a branch stack without a config of its
 * own reads the base stack's, so a config in stacks/ is always one a person wrote, and git shows it).
 */
const COPY_MARKER = "# Copied from stacks/Pulumi.dev.yaml by coverage-spy";
/** The stack whose config a stack without one of its own uses. */
export const BASE_STACK = "dev";

/** stacks/Pulumi.<stack>.yaml under the project folder. */
export function stackConfigPath(projectDir: string, stack: string): string {
    return path.join(projectDir, "stacks", `Pulumi.${stack}.yaml`);
}

/**
 * The config file a stack runs with: its own stacks/Pulumi.<stack>.yaml, else the base stack's (read, never
 * copied). Undefined when neither exists.
 */
export function effectiveStackConfigPath(projectDir: string, stack: string): string | undefined {
    return [stackConfigPath(projectDir, stack), stackConfigPath(projectDir, BASE_STACK)].find((f) => fs.existsSync(f));
}

/** A stack config that is not valid YAML, said with the file, the line and the column. */
export class StackConfigSyntaxError extends Error {
    constructor(
        readonly file: string,
        cause: YAMLParseError,
    ) {
        const [line, column] = cause.linePos?.[0] ? [cause.linePos[0].line, cause.linePos[0].col] : [0, 0];
        super(
            `coverage-spy: ${file}${line ? `:${line}:${column}` : ""} is not valid YAML: ` +
                `${cause.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}. ` +
                "Fix that line (a YAML linter shows it too) and run again.",
        );
    }
}

/** A stack config file's content as an object ({} for an empty file); throws StackConfigSyntaxError. */
export function readStackConfigFile(file: string): Record<string, unknown> {
    let value: unknown;
    try {
        value = parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        if (err instanceof YAMLParseError) throw new StackConfigSyntaxError(file, err);
        throw err;
    }
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
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
 * Removes the stack's config file only when an earlier coverage-spy copied it and git does not track it: a config
 * someone wrote or committed survives every command of ours. Returns the removed path, if any.
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
    return configFileEngineEnvironment(effectiveStackConfigPath(projectDir, stack));
}

/** The docker CLI's environment for the engine a stack config file names; empty without one (see above). */
export function configFileEngineEnvironment(file: string | undefined): Record<string, string> {
    let config: Record<string, unknown> | undefined;
    try {
        config =
            file === undefined || !fs.existsSync(file)
                ? undefined
                : (readStackConfigFile(file).config as Record<string, unknown>);
    } catch {
        return {};
    }
    const setting = (key: string): string | undefined => {
        const value = config?.[`docker:${key}`];
        return typeof value === "string" ? value : undefined;
    };
    return dockerEnvironmentFor(engineSettingsFromConfig(setting));
}
