import * as path from "path";
import { Service } from "../options/args";
import { readComposeFile, substituteAll } from "./composeFile";
import { ComposeImportError } from "./composeImportError";
import { ComposeServiceOptions, composeService } from "./composeService";
import { isMap } from "./context";
import { VariableSource } from "./interpolate";

export { ComposeImportError } from "./composeImportError";
export { ComposeServiceOptions } from "./composeService";

export interface ComposeImportOptions {
    /** The compose file (docker-compose.yml, compose.yaml...). Relative paths in it start at its folder. */
    file: string;
    /** The services to import, with what compose cannot say: where their Python source is. */
    services: Record<string, ComposeServiceOptions>;
    /** Variables for substitution. Default: process.env. The .env beside the file fills in what they lack. */
    env?: VariableSource;
    /** As `docker compose -p`: names the project, whose name prefixes named volumes. Default: compose's rules. */
    projectName?: string;
}

export interface ComposeImport {
    services: Service[];
    /** What was left out on the way (keys with no effect on measurement, blank variables, anonymous volumes). */
    warnings: string[];
}

/** Problems with the caller's per-service options, named like the file's own problems. */
function checkOptions(name: string, options: ComposeServiceOptions | undefined, problems: string[]): void {
    const sourcePath = options?.sourcePath;
    if (sourcePath === undefined || sourcePath === null || sourcePath === "") {
        problems.push(
            `service ${name}: no sourcePath: say where its Python source is inside the container (e.g. { sourcePath: "/app" })`,
        );
    } else if (typeof sourcePath !== "string" || !path.posix.isAbsolute(sourcePath)) {
        problems.push(
            `service ${name}: sourcePath must be an absolute path inside the container, got ${JSON.stringify(sourcePath)}`,
        );
    }
}

/**
 * Reads a compose file and returns coverage-spy service arguments for the named services: image, command,
 * entrypoint, environment and env files, ports, healthcheck, user, working_dir, volumes, stop signal and grace,
 * with compose's variable substitution. Every problem (a missing service, a build-only one, a key that cannot
 * be carried over, a required variable that is missing, a missing sourcePath) is reported at once in a
 * ComposeImportError; keys that do not change what is measured are left out and named in `warnings`.
 */
export function servicesFromCompose(options: ComposeImportOptions): ComposeImport {
    const compose = readComposeFile(options.file, options.env ?? process.env, options.projectName);
    const available = Object.keys(compose.services).sort().join(", ");
    const problems: string[] = [];
    const warnings = [...compose.warnings];
    const services: Service[] = [];
    const names = Object.keys(options.services ?? {});
    if (names.length === 0) problems.push(`no services named: name the ones to measure (the file has: ${available})`);
    for (const name of names) {
        const serviceOptions = options.services[name];
        if (!Object.prototype.hasOwnProperty.call(compose.services, name)) {
            problems.push(
                `no service ${name} (the file has: ${available}${compose.hasInclude ? "; services from include: are not read" : ""})`,
            );
            continue;
        }
        checkOptions(name, serviceOptions, problems);
        const blank = new Set<string>();
        const errors: string[] = [];
        const raw = substituteAll(compose.services[name] ?? {}, "", compose.variables, errors, (v) => blank.add(v));
        // A failed substitution leaves "" behind: converting it would only add confusing follow-up problems.
        if (errors.length > 0) {
            problems.push(...errors.map((e) => `service ${name}: ${e}`));
            continue;
        }
        for (const v of blank) warnings.push(`service ${name}: variable ${v} is not set: a blank string is used`);
        if (!isMap(raw)) {
            problems.push(`service ${name} must be a map of keys`);
            continue;
        }
        const service = composeService(raw, serviceOptions ?? { sourcePath: "" }, {
            name,
            baseDir: compose.baseDir,
            variables: compose.variables,
            volumeName: compose.volumeName,
            problems,
            warnings,
        });
        if (service) services.push(service);
    }
    if (problems.length > 0) throw new ComposeImportError(compose.file, problems);
    return { services, warnings };
}
