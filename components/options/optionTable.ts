import {
    CoverageOptions,
    CoverageSpyStackArgs,
    KubernetesOptions,
    Service,
    ServiceHealthcheck,
    ServiceMount,
    ServicePort,
} from "./args";
import { LOCAL_SERVICE_HOST } from "../shared/engineAddress";

/**
 * The shape of an option's value, as stack config (YAML) holds it. "path" is a host path: absolute, or in
 * stack config relative to the project folder. "integer" is a whole number (a port, a count, whole seconds):
 * TypeScript has only number, so the schema other languages get says integer from here.
 */
export type OptionKind = "string" | "path" | "number" | "integer" | "boolean" | "list" | "map" | "object";

/** One option: its shape and its default, if it has one. */
export interface OptionSpec<V> {
    kind: OptionKind;
    /** The option must be given. */
    required?: true;
    /** Applied by resolveArgs when the option is not given. */
    default?: V;
    /** A default that depends on where the program runs (resolveArgs computes it); the words say what it is. */
    computedDefault?: string;
    /** The value may also be a Pulumi Output or a Promise of its kind (an image built in the same program). */
    deferred?: true;
}

/**
 * Exactly the keys of T, each with a spec for T's own value type: the compiler rejects a forgotten key,
 * an invented one, and a default of the wrong type.
 */
export type OptionTable<T> = { readonly [K in keyof T]-?: OptionSpec<Exclude<T[K], undefined>> };

/** The keys of a table that have a default (written or computed): resolveArgs always sets them. */
export type DefaultedKey<Table> = {
    [K in keyof Table]: Table[K] extends { default: unknown } | { computedDefault: string } ? K : never;
}[keyof Table];

/** T with every defaulted option of its table set. */
export type Resolved<T, Table> = Omit<T, DefaultedKey<Table> & keyof T> & {
    [K in DefaultedKey<Table> & keyof T]-?: Exclude<T[K], undefined>;
};

/** `ServicePort`. */
export const PORT_OPTIONS = {
    internal: { kind: "integer", required: true },
    // No default: Docker chooses a free host port.
    external: { kind: "integer" },
} satisfies OptionTable<ServicePort>;

/** `ServiceMount`. */
export const MOUNT_OPTIONS = {
    source: { kind: "string", required: true },
    target: { kind: "string", required: true },
    type: { kind: "string", default: "bind" },
    readOnly: { kind: "boolean", default: false },
} satisfies OptionTable<ServiceMount>;

/** `ServiceHealthcheck`. */
export const HEALTHCHECK_OPTIONS = {
    test: { kind: "list", required: true },
    interval: { kind: "string", default: "2s" },
    timeout: { kind: "string", default: "2s" },
    retries: { kind: "integer", default: 30 },
    startPeriod: { kind: "string", default: "0s" },
} satisfies OptionTable<ServiceHealthcheck>;

/** `Service`. */
export const SERVICE_OPTIONS = {
    name: { kind: "string", required: true },
    image: { kind: "string", required: true, deferred: true },
    command: { kind: "list" },
    entrypoint: { kind: "list" },
    env: { kind: "map", default: {} },
    ports: { kind: "list", default: [] },
    // Required for measured services only: validation checks it.
    sourcePath: { kind: "string" },
    instrument: { kind: "boolean", default: true },
    dependsOn: { kind: "list", default: [] },
    hostSourcePath: { kind: "path" },
    mounts: { kind: "list", default: [] },
    user: { kind: "string" },
    workingDir: { kind: "string" },
    healthcheck: { kind: "object" },
    readinessPath: { kind: "string", default: "/" },
    readinessTcpPort: { kind: "integer" },
    readinessTimeoutSeconds: { kind: "integer", default: 60 },
    // No default here: the cluster's is SERVICE_REPLICAS; a Docker engine runs one container.
    replicas: { kind: "integer" },
    stopGraceSeconds: { kind: "integer", default: 30 },
    stopSignal: { kind: "string", default: "SIGTERM" },
    // No default here: the component reads the image's own when it inspects the image.
    imagePythonPath: { kind: "string" },
} satisfies OptionTable<Service>;

/** `CoverageOptions`: the generated `.coveragerc` and the spy's own `[coverage_spy]` section. */
export const COVERAGE_OPTIONS = {
    source: { kind: "list", default: [] },
    omit: { kind: "list", default: [] },
    branch: { kind: "boolean", default: false },
    concurrency: { kind: "list", default: [] },
    excludeLines: { kind: "list", default: [] },
    paths: { kind: "map", default: {} },
    core: { kind: "string", default: "auto" },
    // The exit paths that would otherwise lose a process's data. Not "fork": it restarts measurement in the
    // child, which then misses the rest of the frame that called fork() (measured on the demo's pre-fork
    // server: the worker's `serve(); sys.exit()` lines). Without it the child keeps the parent's tracer and
    // still saves its own data file under its own pid.
    patch: { kind: "list", default: ["_exit", "execv", "subprocess"] },
    saveIntervalSeconds: { kind: "number", default: 5 },
    snapshotSignal: { kind: "string", default: "SIGRTMIN+4" },
    resetSignal: { kind: "string", default: "SIGRTMIN+5" },
} satisfies OptionTable<CoverageOptions>;

/** `KubernetesOptions`: the cluster the services run on. */
export const KUBERNETES_OPTIONS = {
    // A path or the kubeconfig's text: not a "path" option, which stack config would resolve as one.
    kubeconfig: { kind: "string" },
    context: { kind: "string" },
    // No default here: the stack's own namespace, computed from the project and stack names when the run is planned.
    namespace: { kind: "string" },
    dataClaimSize: { kind: "string", default: "1Gi" },
    // No default: the cluster's default StorageClass.
    storageClass: { kind: "string" },
    shipIntervalSeconds: { kind: "integer", default: 5 },
} satisfies OptionTable<KubernetesOptions>;

/** `CoverageSpyStackArgs`: the component's arguments, which are also the stack config keys. */
export const STACK_OPTIONS = {
    services: { kind: "list", required: true },
    testCommand: { kind: "string", required: true },
    testWorkingDir: { kind: "path", computedDefault: "the Pulumi project folder (holding Pulumi.yaml)" },
    testEnv: { kind: "map", default: {} },
    testTimeoutSeconds: { kind: "integer", default: 1800 },
    failOnTestFailure: { kind: "boolean", default: true },
    failUnder: { kind: "number" },
    failUnderPatch: { kind: "number" },
    failUnderPerService: { kind: "map" },
    maxDrop: { kind: "number" },
    baseStack: { kind: "string" },
    patchBase: {
        kind: "string",
        computedDefault: "the merge-base of HEAD with the remote's default branch (origin/HEAD), else with main",
    },
    coverage: { kind: "object", default: {} },
    reportDir: { kind: "path", computedDefault: "<project folder>/reports/<stack>" },
    assetsDir: { kind: "path", computedDefault: "this library's coverage-spy/ folder" },
    spyBaseImage: { kind: "string", default: "python:3.13-slim" },
    spyImage: { kind: "string" },
    runId: { kind: "string", computedDefault: "a fresh id per program run" },
    lostProcesses: { kind: "string", default: "warn" },
    keepRuns: { kind: "integer", default: 5 },
    perTestContexts: { kind: "boolean", default: false },
    remoteEngine: {
        kind: "boolean",
        computedDefault: "true when docker:host or DOCKER_HOST names a tcp://, ssh:// or http(s):// engine",
    },
    serviceHost: { kind: "string", default: LOCAL_SERVICE_HOST },
    // Not given: Docker, unless the component was given a kubernetes provider.
    kubernetes: { kind: "object" },
} satisfies OptionTable<CoverageSpyStackArgs>;

/** The names of a table's options, for unknown-key checks and messages. */
export function optionNames(table: object): string[] {
    return Object.keys(table);
}

/** The options of a table that are host paths. */
export function pathOptions<T extends Record<string, OptionSpec<unknown>>>(table: T): Array<keyof T & string> {
    return Object.entries(table)
        .filter(([, spec]) => spec.kind === "path")
        .map(([key]) => key);
}
