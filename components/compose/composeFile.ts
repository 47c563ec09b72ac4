import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { ComposeImportError } from "./composeImportError";
import { Raw, isMap } from "./context";
import { EnvFileError, parseEnvFile } from "./envFile";
import { InterpolationError, VariableSource, interpolate, lookupIn } from "./interpolate";

/** A compose file as read: its services still unsubstituted (each is substituted when imported). */
export interface ComposeFile {
    file: string;
    baseDir: string;
    /** Compose's project environment: the given env over the `.env` beside the file. */
    variables: (name: string) => string | undefined;
    /** Project name as compose derives it; it prefixes the Docker names of named volumes. */
    projectName: string;
    services: Record<string, unknown>;
    /** The Docker name of a declared named volume; null when undeclared. */
    volumeName: (key: string) => string | null;
    /** The file pulls in other files with `include:` (not followed). */
    hasInclude: boolean;
    /** Warnings from the .env file (variables it names that are not set). */
    warnings: string[];
}

/** Compose's normalisation of a project name: lower case, letters, digits, "_", "-"; no leading "_" or "-". */
export function normalizeProjectName(name: string): string {
    return name
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, "")
        .replace(/^[_-]+/, "");
}

/**
 * Substitutes variables in every string value (not in keys), as compose does; each failure is named by its key path.
 */
export function substituteAll(
    value: unknown,
    where: string,
    vars: VariableSource,
    errors: string[],
    unset: (name: string) => void,
): unknown {
    if (typeof value === "string") {
        try {
            return interpolate(value, vars, unset);
        } catch (err) {
            if (!(err instanceof InterpolationError)) throw err;
            errors.push(`${where}: ${err.message}`);
            return "";
        }
    }
    if (Array.isArray(value)) return value.map((v, i) => substituteAll(v, `${where}[${i}]`, vars, errors, unset));
    if (isMap(value)) {
        return Object.fromEntries(
            Object.entries(value).map(([k, v]) => [
                k,
                substituteAll(v, where ? `${where}.${k}` : k, vars, errors, unset),
            ]),
        );
    }
    return value;
}

function readDotEnv(
    baseDir: string,
    given: (name: string) => string | undefined,
    warnings: string[],
): Record<string, string> {
    const file = path.join(baseDir, ".env");
    if (!fs.existsSync(file)) return {};
    try {
        return parseEnvFile(fs.readFileSync(file, "utf8"), file, given, (v) =>
            warnings.push(`${file}: variable ${v} is not set: a blank string is used`),
        );
    } catch (err) {
        if (err instanceof EnvFileError) throw new ComposeImportError(path.join(baseDir, ".env"), [err.message]);
        throw err;
    }
}

function parseYaml(file: string): Raw {
    // parseDocument reports every YAML error at once (parse would stop at the first).
    const doc = parseDocument(fs.readFileSync(file, "utf8"), { merge: true, uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0)
        throw new ComposeImportError(
            file,
            doc.errors.map((e) => `not valid YAML: ${e.message.split("\n")[0]}`),
        );
    const top: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (!isMap(top) || !isMap(top.services)) throw new ComposeImportError(file, ["no services: section"]);
    return top;
}

/**
 * Reads a compose file: the `.env` beside it (the given env wins over it), the YAML (anchors and `<<` merges
 * resolved), the project name (`projectName`, else COMPOSE_PROJECT_NAME, else `name:`, else the folder's name,
 * in compose's order) and the top-level volumes. Throws a ComposeImportError when the file cannot be read at all.
 */
export function readComposeFile(fileName: string, env: VariableSource, projectName?: string): ComposeFile {
    const file = path.resolve(fileName);
    if (!fs.existsSync(file)) throw new ComposeImportError(file, ["the file does not exist"]);
    const baseDir = path.dirname(file);
    const given = lookupIn(env);
    const warnings: string[] = [];
    const dotEnv = lookupIn(readDotEnv(baseDir, given, warnings));
    const variables = (name: string) => given(name) ?? dotEnv(name);
    const top = parseYaml(file);
    const errors: string[] = [];
    const substituted = (value: unknown, where: string) =>
        substituteAll(value, where, variables, errors, () => undefined);
    const name = normalizeProjectName(
        projectName ??
            variables("COMPOSE_PROJECT_NAME") ??
            (typeof top.name === "string" ? (substituted(top.name, "name") as string) : path.basename(baseDir)),
    );
    const volumes = isMap(top.volumes) ? (substituted(top.volumes, "volumes") as Raw) : {};
    if (errors.length > 0) throw new ComposeImportError(file, errors);
    const volumeName = (key: string): string | null => {
        if (!(key in volumes)) return null;
        const spec = isMap(volumes[key]) ? volumes[key] : {};
        if (typeof spec.name === "string" && spec.name !== "") return spec.name;
        // A volume named elsewhere (external) keeps its name; the file's own volumes carry the project's prefix.
        if (spec.external === true || spec.external === "true") return key;
        if (isMap(spec.external) && typeof spec.external.name === "string") return spec.external.name;
        return `${name}_${key}`;
    };
    return {
        file,
        baseDir,
        variables,
        projectName: name,
        services: top.services as Record<string, unknown>,
        volumeName,
        hasInclude: top.include !== undefined,
        warnings,
    };
}
