/** What converting one compose service needs besides its own keys, and where its problems and warnings go. */
export interface ComposeServiceContext {
    /** The service's name in the compose file. */
    name: string;
    /** Folder of the compose file: relative paths are resolved from it. */
    baseDir: string;
    /** Compose's project environment (the given env over the .env file): for bare `KEY` entries and env files. */
    variables: (name: string) => string | undefined;
    /**
     * The Docker name of a named volume (project prefix, `name:`, `external`); null when the file does not declare it.
     */
    volumeName: (key: string) => string | null;
    problems: string[];
    warnings: string[];
}

/** Problems name the service and the key, so a long list stays readable. */
export function problem(ctx: ComposeServiceContext, key: string, message: string): void {
    ctx.problems.push(`service ${ctx.name}: ${key}: ${message}`);
}

export function warning(ctx: ComposeServiceContext, key: string, message: string): void {
    ctx.warnings.push(`service ${ctx.name}: ${key}: ${message}`);
}

export type Raw = Record<string, unknown>;

export function isMap(value: unknown): value is Raw {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A value given where compose takes a string, as text: a string, number or boolean as written (`8000`, `true`);
 * a list or map, which compose refuses there, as JSON rather than "[object Object]". For a value that is set.
 */
export function scalarText(value: unknown): string {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
    return JSON.stringify(value);
}

/** A boolean as compose reads it after substitution ("true"/"false" strings too); undefined when it is none. */
export function flag(value: unknown): boolean | undefined {
    if (typeof value === "boolean") return value;
    if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
    return undefined;
}
