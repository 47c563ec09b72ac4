import * as path from "path";
import {
    CoverageOptions,
    CoverageSpyStackArgs,
    KubernetesOptions,
    Service,
    ServiceHealthcheck,
    ServiceMount,
} from "./args";
import {
    COVERAGE_OPTIONS,
    HEALTHCHECK_OPTIONS,
    KUBERNETES_OPTIONS,
    MOUNT_OPTIONS,
    OptionSpec,
    Resolved,
    SERVICE_OPTIONS,
    STACK_OPTIONS,
} from "./optionTable";
import { isRemoteDockerHost } from "../shared/engineAddress";
import { MAIN_BRANCH } from "./patchOptions";

export type ResolvedMount = Resolved<ServiceMount, typeof MOUNT_OPTIONS>;
export type ResolvedHealthcheck = Resolved<ServiceHealthcheck, typeof HEALTHCHECK_OPTIONS>;
export type ResolvedCoverageOptions = Resolved<CoverageOptions, typeof COVERAGE_OPTIONS>;
export type ResolvedKubernetesOptions = Resolved<KubernetesOptions, typeof KUBERNETES_OPTIONS>;

/** A service with every default applied and its sourcePath normalised (no trailing "/"). */
export type ResolvedService = Omit<Resolved<Service, typeof SERVICE_OPTIONS>, "mounts" | "healthcheck"> & {
    mounts: ResolvedMount[];
    healthcheck?: ResolvedHealthcheck;
};

/** A measured service (instrument: true): validation made sure its sourcePath is set. */
export type MeasuredService = ResolvedService & { sourcePath: string };

/** The services that are measured, in their order. */
export function measuredServices(services: ResolvedService[]): MeasuredService[] {
    return services.filter((s): s is MeasuredService => s.instrument);
}

/** The component's arguments with every default applied: what its parts are built from. */
export type ResolvedStackArgs = Omit<Resolved<CoverageSpyStackArgs, typeof STACK_OPTIONS>, "services" | "coverage"> & {
    services: ResolvedService[];
    coverage: ResolvedCoverageOptions;
};

/** Where the program runs: what the computed defaults depend on. */
export interface ResolveContext {
    stack: string;
    /** The Pulumi project folder (holding Pulumi.yaml). */
    projectDir: string;
    /** This library's coverage-spy/ folder; looked up only when assetsDir is not given. */
    defaultAssetsDir: () => string;
    /** The default docker provider's host (its `docker:host` config, else $DOCKER_HOST): the remoteEngine default. */
    defaultDockerHost: string | undefined;
    /** A fresh run id; made only when runId is not given. */
    newRunId: () => string;
    /** The command's --patch-base (PATCH_BASE_ENV), which overrides patchBase. */
    patchBaseFromCommand?: string;
    /** The patchBase default: the remote's default branch of the project's checkout. Not given: MAIN_BRANCH. */
    defaultPatchBase?: () => string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A copy of `value` with the table's written defaults set where an option is not given. Anything that is
 * not an object is returned as it is, for validation to name.
 */
function withDefaults<T>(value: T, table: Record<string, OptionSpec<unknown>>): T {
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = { ...value };
    for (const [key, spec] of Object.entries(table)) {
        // A copy, so no caller can change the table's default through a resolved argument. Defaults are JSON
        // values; JSON also keeps arrays of this realm (structuredClone's are not `instanceof Array` under jest).
        if (out[key] === undefined && spec.default !== undefined) out[key] = JSON.parse(JSON.stringify(spec.default));
    }
    return out as T;
}

/** "/app/" and "/app" measure the same folder; data files, labels and reports use the one without "/". */
export function normaliseSourcePath(sourcePath: string): string {
    return sourcePath.replace(/\/+$/, "") || "/";
}

function resolveService(raw: Service): ResolvedService {
    const service = withDefaults(raw, SERVICE_OPTIONS) as ResolvedService;
    if (!isPlainObject(service)) return service;
    if (typeof service.sourcePath === "string") service.sourcePath = normaliseSourcePath(service.sourcePath);
    if (Array.isArray(service.mounts)) service.mounts = service.mounts.map((m) => withDefaults(m, MOUNT_OPTIONS));
    if (service.healthcheck !== undefined) service.healthcheck = withDefaults(service.healthcheck, HEALTHCHECK_OPTIONS);
    return service;
}

/** coverage options with every default applied (also what the generated `.coveragerc` is written from). */
export function resolveCoverageOptions(options: CoverageOptions | undefined): ResolvedCoverageOptions {
    return withDefaults(options ?? {}, COVERAGE_OPTIONS) as ResolvedCoverageOptions;
}

/**
 * The cluster's options with every default applied. Not part of resolveArgs: whether the option is given at all
 * chooses the engine (a run on a cluster given a kubernetes provider takes the defaults).
 */
export function resolveKubernetesOptions(options: KubernetesOptions | undefined): ResolvedKubernetesOptions {
    return withDefaults(options ?? {}, KUBERNETES_OPTIONS) as ResolvedKubernetesOptions;
}

/**
 * Applies every default and normalisation, once: the written defaults of the option table, and the
 * defaults that depend on where the program runs. Input it cannot make sense of is passed on unchanged for
 * validateStackArgs to name; call that on the result before using it.
 */
export function resolveArgs(args: CoverageSpyStackArgs, context: ResolveContext): ResolvedStackArgs {
    const resolved = withDefaults(args, STACK_OPTIONS) as ResolvedStackArgs;
    if (!isPlainObject(resolved)) return resolved;
    if (Array.isArray(args.services)) resolved.services = args.services.map(resolveService);
    resolved.coverage = resolveCoverageOptions(resolved.coverage);
    resolved.testWorkingDir ??= context.projectDir;
    resolved.reportDir ??= path.join(context.projectDir, "reports", context.stack);
    resolved.assetsDir ??= context.defaultAssetsDir();
    resolved.runId ??= context.newRunId();
    resolved.remoteEngine ??= isRemoteDockerHost(context.defaultDockerHost);
    resolved.patchBase =
        context.patchBaseFromCommand ?? resolved.patchBase ?? context.defaultPatchBase?.() ?? MAIN_BRANCH;
    return resolved;
}
