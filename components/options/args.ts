import * as pulumi from "@pulumi/pulumi";
import { ConcurrencyMode, CoreChoice, LostProcessPolicy, MountType, Patch } from "./choices";

export { CoverageCore } from "./choices";

// The types of the arguments are named without an "Args" suffix: the Python SDK Pulumi generates from them for the
// plugin package (plugin/) adds one to every input type (`Service` becomes `ServiceArgs`).

/** A port the service listens on inside its container, published on 127.0.0.1 only. */
export interface ServicePort {
    /** Port inside the container. */
    internal: number;
    /** Host port on 127.0.0.1. Default: a free port chosen by Docker. */
    external?: number;
}

/** An extra mount for an instrumented service (its own data, config, sockets...). */
export interface ServiceMount {
    /** Host path (bind) or volume name (volume). */
    source: string;
    /** Absolute path inside the container. */
    target: string;
    /** Default: "bind". */
    type?: MountType;
    /** Default: false. */
    readOnly?: boolean;
}

/** A Docker healthcheck; when set, readiness waits for the container to be healthy. */
export interface ServiceHealthcheck {
    /** e.g. ["CMD", "python3", "-c", "..."] or ["CMD-SHELL", "curl -f http://localhost/"]. */
    test: string[];
    /** Default: "2s". */
    interval?: string;
    /** Default: "2s". */
    timeout?: string;
    /** Default: 30. */
    retries?: number;
    /** Default: "0s". */
    startPeriod?: string;
}

/**
 * One service of the stack: a Python service to measure, or one it needs (a database, a cache, a broker) with
 * `instrument: false`. Its image is used as it is: nothing is installed in it. Services reach each other on the
 * stack's network by their names.
 */
export interface Service {
    /** Service name: letters, digits, `_`, `.`, `-`; starts with a letter or digit. Names the container. */
    name: string;
    /** Local image name or ID, unchanged (the production image). */
    image: pulumi.Input<string>;
    /** Overrides the image's CMD. */
    command?: string[];
    /** Overrides the image's ENTRYPOINT. */
    entrypoint?: string[];
    /**
     * Extra environment. A PYTHONPATH here replaces the image's own before the spy prepends its folders. A value may
     * be a Pulumi secret (`pulumi.secret(...)`, or stack config `secretEnv`): it reaches the container and stays a
     * secret in the state, and coverage-spy writes it nowhere else.
     */
    env?: Record<string, pulumi.Input<string>>;
    /** Ports to publish on 127.0.0.1. The first one is the service's URL given to the tests. */
    ports?: ServicePort[];
    /** Absolute path of the service's Python source inside the container: what is measured. Required when measured. */
    sourcePath?: string;
    /**
     * Whether the service is measured. false: a service the measured ones need (a database, a cache, a broker):
     * same network, names, readiness and graceful stop, but no spy environment or mounts, nothing harvested, not
     * in the coverage totals. Default: true.
     */
    instrument?: boolean;
    /**
     * Services that must be ready before this one starts (their healthcheck healthy, HTTP probe answered or TCP
     * port open), by name. At the end of the run this one stops before them.
     */
    dependsOn?: string[];
    /** The same source in the host checkout: reports name files there too. Absolute, must exist. */
    hostSourcePath?: string;
    /** Extra mounts. */
    mounts?: ServiceMount[];
    /** User (name or uid[:gid]) to run as. Default: the image's. */
    user?: string;
    /** Working directory inside the container. Default: the image's. */
    workingDir?: string;
    /** Docker healthcheck; readiness waits for "healthy". */
    healthcheck?: ServiceHealthcheck;
    /** HTTP path probed on the first published port when no healthcheck or TCP port is given. Default: "/". */
    readinessPath?: string;
    /**
     * A port inside the container that accepts TCP connections once the service is ready, probed on the stack's
     * network (for services without a published port or an HTTP endpoint, e.g. a database without a healthcheck).
     */
    readinessTcpPort?: number;
    /** Seconds to wait for readiness. Default: 60. */
    readinessTimeoutSeconds?: number;
    /**
     * On a Kubernetes cluster, the pods the service's Deployment runs, spread over the nodes (1 for an app that must
     * run alone, e.g. one that migrates its database at start). A Docker engine runs one container per service: there
     * only 1 is accepted. Default on a cluster: 2 for a measured service, 1 for one with `instrument: false`.
     */
    replicas?: number;
    /**
     * Seconds a graceful stop may take before Docker kills the service (coverage data is saved on SIGTERM). Default:
     * 30.
     */
    stopGraceSeconds?: number;
    /** Signal for a graceful stop. Default: "SIGTERM". */
    stopSignal?: string;
    /** The image's own PYTHONPATH, kept after the spy's folders. Default: read from the local image at preview. */
    imagePythonPath?: string;
}

/** Typed options written into the generated `.coveragerc`. */
export interface CoverageOptions {
    /**
     * `[run] source`: extra packages or container paths to measure. Every service's `sourcePath` is always included.
     */
    source?: string[];
    /** `[run] omit` / `[report] omit` file patterns. */
    omit?: string[];
    /** `[run] branch`. Default: false. */
    branch?: boolean;
    /** `[run] concurrency`, e.g. ["thread", "multiprocessing"]. Default: coverage.py's ("thread"). */
    concurrency?: ConcurrencyMode[];
    /** `[report] exclude_also` regexes (added to coverage.py's defaults). */
    excludeLines?: string[];
    /** `[paths]` groups: name → [canonical path, other paths...]. */
    paths?: Record<string, string[]>;
    /**
     * Measurement core. "auto": `sysmon` on Python 3.12+ where it can measure what is asked (branches only from
     * 3.14; not with dynamic contexts or greenlet/eventlet/gevent), coverage.py's default (`ctrace`) elsewhere.
     * Default: "auto".
     */
    core?: CoreChoice;
    /**
     * Seconds between background saves in every measured process, so a process killed by SIGKILL or the OOM
     * killer loses at most this last slice. 0 turns them off (a killed process then loses everything). Default: 5.
     */
    saveIntervalSeconds?: number;
    /**
     * Signal that makes every measured process save now and run on (snapshots). "off" disables. Default: "SIGRTMIN+4".
     */
    snapshotSignal?: string;
    /**
     * Signal that makes every measured process discard what it collected and run on (reset). "off" disables. Default:
     * "SIGRTMIN+5".
     */
    resetSignal?: string;
    /**
     * `[run] patch`. Default: ["_exit", "execv", "subprocess"] ("fork" loses the forking frame's remaining lines in the
     * child).
     */
    patch?: Patch[];
}

/**
 * The Kubernetes cluster the services run on, named in the component's arguments or stack config (`kubernetes`), for
 * programs that declare no `kubernetes.Provider` themselves (Python, YAML, `npx coverage-spy up`).
 */
export interface KubernetesOptions {
    /**
     * The kubeconfig: a file's path (absolute; in stack config also relative to the project folder), or the
     * kubeconfig's text itself (a secret, say). Default: kubectl's own (KUBECONFIG, else ~/.kube/config).
     */
    kubeconfig?: string;
    /** The kubeconfig's context that names the cluster. Default: the kubeconfig's current context. */
    context?: string;
    /**
     * The namespace the stack's objects go in, a DNS label (lower-case letters, digits, `-`; at most 63). The stack
     * creates it and deletes it with everything in it: name one nothing else uses. Default:
     * `coverage-spy-<project>-<stack>`.
     */
    namespace?: string;
    /**
     * The size of the stack's data claim, which holds the data files and reports of the runs kept (`keepRuns`), as a
     * Kubernetes quantity ("1Gi", "500Mi"). A claim that fills up loses the data the pods send next. Default: "1Gi".
     */
    dataClaimSize?: string;
    /**
     * The StorageClass of the data claim (`kubectl get storageclass` lists the cluster's). Default: the cluster's
     * default StorageClass; a cluster without one needs this, or the claim never binds and the run waits for it.
     */
    storageClass?: string;
    /**
     * Seconds between two rounds of each measured pod's shipper, which sends the data its processes saved to the
     * collector (and once more when the pod stops): what a pod lost without a stop (its node gone) loses at most.
     * Default: 5.
     */
    shipIntervalSeconds?: number;
}

/** Arguments of {@link CoverageSpyStack}. */
export interface CoverageSpyStackArgs {
    /** The services to measure (at least one). */
    services: Service[];
    /**
     * Shell command that runs the test suite on the host. Gets `COVERAGE_SPY_<SERVICE>_URL` for every service with a
     * port.
     */
    testCommand: string;
    /** Working directory of the test command. Default: the Pulumi project folder (the one holding Pulumi.yaml). */
    testWorkingDir?: string;
    /**
     * Extra environment for the test command. A value may be another resource's output (a URL, a token) or a secret;
     * PYTHONPATH, which coverage-spy extends, must be a plain string.
     */
    testEnv?: Record<string, pulumi.Input<string>>;
    /** The test command is killed after this many seconds. Default: 1800. */
    testTimeoutSeconds?: number;
    /**
     * Fail the update when the test suite fails (coverage is still harvested and written first), as a CI job must
     * go red on red tests. Default: true; false keeps the update green whatever the suite's outcome.
     */
    failOnTestFailure?: boolean;
    /** Minimum total percentage (0–100). A run under it fails the update, after its outputs and reports are written. */
    failUnder?: number;
    /**
     * Minimum patch coverage (0–100): of the lines the checkout changed since `patchBase`, the share of statements
     * the suite executed. Fails the update like failUnder; not evaluated (a note says why) without a patch.
     */
    failUnderPatch?: number;
    /** Minimum percentage per service name; fails the update like failUnder. */
    failUnderPerService?: Record<string, number>;
    /** Largest allowed drop of the total, in percentage points, against `baseStack`'s coverage output. */
    maxDrop?: number;
    /**
     * A coverage stack to compare with (its `coverage` output, read through a StackReference): "main", or a
     * fully qualified "organization/coverage-spy/main". The delta goes into the Markdown summary; maxDrop uses it.
     */
    baseStack?: string;
    /**
     * The git ref the patch coverage compares the checkout with (the changes since the merge-base of HEAD with it,
     * uncommitted ones included): "main", "origin/main", a tag or a commit. The command's `--patch-base` overrides it.
     * Default: the remote's default branch (origin/HEAD), else "main".
     */
    patchBase?: string;
    /** coverage.py options for the generated `.coveragerc`. */
    coverage?: CoverageOptions;
    /**
     * Absolute host folder for reports. Default: `<project folder>/reports/<stack>`, whichever folder the program runs
     * from.
     */
    reportDir?: string;
    /** Absolute host folder of the spy's assets (`coverage-spy/`). Default: the one shipped with this library. */
    assetsDir?: string;
    /**
     * The image coverage-spy builds its spy image FROM, through the engine, the first time an engine lacks it: any
     * image with python3 3.11 or later, pip (or apt-get/apk to install it) and a Python package index pip can reach
     * (PIP_INDEX_URL, PIP_CERT set in the image, if needed). The spy image holds the spy's files and coverage.py for
     * every service Python, and is the harvester; it is tagged `coverage-spy/spy:<hash of what goes in>`, so it is
     * built once per engine and coverage-spy version. Default: "python:3.13-slim".
     */
    spyBaseImage?: string;
    /**
     * A ready spy image (from your registry, say, built from this package's coverage-spy/image/Dockerfile):
     * used as it is, nothing built; the engine must hold it, coverage-spy pulls no image. Default: none (build one
     * from spyBaseImage).
     */
    spyImage?: string;
    /** Identifies this run; a new value re-runs tests and harvest. Default: a fresh id per program run. */
    runId?: string;
    /**
     * A process that started measuring but saved no data: "warn" (listed in the summary's lostProcesses) or "fail" the
     * harvest. Default: "warn".
     */
    lostProcesses?: LostProcessPolicy;
    /** Runs kept in the data volume and report folder. Default: 5. */
    keepRuns?: number;
    /**
     * Record which test ran each line: every measured process switches coverage.py's dynamic context when the test
     * runner says a test starts or ends (coverage-spy/runner: a pytest plugin, a unittest entry, a command, or two
     * HTTP calls). Reports show the contexts per line; the summary's `perTest` says what each test reached. Default:
     * false.
     */
    perTestContexts?: boolean;
    /**
     * The Docker engine cannot see this machine's folders (`DOCKER_HOST=tcp://…` or `ssh://…`, or a `docker.Provider`
     * with such a `host` in the component's `providers`): the spy's files reach services through a volume filled by a
     * one-shot container, the test run's results are uploaded to the harvester and the reports copied back. Default:
     * true when the default docker provider's engine (stack config `docker:host`, else DOCKER_HOST) is a tcp://,
     * ssh:// or http(s):// one.
     */
    remoteEngine?: boolean;
    /**
     * The address (host name or IPv4) at which the test run reaches the services' published ports. Any other value
     * than 127.0.0.1 or localhost publishes them on every interface of the engine's machine. Default: "127.0.0.1".
     */
    serviceHost?: string;
    /**
     * Runs the services on a Kubernetes cluster: setting it chooses the cluster, as a `kubernetes.Provider` in the
     * component's `providers` does. Without such a provider the component makes its own from these options; with one,
     * kubeconfig and context must name the provider's cluster: kubectl, which the run also uses, reaches it with
     * them. Default: none (Docker, unless a kubernetes provider is given).
     */
    kubernetes?: KubernetesOptions;
}

/** @deprecated Renamed {@link Service}; this alias keeps programs written before compiling. */
export type ServiceArgs = Service;
/** @deprecated Renamed {@link ServicePort}; this alias keeps programs written before compiling. */
export type ServicePortArgs = ServicePort;
/** @deprecated Renamed {@link ServiceMount}; this alias keeps programs written before compiling. */
export type ServiceMountArgs = ServiceMount;
/** @deprecated Renamed {@link ServiceHealthcheck}; this alias keeps programs written before compiling. */
export type ServiceHealthcheckArgs = ServiceHealthcheck;
