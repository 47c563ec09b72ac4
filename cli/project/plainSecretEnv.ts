import * as fs from "fs";
import { StackConfigSyntaxError, readStackConfigFile } from "./stackConfigFile";

/** The config key that gives services secret variables (`<project>:secretEnv`, read by coverageStackProgram). */
const SECRET_ENV = /^[^:]+:secretEnv$/;

/** A value the stack file keeps encrypted: `{ secure: "v1:..." }`. */
function isEncrypted(value: unknown): boolean {
    const keys = typeof value === "object" && value !== null ? Object.keys(value) : [];
    return keys.length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}

/** The paths under `where` of every value not kept encrypted (a whole map set with --secret counts as one). */
function plainValues(where: string, value: unknown): string[] {
    if (isEncrypted(value)) return [];
    if (typeof value !== "object" || value === null) return [where];
    return Object.entries(value).flatMap(([key, inner]) => plainValues(`${where}.${key}`, inner));
}

/**
 * The problem with a stack config (a stack file's `config:` map) that keeps values of `secretEnv` in plain text, if
 * it does: the program makes each value a secret, but the file would hold them readable. Pulumi's SDK gives a
 * program no public way to ask which keys are secret, so the command reads the file before the update.
 */
export function plainSecretEnvProblem(config: Record<string, unknown>): string | undefined {
    const plain = Object.entries(config)
        .filter(([key]) => SECRET_ENV.test(key))
        .flatMap(([key, value]) => plainValues(key, value));
    if (plain.length === 0) return undefined;
    return (
        `coverage-spy: config: ${plain.join(", ")} ${plain.length === 1 ? "is" : "are"} stored in plain text in the ` +
        "stack file: set each value with pulumi config set --secret --path 'secretEnv.SERVICE.VARIABLE' VALUE"
    );
}

/**
 * Refuses, before anything runs, a stack file that keeps secretEnv in plain text. A file that is missing or is no
 * YAML is left to the engine, which names it.
 */
export function refusePlainSecretEnv(file: string | undefined): void {
    if (file === undefined || !fs.existsSync(file)) return;
    let config: unknown;
    try {
        config = readStackConfigFile(file).config;
    } catch (err) {
        if (err instanceof StackConfigSyntaxError) return;
        throw err;
    }
    if (typeof config !== "object" || config === null) return;
    const problem = plainSecretEnvProblem(config as Record<string, unknown>);
    if (problem !== undefined) throw new Error(problem);
}
