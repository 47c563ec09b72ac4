import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { CoverageOptions, CoverageSpyStackArgs, Service } from "./args";
import { CONCURRENCY_MODES, CORES, LOST_PROCESS_POLICIES, MOUNT_TYPES, PATCHES } from "./choices";
import {
    COVERAGE_OPTIONS,
    HEALTHCHECK_OPTIONS,
    KUBERNETES_OPTIONS,
    MOUNT_OPTIONS,
    OptionKind,
    OptionSpec,
    PORT_OPTIONS,
    SERVICE_OPTIONS,
    STACK_OPTIONS,
    optionNames,
} from "./optionTable";
import { normaliseSourcePath } from "./resolveArgs";
import { CoverageSpyInputError } from "./inputError";
import { validateGates } from "./gateOptions";
import { patchBaseProblem } from "./patchOptions";
import { kubernetesOptionProblems } from "./kubernetesOptions";
import { OWN_CONTAINERS, serviceUrlEnvName } from "../shared/naming";
import { shellQuote } from "../shared/shell";
import { SPY_DOCKERFILE } from "../shared/layout";
import { DependencyGraph } from "../shared/dependencyGraph";

/** Signals an app rarely uses itself; each process resolves SIGRTMIN+n with its own libc (glibc and musl differ). */
const SPY_SIGNAL = /^(off|SIGUSR1|SIGUSR2|SIGRTMIN\+([0-9]|1[0-5])|SIGRTMAX-([0-9]|1[0-5]))$/;
/** Env vars the spy owns: a user value would silently break measurement. */
const RESERVED_ENV = ["COVERAGE_PROCESS_START", "COVERAGE_FILE", "COVERAGE_CORE", "COVERAGE_RCFILE"];
/** Docker's own rule for container names, which carry the service name. */
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const RUN_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
/** An image reference as the docker CLI takes it: [registry/]name[:tag][@digest], nothing a shell would split. */
const IMAGE_REFERENCE = /^[a-zA-Z0-9][a-zA-Z0-9._/:@-]{0,254}$/;
/** A host name or IPv4 address: what a URL's host part takes without brackets. */
const SERVICE_HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
/** A stack name, optionally qualified with organization and project. */
const STACK_REF = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/)?[A-Za-z0-9_.-]{1,100}$/;

/**
 * The longest string Linux passes to a program, its closing NUL included: MAX_ARG_STRLEN, 32 pages of 4 KiB
 * (include/uapi/linux/binfmts.h). Each environment variable is one such "NAME=value" string; one longer makes the
 * exec fail with E2BIG ("argument list too long"), for a container's process as for the test command.
 */
export const MAX_ENV_STRING_BYTES = 32 * 4096;

/** How many characters of a value a message repeats: a huge input is shown by its start and its length. */
const SHOWN_CHARACTERS = 80;

/** A value as a message shows it: JSON, cut to its first characters and its length when it is long. */
export function shownValue(value: unknown): string {
    // JSON has no text for undefined or a function: those are shown as JavaScript writes them.
    const text = JSON.stringify(value) ?? String(value);
    if (text.length <= SHOWN_CHARACTERS) return text;
    const length = typeof value === "string" ? value.length : text.length;
    return `${text.slice(0, SHOWN_CHARACTERS)}… (${length} characters)`;
}

/** A path or name as messages show it unquoted: cut like shownValue when it is long. */
function shownText(text: string): string {
    return text.length <= SHOWN_CHARACTERS ? text : `${text.slice(0, SHOWN_CHARACTERS)}… (${text.length} characters)`;
}

/** What each kind of option takes, as messages say it. */
const WANTED_SHAPE: Record<OptionKind, string> = {
    string: "a string",
    path: "a path (a string)",
    number: "a number",
    integer: "a whole number",
    boolean: "true or false",
    list: "a list",
    map: "a map (name: value)",
    object: "an object (option: value)",
};

/** What a value is, in the words of a YAML file. */
function shapeOf(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "a map";
    if (typeof value === "boolean") return "true/false";
    return `a ${typeof value}`;
}

/** Whether a value has the shape an option of `kind` takes. */
function hasShape(value: unknown, kind: OptionKind): boolean {
    switch (kind) {
        case "string":
        case "path":
            return typeof value === "string";
        case "number":
        case "integer":
            // Whole numbers and their ranges: checked with each option's limits (Problems.integer).
            return typeof value === "number";
        case "boolean":
            return typeof value === "boolean";
        case "list":
            return Array.isArray(value);
        default:
            return isPlainObject(value);
    }
}

/** A list of words written as the one shell line testCommand takes: each word quoted where the shell needs it. */
function asCommandLine(words: string[]): string {
    return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : shellQuote(w))).join(" ");
}

/** The check of what `testCommand` is given: a shell line, never a list of words. */
function testCommandShapeProblem(value: unknown): string {
    const got = `got ${shapeOf(value)} ${shownValue(value)}`;
    if (Array.isArray(value) && value.length > 0 && value.every((w) => typeof w === "string"))
        return `testCommand must be a string (one shell command line), ${got}; write it as one line: testCommand: ${shownValue(asCommandLine(value))}`;
    return `testCommand must be a string (one shell command line), ${got}`;
}

/** Collects every problem at once, so one preview shows them all. */
class Problems {
    readonly list: string[] = [];
    /** Options given a value of the wrong shape: said once, so their other checks stay silent. */
    private readonly misshapen: string[] = [];
    add(message: string): void {
        if (this.misshapen.some((where) => isAbout(message, where))) return;
        this.list.push(message);
    }
    /**
     * Checks that each option of `table` given in `value` has its kind's shape (a YAML list where a string belongs,
     * a map where a list does...); `where` prefixes the option's name in messages.
     */
    shapes(where: string, value: Record<string, unknown>, table: Record<string, OptionSpec<unknown>>): void {
        for (const [key, spec] of Object.entries(table)) {
            const given = value[key];
            if (given === undefined || hasShape(given, spec.kind)) continue;
            if (spec.deferred && (pulumi.Output.isInstance(given) || given instanceof Promise)) continue;
            const field = `${where}${key}`;
            this.add(
                field === "testCommand"
                    ? testCommandShapeProblem(given)
                    : `${field} must be ${WANTED_SHAPE[spec.kind]}, got ${shapeOf(given)} ${shownValue(given)}`,
            );
            this.misshapen.push(field);
        }
    }
    unknownKeys(where: string, value: object, known: ReadonlyArray<string>): void {
        for (const key of Object.keys(value)) {
            if (!known.includes(key)) {
                this.add(`${where}: unknown option ${shownValue(key)} (known: ${known.join(", ")})`);
            }
        }
    }
    integer(where: string, value: unknown, min: number, max: number): void {
        if (value === undefined) return;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            this.add(`${where} must be a whole number from ${min} to ${max}, got ${shownValue(value)}`);
        }
    }
    absolutePath(where: string, value: unknown, mustExist: boolean): void {
        if (value === undefined) return;
        if (typeof value !== "string" || !path.isAbsolute(value)) {
            this.add(`${where} must be an absolute path, got ${shownValue(value)}`);
        } else if (mustExist && !fs.existsSync(value)) {
            this.add(`${where} does not exist: ${shownText(value)}`);
        }
    }
    boolean(where: string, value: unknown): void {
        if (value !== undefined && typeof value !== "boolean") this.add(`${where} must be true or false`);
    }
    /** A value from a closed set (choices.ts): "a" or "b" for two, "one of a, b, c" for more. */
    oneOf(where: string, value: unknown, allowed: ReadonlyArray<string>): void {
        if (value === undefined || allowed.includes(value as string)) return;
        const choices =
            allowed.length === 2
                ? `${JSON.stringify(allowed[0])} or ${JSON.stringify(allowed[1])}`
                : `one of ${allowed.join(", ")}`;
        this.add(`${where} must be ${choices}, got ${shownValue(value)}`);
    }
    stringList(where: string, value: unknown, allowed?: ReadonlyArray<string>): void {
        if (value === undefined) return;
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.length === 0)) {
            this.add(`${where} must be a list of non-empty strings`);
            return;
        }
        for (const v of value as string[]) {
            if (/[\r\n]/.test(v)) this.add(`${where}: ${shownValue(v)} must not contain a line break`);
            if (allowed && !allowed.includes(v))
                this.add(`${where}: ${shownValue(v)} is not one of ${allowed.join(", ")}`);
        }
    }
    /** Environment variables; `secretsAllowed`: a value may also be a Pulumi Output or a Promise (a secret). */
    stringMap(where: string, value: unknown, outputsAllowed = false): void {
        if (value === undefined) return;
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            this.add(`${where} must be a map of names to strings`);
            return;
        }
        for (const [k, v] of Object.entries(value)) {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
                this.add(`${where}: ${shownValue(k)} is not a valid environment variable name`);
            const deferred = pulumi.Output.isInstance(v) || v instanceof Promise;
            if (typeof v !== "string" && !(outputsAllowed && deferred)) {
                this.add(
                    `${where}.${k} must be a string${outputsAllowed ? " or a Pulumi Output (a secret, say)" : ""}`,
                );
            }
        }
    }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether a message is about the option at `where` or one of its parts. */
function isAbout(message: string, where: string): boolean {
    return message.startsWith(where) && [" ", ".", "[", ":"].includes(message.charAt(where.length));
}

/**
 * The problem with one environment variable that Linux could not pass to a program, if it is too long; `who` says
 * what would not start.
 */
export function envStringProblem(where: string, name: string, value: string, who: string): string | undefined {
    const bytes = Buffer.byteLength(`${name}=${value}`) + 1;
    if (bytes <= MAX_ENV_STRING_BYTES) return undefined;
    return (
        `${where} makes an environment string (${shownValue(`${name}=…`)}) of ${bytes - 1} bytes: Linux passes none ` +
        `longer than ${MAX_ENV_STRING_BYTES - 1} bytes to a program (MAX_ARG_STRLEN, 128 KiB with its closing NUL), ` +
        `so ${who} could not start ("argument list too long"); pass a value this large in a file instead (a mount)`
    );
}

/** The too long variables of an environment map; values that are not strings (secrets) are checked elsewhere. */
function envSizeProblems(where: string, env: unknown, who: string, label = ""): string[] {
    if (!isPlainObject(env)) return [];
    return Object.entries(env).flatMap(([name, value]) => {
        const problem =
            typeof value === "string" ? envStringProblem(`${where}.${name}${label}`, name, value, who) : undefined;
        return problem === undefined ? [] : [problem];
    });
}

function validateService(
    service: Service,
    where: string,
    problems: Problems,
    usedHostPorts: Map<number, string>,
): void {
    if (!isPlainObject(service)) {
        problems.add(`${where} must be an object`);
        return;
    }
    problems.unknownKeys(where, service, optionNames(SERVICE_OPTIONS));
    problems.shapes(`${where}.`, service as unknown as Record<string, unknown>, SERVICE_OPTIONS);
    if (typeof service.name !== "string" || !DOCKER_NAME.test(service.name) || service.name.length > 63) {
        problems.add(
            `${where}.name ${shownValue(service.name)} is not a valid Docker name (letters, digits, "_", ".", "-"; starts with a letter or digit; at most 63 characters)`,
        );
    } else if ((OWN_CONTAINERS as readonly string[]).includes(service.name)) {
        problems.add(
            `${where}.name "${service.name}" is taken by coverage-spy's own ${service.name} container; name the service differently (${OWN_CONTAINERS.join(", ")} are reserved)`,
        );
    }
    if (service.image === undefined || service.image === null || service.image === "") {
        problems.add(`${where}.image is required`);
    }
    problems.stringList(`${where}.command`, service.command);
    problems.stringList(`${where}.entrypoint`, service.entrypoint);
    problems.stringMap(`${where}.env`, service.env, true);
    for (const key of Object.keys(service.env ?? {})) {
        if (RESERVED_ENV.includes(key))
            problems.add(`${where}.env.${key} is set by coverage-spy and must not be given`);
    }
    const serviceLabel = typeof service.name === "string" ? ` (service ${shownText(service.name)})` : "";
    for (const problem of envSizeProblems(`${where}.env`, service.env, "the service", serviceLabel))
        problems.add(problem);
    problems.boolean(`${where}.instrument`, service.instrument);
    if (service.instrument === false) {
        for (const key of ["sourcePath", "hostSourcePath"] as const) {
            if (service[key] !== undefined) {
                problems.add(
                    `${where}.${key}: the service is not measured (instrument: false); remove it or measure it`,
                );
            }
        }
    } else {
        if (typeof service.sourcePath !== "string" || !path.posix.isAbsolute(service.sourcePath)) {
            problems.add(
                `${where}.sourcePath must be an absolute path inside the container, got ${shownValue(service.sourcePath)}`,
            );
        } else if (normaliseSourcePath(service.sourcePath) === "/") {
            // coverage.py refuses a source of "/", and would measure every library of the image if it did not.
            problems.add(
                `${where}.sourcePath ${shownValue(service.sourcePath)} is the whole filesystem, which coverage.py does not measure: give the folder inside the image that holds the service's Python code, e.g. /app`,
            );
        }
        problems.absolutePath(`${where}.hostSourcePath`, service.hostSourcePath, true);
    }
    problems.integer(`${where}.readinessTcpPort`, service.readinessTcpPort, 1, 65535);
    problems.stringList(`${where}.dependsOn`, service.dependsOn);
    if (
        service.workingDir !== undefined &&
        (typeof service.workingDir !== "string" || !path.posix.isAbsolute(service.workingDir))
    ) {
        problems.add(
            `${where}.workingDir must be an absolute path inside the container, got ${shownValue(service.workingDir)}`,
        );
    }
    problems.integer(`${where}.readinessTimeoutSeconds`, service.readinessTimeoutSeconds, 1, 3600);
    problems.integer(`${where}.replicas`, service.replicas, 1, 100);
    problems.integer(`${where}.stopGraceSeconds`, service.stopGraceSeconds, 1, 600);
    if (
        service.readinessPath !== undefined &&
        (typeof service.readinessPath !== "string" || !service.readinessPath.startsWith("/"))
    ) {
        problems.add(`${where}.readinessPath must start with "/"`);
    }
    if (service.stopSignal !== undefined && !/^SIG[A-Z0-9]+$/.test(service.stopSignal)) {
        problems.add(`${where}.stopSignal must be a signal name such as "SIGTERM"`);
    }
    if (service.ports !== undefined) {
        if (!Array.isArray(service.ports)) {
            problems.add(`${where}.ports must be a list`);
        } else {
            const internals = new Set<number>();
            service.ports.forEach((port, i) => {
                const portWhere = `${where}.ports[${i}]`;
                if (isPlainObject(port)) problems.shapes(`${portWhere}.`, port, PORT_OPTIONS);
                problems.integer(`${portWhere}.internal`, port?.internal, 1, 65535);
                problems.integer(`${portWhere}.external`, port?.external, 1, 65535);
                if (port?.internal === undefined) problems.add(`${portWhere}.internal is required`);
                if (internals.has(port?.internal))
                    problems.add(`${portWhere}.internal ${port.internal} is listed twice`);
                internals.add(port?.internal);
                if (port?.external !== undefined) {
                    const owner = usedHostPorts.get(port.external);
                    if (owner) problems.add(`${portWhere}.external ${port.external} is already used by ${owner}`);
                    usedHostPorts.set(port.external, portWhere);
                }
            });
        }
    }
    (Array.isArray(service.mounts) ? service.mounts : []).forEach((mount, i) => {
        const mountWhere = `${where}.mounts[${i}]`;
        if (!isPlainObject(mount)) {
            problems.add(`${mountWhere} must be an object`);
            return;
        }
        problems.unknownKeys(mountWhere, mount, optionNames(MOUNT_OPTIONS));
        problems.shapes(`${mountWhere}.`, mount, MOUNT_OPTIONS);
        if (typeof mount.target !== "string" || !path.posix.isAbsolute(mount.target))
            problems.add(`${mountWhere}.target must be an absolute container path`);
        problems.oneOf(`${mountWhere}.type`, mount.type, MOUNT_TYPES);
        if (mount.type === "volume") {
            if (typeof mount.source !== "string" || mount.source === "")
                problems.add(`${mountWhere}.source must name a volume`);
        } else {
            problems.absolutePath(`${mountWhere}.source`, mount.source, true);
        }
        if (typeof mount.target === "string" && mount.target.startsWith("/opt/coverage-spy")) {
            problems.add(`${mountWhere}.target ${mount.target} is reserved for coverage-spy`);
        }
    });
    if (isPlainObject(service.healthcheck)) {
        problems.unknownKeys(`${where}.healthcheck`, service.healthcheck, optionNames(HEALTHCHECK_OPTIONS));
        problems.shapes(
            `${where}.healthcheck.`,
            service.healthcheck as unknown as Record<string, unknown>,
            HEALTHCHECK_OPTIONS,
        );
        problems.stringList(`${where}.healthcheck.test`, service.healthcheck.test);
        if (!Array.isArray(service.healthcheck.test) || service.healthcheck.test.length === 0)
            problems.add(`${where}.healthcheck.test is required`);
        problems.integer(`${where}.healthcheck.retries`, service.healthcheck.retries, 1, 1000);
    }
}

function validateCoverage(options: CoverageOptions | undefined, problems: Problems): void {
    if (options === undefined) return;
    if (!isPlainObject(options)) {
        problems.add("coverage must be an object");
        return;
    }
    problems.unknownKeys("coverage", options, optionNames(COVERAGE_OPTIONS));
    problems.shapes("coverage.", options as unknown as Record<string, unknown>, COVERAGE_OPTIONS);
    problems.stringList("coverage.source", options.source);
    problems.stringList("coverage.omit", options.omit);
    problems.stringList("coverage.excludeLines", options.excludeLines);
    problems.stringList("coverage.concurrency", options.concurrency, CONCURRENCY_MODES);
    problems.stringList("coverage.patch", options.patch, PATCHES);
    problems.boolean("coverage.branch", options.branch);
    problems.oneOf("coverage.core", options.core, CORES);
    const interval = options.saveIntervalSeconds;
    if (interval !== undefined && !(typeof interval === "number" && interval >= 0 && interval <= 3600)) {
        problems.add("coverage.saveIntervalSeconds must be a number of seconds from 0 (off) to 3600");
    }
    for (const key of ["snapshotSignal", "resetSignal"] as const) {
        const value = options[key];
        if (value !== undefined && (typeof value !== "string" || !SPY_SIGNAL.test(value))) {
            problems.add(
                `coverage.${key} must be "off", SIGUSR1, SIGUSR2, SIGRTMIN+n or SIGRTMAX-n (n from 0 to 15), got ${shownValue(value)}`,
            );
        }
    }
    const signal: unknown = options.snapshotSignal;
    if (signal !== undefined && signal === options.resetSignal && signal !== "off") {
        // Not a string when the config gives something else (already a problem above): written as JSON then.
        const text = typeof signal === "string" ? signal : shownValue(signal);
        problems.add(`coverage.snapshotSignal and coverage.resetSignal must differ (both ${text})`);
    }
    if (options.paths !== undefined) {
        if (!isPlainObject(options.paths)) {
            problems.add("coverage.paths must map group names to lists of paths");
        } else {
            for (const [group, list] of Object.entries(options.paths)) {
                if (!/^[A-Za-z0-9_.-]+$/.test(group))
                    problems.add(
                        `coverage.paths: group name ${shownValue(group)} must be letters, digits, "_", ".", "-"`,
                    );
                problems.stringList(`coverage.paths.${group}`, list);
                if (Array.isArray(list) && list.length < 2)
                    problems.add(`coverage.paths.${group} needs a canonical path and at least one other`);
            }
        }
    }
}

/** The cluster's options (`kubernetes`): its shape is checked with the other options'. */
function validateKubernetes(options: unknown, problems: Problems): void {
    if (!isPlainObject(options)) return;
    problems.unknownKeys("kubernetes", options, optionNames(KUBERNETES_OPTIONS));
    problems.shapes("kubernetes.", options, KUBERNETES_OPTIONS);
    // A round at least every 5 minutes: a longer one is as good as none for a pod lost without a stop.
    problems.integer("kubernetes.shipIntervalSeconds", options.shipIntervalSeconds, 1, 300);
    for (const problem of kubernetesOptionProblems(options)) problems.add(problem);
}

/**
 * Problems with the services' dependsOn: names no other service, or a cycle (nothing could start first).
 */
function dependencyProblems(services: Service[]): string[] {
    const problems: string[] = [];
    const names = new Set(services.map((s) => s.name));
    services.forEach((service, i) => {
        if (!Array.isArray(service.dependsOn)) return;
        for (const dependency of service.dependsOn) {
            if (dependency === service.name)
                problems.push(`services[${i}].dependsOn: ${shownValue(dependency)} is the service itself`);
            else if (!names.has(dependency)) {
                problems.push(
                    `services[${i}].dependsOn: no service ${shownValue(dependency)} (services: ${[...names].map(shownValue).join(", ")})`,
                );
            }
        }
    });
    const cycle = new DependencyGraph(
        services.map((s) => ({ name: s.name, dependsOn: Array.isArray(s.dependsOn) ? s.dependsOn : [] })),
    ).cycle();
    if (cycle !== undefined)
        problems.push(`services: dependsOn goes round in a circle (${cycle.join(" → ")}): nothing could start first`);
    return problems;
}

/**
 * Checks every plain input (given or defaulted: call it on resolveArgs' result); throws a CoverageSpyInputError
 * listing all problems. It only checks: defaults are applied by resolveArgs.
 */
export function validateStackArgs(args: CoverageSpyStackArgs): void {
    const problems = new Problems();
    if (!isPlainObject(args)) throw new CoverageSpyInputError(["arguments must be an object"]);
    problems.unknownKeys("args", args, optionNames(STACK_OPTIONS));
    problems.shapes("", args as unknown as Record<string, unknown>, STACK_OPTIONS);
    if (!Array.isArray(args.services) || args.services.length === 0) {
        problems.add("services: at least one service is required");
    } else {
        const names = new Map<string, number>();
        const urlVars = new Map<string, string>();
        const hostPorts = new Map<number, string>();
        args.services.forEach((service, i) => {
            const where = `services[${i}]`;
            validateService(service, where, problems, hostPorts);
            if (typeof service?.name !== "string") return;
            const earlier = names.get(service.name);
            if (earlier !== undefined)
                problems.add(`${where}.name ${shownValue(service.name)} is already used by services[${earlier}]`);
            names.set(service.name, i);
            const urlVar = serviceUrlEnvName(service.name);
            const clash = urlVars.get(urlVar);
            if (clash !== undefined && clash !== service.name)
                problems.add(
                    `${where}.name ${shownValue(service.name)} and ${shownValue(clash)} both give the test variable ${shownText(urlVar)}`,
                );
            urlVars.set(urlVar, service.name);
        });
    }
    if (typeof args.testCommand !== "string" || args.testCommand.trim() === "") {
        problems.add("testCommand must be a non-empty shell command");
    }
    problems.absolutePath("testWorkingDir", args.testWorkingDir, true);
    problems.stringMap("testEnv", args.testEnv, true);
    const testPythonPath = isPlainObject(args.testEnv) ? args.testEnv.PYTHONPATH : undefined;
    if (testPythonPath !== undefined && typeof testPythonPath !== "string")
        problems.add("testEnv.PYTHONPATH must be a plain string: coverage-spy puts its test runner's folder before it");
    for (const problem of envSizeProblems("testEnv", args.testEnv, "the test command")) problems.add(problem);
    problems.integer("testTimeoutSeconds", args.testTimeoutSeconds, 1, 86400);
    problems.integer("keepRuns", args.keepRuns, 1, 1000);
    const services = Array.isArray(args.services) ? args.services.filter(isPlainObject) : [];
    if (services.length > 0 && services.every((s) => s.instrument === false)) {
        problems.add("services: none is measured (every one has instrument: false)");
    }
    for (const problem of dependencyProblems(services)) problems.add(problem);
    const measuredNames = services
        .filter((s) => s.instrument !== false)
        .map((s) => s.name)
        .filter((n): n is string => typeof n === "string");
    for (const problem of validateGates(args, measuredNames)) problems.add(problem);
    if (args.maxDrop !== undefined && args.baseStack === undefined)
        problems.add("maxDrop needs baseStack: the stack whose coverage it compares with");
    if (args.baseStack !== undefined && (typeof args.baseStack !== "string" || !STACK_REF.test(args.baseStack))) {
        problems.add(
            `baseStack ${shownValue(args.baseStack)} must be a stack name ("main") or "organization/project/stack"`,
        );
    }
    const patchBase = patchBaseProblem("patchBase", args.patchBase);
    if (args.patchBase !== undefined && patchBase !== undefined) problems.add(patchBase);
    problems.boolean("failOnTestFailure", args.failOnTestFailure);
    problems.boolean("perTestContexts", args.perTestContexts);
    problems.boolean("remoteEngine", args.remoteEngine);
    if (args.remoteEngine === true)
        services.forEach((service, i) => {
            const port = service.readinessTcpPort;
            const ports = Array.isArray(service.ports) ? (service.ports as Array<{ internal?: unknown }>) : [];
            if (port !== undefined && !ports.some((p) => p.internal === port))
                problems.add(
                    `services[${i}].readinessTcpPort ${String(port)}: on a remote engine the port is probed where it is published; add it to ports`,
                );
        });
    if (
        args.serviceHost !== undefined &&
        (typeof args.serviceHost !== "string" || !SERVICE_HOST.test(args.serviceHost))
    )
        problems.add(
            `serviceHost ${shownValue(args.serviceHost)} must be a host name or an IPv4 address (no scheme, port or path)`,
        );
    problems.oneOf("lostProcesses", args.lostProcesses, LOST_PROCESS_POLICIES);
    validateCoverage(args.coverage, problems);
    validateKubernetes(args.kubernetes, problems);
    problems.absolutePath("reportDir", args.reportDir, false);
    problems.absolutePath("assetsDir", args.assetsDir, true);
    for (const key of ["spyBaseImage", "spyImage"] as const) {
        const image = args[key];
        if (image !== undefined && (typeof image !== "string" || !IMAGE_REFERENCE.test(image)))
            problems.add(
                `${key} ${shownValue(image)} must be an image name such as python:3.13-slim or registry.example/team/spy:1`,
            );
    }
    if (args.spyImage === undefined && typeof args.assetsDir === "string" && fs.existsSync(args.assetsDir)) {
        const dockerfile = path.join(args.assetsDir, SPY_DOCKERFILE);
        if (!fs.existsSync(dockerfile))
            problems.add(
                `assetsDir ${args.assetsDir} has no ${SPY_DOCKERFILE}, from which the spy image is built: ` +
                    "give a copy of this package's coverage-spy/ folder, or a ready image with spyImage",
            );
    }
    if (args.runId !== undefined && (typeof args.runId !== "string" || !RUN_ID.test(args.runId))) {
        problems.add(`runId ${shownValue(args.runId)} must be 1–64 letters, digits, "_", ".", "-"`);
    }
    if (problems.list.length > 0) throw new CoverageSpyInputError(problems.list);
}
