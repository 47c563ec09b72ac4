import * as fs from "fs";
import { ComposeServiceContext, Raw, flag, isMap, problem, scalarText, warning } from "./context";
import { EnvFileError, parseEnvFile } from "./envFile";
import { hostPath } from "./hostPath";

/**
 * `environment` as compose reads it: a map or KEY=VALUE list; null = a bare KEY (taken from the project environment).
 */
function declared(value: unknown, ctx: ComposeServiceContext): Record<string, string | null> {
    const env: Record<string, string | null> = {};
    if (value === undefined || value === null) return env;
    if (Array.isArray(value)) {
        for (const item of value) {
            const text = String(item);
            const eq = text.indexOf("=");
            if (eq < 0) env[text] = null;
            else env[text.slice(0, eq)] = text.slice(eq + 1);
        }
    } else if (isMap(value)) {
        for (const [k, v] of Object.entries(value)) env[k] = v === null || v === undefined ? null : scalarText(v);
    } else {
        problem(ctx, "environment", "must be a map or a list of KEY=VALUE");
    }
    return env;
}

interface EnvFileSpec {
    path: string;
    required: boolean;
}

function envFileSpecs(value: unknown, ctx: ComposeServiceContext): EnvFileSpec[] {
    if (value === undefined || value === null) return [];
    const specs: EnvFileSpec[] = [];
    for (const entry of Array.isArray(value) ? value : [value]) {
        if (typeof entry === "string") {
            specs.push({ path: entry, required: true });
        } else if (isMap(entry) && typeof entry.path === "string") {
            // Other formats are plugins of the compose CLI: their rules cannot be reproduced.
            if (entry.format !== undefined && entry.format !== "")
                problem(ctx, "env_file", `${entry.path}: format ${JSON.stringify(entry.format)} is not supported`);
            else specs.push({ path: entry.path, required: flag(entry.required) ?? true });
        } else {
            problem(ctx, "env_file", `entries must be paths or { path, required }, got ${JSON.stringify(entry)}`);
        }
    }
    return specs;
}

/**
 * The environment compose gives the container: the env files in order, then `environment` over them. A bare KEY
 * takes the project environment's value; unset there, it unsets the key, as compose does. Variables in the env
 * files are substituted from the project environment first, then from `environment`.
 */
export function serviceEnvironment(raw: Raw, ctx: ComposeServiceContext): Record<string, string> | undefined {
    const own = declared(raw.environment, ctx);
    for (const [k, v] of Object.entries(own)) {
        if (v === null) own[k] = ctx.variables(k) ?? null;
    }
    const env: Record<string, string> = {};
    const lookup = (name: string) => ctx.variables(name) ?? own[name] ?? env[name] ?? undefined;
    for (const spec of envFileSpecs(raw.env_file, ctx)) {
        const file = hostPath(spec.path, ctx.baseDir);
        if (!fs.existsSync(file)) {
            if (spec.required) problem(ctx, "env_file", `${spec.path} not found (${file})`);
            continue;
        }
        try {
            Object.assign(
                env,
                parseEnvFile(fs.readFileSync(file, "utf8"), spec.path, lookup, (v) =>
                    warning(ctx, "env_file", `${spec.path}: variable ${v} is not set: a blank string is used`),
                ),
            );
        } catch (err) {
            if (!(err instanceof EnvFileError)) throw err;
            problem(ctx, "env_file", err.message);
        }
    }
    for (const [k, v] of Object.entries(own)) {
        if (v !== null) env[k] = v;
        else {
            if (Object.prototype.hasOwnProperty.call(env, k))
                warning(ctx, "environment", `${k} is not set, so the value from env_file is dropped (as compose does)`);
            delete env[k];
        }
    }
    return Object.keys(env).length > 0 ? env : undefined;
}
