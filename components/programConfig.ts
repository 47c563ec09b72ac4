import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { CoverageSpyStackArgs, Service } from "./options/args";
import { CoverageSpyInputError } from "./options/inputError";
import { envStringProblem, shownValue } from "./options/validation";
import { isKubeconfigText } from "./options/kubernetesOptions";
import { OptionKind, SERVICE_OPTIONS, STACK_OPTIONS, pathOptions } from "./options/optionTable";
import { ComposeImportError, servicesFromCompose } from "./compose/servicesFromCompose";
import { findUp } from "./shared/findUp";

/** Program-only config: services read from a compose file, `{ file, services: { name: { sourcePath } } }`. */
export const COMPOSE_KEY = "compose";

/**
 * Program-only config: secret environment per service, `{ SERVICE: { VAR: value } }`, set with
 * `pulumi config set --secret --path 'secretEnv.SERVICE.VAR' VALUE`. Each value reaches the service's env as a
 * Pulumi secret.
 */
export const SECRET_ENV_KEY = "secretEnv";

/** How a stack config value is read (pulumi.Config's typed getters). */
type ConfigKind = "object" | "string" | "number" | "boolean";

function configKind(kind: OptionKind): ConfigKind {
    if (kind === "list" || kind === "map" || kind === "object") return "object";
    if (kind === "path") return "string";
    if (kind === "integer") return "number";
    return kind;
}

/** Every stack config key the program understands, with its YAML type: the component's options, and compose. */
export const CONFIG_KEYS: Readonly<
    Record<keyof CoverageSpyStackArgs | typeof COMPOSE_KEY | typeof SECRET_ENV_KEY, ConfigKind>
> = {
    ...(Object.fromEntries(Object.entries(STACK_OPTIONS).map(([key, spec]) => [key, configKind(spec.kind)])) as Record<
        keyof CoverageSpyStackArgs,
        ConfigKind
    >),
    [COMPOSE_KEY]: "object",
    [SECRET_ENV_KEY]: "object",
};

/** Host-path keys that may be written relative to the project folder. */
const PATH_KEYS = pathOptions(STACK_OPTIONS);

function resolveFrom(baseDir: string, value: unknown): unknown {
    return typeof value === "string" ? path.resolve(baseDir, value) : value;
}

/** A service's host paths made absolute: its path options, and the source of every bind mount. */
function servicePathsFromProject(service: Service, baseDir: string): Service {
    if (typeof service !== "object" || service === null) return service;
    const resolved: Record<string, unknown> = { ...service };
    for (const key of pathOptions(SERVICE_OPTIONS)) {
        if (service[key] !== undefined) resolved[key] = resolveFrom(baseDir, service[key]);
    }
    if (Array.isArray(service.mounts)) {
        // A volume mount's source is a volume name; every other mount is a bind of a host path.
        resolved.mounts = service.mounts.map((m) =>
            m?.type === "volume" ? m : { ...m, source: resolveFrom(baseDir, m?.source) as string },
        );
    }
    return resolved as unknown as Service;
}

/** The `kubernetes` option with a kubeconfig file's path made absolute; its text, and anything else, as it is. */
function kubernetesFromProject(kubernetes: unknown, baseDir: string): unknown {
    if (typeof kubernetes !== "object" || kubernetes === null || Array.isArray(kubernetes)) return kubernetes;
    const { kubeconfig } = kubernetes as { kubeconfig?: unknown };
    if (typeof kubeconfig !== "string" || kubeconfig.trim() === "" || isKubeconfigText(kubeconfig)) return kubernetes;
    return { ...kubernetes, kubeconfig: path.resolve(baseDir, kubeconfig) };
}

/**
 * Turns stack config values into component arguments: host paths may be relative to the project folder,
 * which keeps stack files portable between checkouts. Everything else is passed on for validation.
 */
export function stackArgsFromConfig(values: Record<string, unknown>, baseDir: string): CoverageSpyStackArgs {
    const { [COMPOSE_KEY]: compose, [SECRET_ENV_KEY]: secretEnv, ...resolved } = values;
    if (Array.isArray(values.services))
        resolved.services = (values.services as Service[]).map((s) => servicePathsFromProject(s, baseDir));
    if (compose !== undefined)
        resolved.services = [
            ...((resolved.services as Service[] | undefined) ?? []),
            ...composeServices(compose, baseDir),
        ];
    for (const key of PATH_KEYS) {
        if (values[key] !== undefined) resolved[key] = resolveFrom(baseDir, values[key]);
    }
    if (values.kubernetes !== undefined) resolved.kubernetes = kubernetesFromProject(values.kubernetes, baseDir);
    if (secretEnv !== undefined) resolved.services = withSecretEnv(resolved.services, secretEnv);
    return resolved as unknown as CoverageSpyStackArgs;
}

/** The services with `secretEnv`'s values added to their env, each value a Pulumi secret. */
function withSecretEnv(services: unknown, secretEnv: unknown): unknown {
    const byService = secretEnv as Record<string, Record<string, unknown>>;
    const list = Array.isArray(services) ? (services as Service[]) : [];
    const problems: string[] = [];
    if (typeof byService !== "object" || byService === null || Array.isArray(byService)) {
        problems.push('config: secretEnv must be { SERVICE: { VARIABLE: "value" } }');
    } else {
        for (const [name, env] of Object.entries(byService)) {
            if (!list.some((s) => s?.name === name)) problems.push(`config: secretEnv names no service "${name}"`);
            if (typeof env !== "object" || env === null || Array.isArray(env)) {
                problems.push(`config: secretEnv.${name} must map variable names to values`);
            } else {
                for (const [variable, value] of Object.entries(env)) {
                    const where = `config: secretEnv.${name}.${variable}`;
                    if (typeof value !== "string") problems.push(`${where} must be a string`);
                    else {
                        const tooLong = envStringProblem(`${where} (service ${name})`, variable, value, "the service");
                        if (tooLong !== undefined) problems.push(tooLong);
                    }
                }
            }
        }
    }
    if (problems.length > 0) throw new CoverageSpyInputError(problems);
    return list.map((service) => {
        const secrets = byService[service?.name];
        if (secrets === undefined) return service;
        const wrapped = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, pulumi.secret(v as string)]));
        return { ...service, env: { ...(service.env ?? {}), ...wrapped } };
    });
}

/** The services a `compose` config entry names, read from its compose file (relative to the project folder). */
function composeServices(compose: unknown, baseDir: string): Service[] {
    const spec = compose as { file?: unknown; services?: unknown };
    if (
        typeof spec !== "object" ||
        spec === null ||
        typeof spec.file !== "string" ||
        typeof spec.services !== "object" ||
        spec.services === null
    ) {
        throw new CoverageSpyInputError([
            'config: compose must be { file: "docker-compose.yml", services: { NAME: { sourcePath: "/app" } } }',
        ]);
    }
    const file = spec.file;
    const services = Object.fromEntries(
        Object.entries(spec.services as Record<string, { sourcePath: string; hostSourcePath?: string }>).map(
            ([name, s]) => [
                name,
                {
                    ...s,
                    ...(s?.hostSourcePath ? { hostSourcePath: resolveFrom(baseDir, s.hostSourcePath) as string } : {}),
                },
            ],
        ),
    );
    try {
        const imported = servicesFromCompose({ file: path.resolve(baseDir, file), services });
        // Not awaited (this runs synchronously): the log call never rejects, and the runtime keeps the program alive
        // until the engine has the message.
        for (const warning of imported.warnings) void pulumi.log.warn(`coverage-spy: compose: ${warning}`);
        return imported.services;
    } catch (err) {
        if (err instanceof ComposeImportError)
            throw new CoverageSpyInputError(err.problems.map((p) => `config: compose ${file}: ${p}`));
        throw err;
    }
}

/**
 * A string key's text as the program gets it: the engine hands a YAML list or map given for it over as JSON text
 * (`testCommand: [python3, -m, unittest]` arrives as `["python3","-m","unittest"]`), which would be used as a string.
 * Such text is given back as the list or map it was, so validation names the shape the key wants. Text that is no
 * JSON list or map (a shell command starting with `[ -f x ]`, say) stays text.
 */
export function stringConfigValue(text: string): unknown {
    if (!/^\s*[[{]/.test(text)) return text;
    try {
        const parsed: unknown = JSON.parse(text);
        return typeof parsed === "object" && parsed !== null ? parsed : text;
    } catch {
        return text;
    }
}

/** Reads the stack's config with each key's own type; unknown keys (typos) are an error at preview. */
export function readStackConfig(namespace: string): Record<string, unknown> {
    const config = new pulumi.Config(namespace);
    const unknown = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(`${namespace}:`))
        .map((k) => k.slice(namespace.length + 1))
        .filter((k) => !(k in CONFIG_KEYS));
    if (unknown.length > 0) {
        const error = new CoverageSpyInputError(
            unknown.map(
                (k) =>
                    `config: unknown key ${shownValue(`${namespace}:${k}`)} (known: ${Object.keys(CONFIG_KEYS).join(", ")})`,
            ),
        );
        throw new pulumi.RunError(error.message);
    }
    const values: Record<string, unknown> = {};
    // secretEnv is read as plain values too, so their names are known at preview; each is made a secret again at
    // once (withSecretEnv). The SDK has no public way to ask whether the stack file keeps it encrypted: the command
    // asks the engine before the update (cli/project/plainSecretEnv.ts).
    for (const [key, kind] of Object.entries(CONFIG_KEYS)) {
        const value =
            kind === "object"
                ? config.getObject<unknown>(key)
                : kind === "number"
                  ? config.getNumber(key)
                  : kind === "boolean"
                    ? config.getBoolean(key)
                    : config.get(key);
        if (value !== undefined) values[key] = typeof value === "string" ? stringConfigValue(value) : value;
    }
    return values;
}

/**
 * The Pulumi project folder of the running program: the engine's root directory, else the folder holding
 * Pulumi.yaml above the working directory. The plain CLI runs a compiled program from bin/, so the working
 * directory alone is not it.
 */
export function pulumiProjectDir(): string {
    // Automation API inline programs report a placeholder, not a path: use it only when it is one.
    const root = pulumi.runtime.getRootDirectory();
    if (path.isAbsolute(root)) return root;
    try {
        return projectRoot(process.cwd());
    } catch {
        return process.cwd();
    }
}

/** The folder holding Pulumi.yaml: relative paths in stack config are relative to it. */
export function projectRoot(start: string): string {
    const found = findUp(start, (dir) => (fs.existsSync(path.join(dir, "Pulumi.yaml")) ? dir : undefined));
    if (found === undefined) throw new Error(`coverage-spy: no Pulumi.yaml above ${start}`);
    return found;
}
