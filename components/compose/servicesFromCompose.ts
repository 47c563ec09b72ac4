import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ServiceArgs } from "../args";
import { composeService } from "./composeService";
import { parseEnvFile } from "./envFile";
import { InterpolationError, Variables, interpolate } from "./interpolate";

export class ComposeImportError extends Error {
    constructor(readonly file: string, readonly problems: string[]) {
        super(`cannot import services from ${file}:\n  - ${problems.join("\n  - ")}`);
        this.name = "ComposeImportError";
    }
}

export interface ComposeImportOptions {
    /** The compose file (docker-compose.yml, compose.yaml...). */
    file: string;
    /** The services to import, with what compose cannot say: where their Python source is. */
    services: Record<string, { sourcePath: string; hostSourcePath?: string }>;
    /** Variables for substitution. Default: process.env. The .env next to the file fills in what they lack. */
    env?: Variables;
}

export interface ComposeImport {
    services: ServiceArgs[];
    /** What was left out or changed on the way (ignored keys, blank variables, host IPs). */
    warnings: string[];
}

/** Substitutes variables in every string value (not in keys), as compose does. */
function substituteAll(value: unknown, vars: Variables, unset: (name: string) => void): unknown {
    if (typeof value === "string") return interpolate(value, vars, unset);
    if (Array.isArray(value)) return value.map((v) => substituteAll(v, vars, unset));
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteAll(v, vars, unset)]));
    }
    return value;
}

/**
 * Reads a compose file and returns coverage-spy service arguments for the named services: image, command,
 * entrypoint, environment and env files, ports, healthcheck, user, working_dir, volumes, stop signal and grace.
 * Every problem (a missing service, a build-only one, a key that cannot be carried over, a required variable
 * that is missing) is reported at once in a ComposeImportError.
 */
export function servicesFromCompose(options: ComposeImportOptions): ComposeImport {
    const file = path.resolve(options.file);
    if (!fs.existsSync(file)) throw new ComposeImportError(file, ["the file does not exist"]);
    const baseDir = path.dirname(file);
    const dotEnv = path.join(baseDir, ".env");
    const given = options.env ?? process.env;
    const vars: Variables = { ...(fs.existsSync(dotEnv) ? parseEnvFile(fs.readFileSync(dotEnv, "utf8"), dotEnv, given) : {}), ...given };
    let doc: unknown;
    try {
        doc = parse(fs.readFileSync(file, "utf8"), { merge: true });
    } catch (err) {
        throw new ComposeImportError(file, [`not valid YAML: ${(err as Error).message.split("\n")[0]}`]);
    }
    const composeServices = (doc as { services?: unknown })?.services;
    if (!composeServices || typeof composeServices !== "object") throw new ComposeImportError(file, ["no services: section"]);
    const all = composeServices as Record<string, Record<string, unknown>>;
    const problems: string[] = [];
    const warnings: string[] = [];
    const services: ServiceArgs[] = [];
    for (const [name, where] of Object.entries(options.services)) {
        if (!(name in all)) {
            problems.push(`no service ${name} (the file has: ${Object.keys(all).sort().join(", ")})`);
            continue;
        }
        const blank = new Set<string>();
        let raw: Record<string, unknown>;
        try {
            raw = substituteAll(all[name] ?? {}, vars, (v) => blank.add(v)) as Record<string, unknown>;
        } catch (err) {
            if (!(err instanceof InterpolationError)) throw err;
            problems.push(`service ${name}: ${err.message}`);
            continue;
        }
        for (const v of blank) warnings.push(`service ${name}: variable ${v} is not set: a blank string is used`);
        const service = composeService(raw, { name, baseDir, sourcePath: where.sourcePath, hostSourcePath: where.hostSourcePath,
            variables: vars, problems, warnings });
        if (service) services.push(service);
    }
    if (problems.length > 0) throw new ComposeImportError(file, problems);
    return { services, warnings };
}
