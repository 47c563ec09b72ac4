// The one description of a run the test run and the readiness wait read: built by the component (testRunScript.ts),
// carried in one environment variable as JSON, checked here before anything starts.
import * as path from "path";

/** The variable that carries the description; also what marks a process as part of a test run (cli/recovery). */
export const TEST_RUN_VARIABLE = "COVERAGE_SPY_TEST_RUN";

/** One service, as the test run waits for it, stops it and copies its source out. */
export interface ServiceDescription {
    /** The service's name, also its folder under sources/. */
    name: string;
    containerName: string;
    /** Container path of the measured source; none when the service is not measured. */
    sourcePath?: string;
    /** The service's URL (http://HOST:PORT), probed over HTTP; none without a published port. */
    url?: string;
    readinessPath: string;
    readinessTimeoutSeconds: number;
    /** A container port probed with a TCP connection (on a remote engine: its published port on remoteHost). */
    readinessTcpPort?: number;
    /** Wait for the Docker healthcheck to say healthy. */
    hasHealthcheck: boolean;
    /** Seconds `docker stop` waits before it kills the service. */
    stopGraceSeconds: number;
    /** Services stop wave by wave, 0 first: one stops before the services it depends on. */
    stopWave: number;
    /**
     * On the kubectl engine: the service's Deployment, in the engine's namespace; containerName is then its app
     * container's name in the pods.
     */
    deployment?: string;
}

/** The services run as Kubernetes Deployments, asked and stopped with kubectl. */
export interface KubectlEngineDescription {
    kind: "kubectl";
    /** The kubectl program; found on PATH when not given. */
    kubectl?: string;
    /**
     * The kubeconfig kubectl is given as its KUBECONFIG: an absolute path, or several joined by the system's list
     * separator (":", ";" on Windows) as KUBECONFIG takes them; kubectl's own default (KUBECONFIG, ~/.kube/config)
     * when not given.
     */
    kubeconfig?: string;
    /** The kubeconfig's context; its current context when not given. */
    context?: string;
    namespace: string;
}

/** The engine that runs the services: Docker (each service a container) when not given. */
export type EngineDescription = { kind: "docker" } | KubectlEngineDescription;

/**
 * What the run's summary reads its patch coverage with: not used by the test run, which hands it on to
 * `coverage-spy watch` (watchHold.ts), whose cycles' summaries read the patch coverage as the run's summary does.
 */
export interface PatchDescription {
    /** The git ref the checkout is compared with (the resolved patchBase). */
    base: string;
    /** The measured services, each with its source in the checkout when it names one. */
    services: Array<{ name: string; hostSourcePath?: string }>;
}

/** A whole test run. */
export interface RunDescription {
    /** Host folder of this run's results: tests.log, tests.json, sources/<service>, the pid file. */
    runDir: string;
    testWorkingDir: string;
    /** The user's test command, run by /bin/sh. */
    testCommand: string;
    /** Seconds after which the suite is stopped (exit code 124); 0 for no limit. */
    testTimeoutSeconds: number;
    /** Also pack tests.json and sources/ into this tar: a remote engine's harvester cannot see the run folder. */
    runTar?: string;
    /** A remote engine's address: its services' networks are out of reach, their published ports are not. */
    remoteHost?: string;
    /** The engine that runs the services; Docker when not given. */
    engine?: EngineDescription;
    services: ServiceDescription[];
    /**
     * What Node reads as it starts (NODE_EXTRA_CA_CERTS, NODE_OPTIONS) as the suite gets it, null for unset: the
     * runner's own Node starts with them empty (components/shared/runnerPath.ts), the user's suite as it would have.
     */
    suiteNodeVariables?: Record<string, string | null>;
    patch?: PatchDescription;
}

/** The description the readiness wait reads: one service. */
export interface ReadinessDescription {
    service: ServiceDescription;
    remoteHost?: string;
    engine?: EngineDescription;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Kubernetes' names: a DNS-1123 label (a namespace, a container) and subdomain (a Deployment). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isDnsLabel(value: string): boolean {
    return value.length <= 63 && DNS_LABEL.test(value);
}

function isDnsSubdomain(value: string): boolean {
    return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** Collects every problem of a description, each naming its field, so one error lists them all. */
class Checker {
    readonly problems: string[] = [];

    text(where: string, value: unknown, optional = false): void {
        if (optional && value === undefined) return;
        if (typeof value !== "string")
            this.problems.push(`${where} must be a string, got ${JSON.stringify(value) ?? "nothing"}`);
    }

    wholeNumber(where: string, value: unknown, optional = false): void {
        if (optional && value === undefined) return;
        if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
            this.problems.push(`${where} must be a whole number, got ${JSON.stringify(value) ?? "nothing"}`);
    }

    /** An object of strings or nulls (null: the variable is unset), or nothing. */
    variables(where: string, value: unknown): void {
        if (value === undefined) return;
        if (!isObject(value)) {
            this.problems.push(`${where} must be an object of strings or nulls, got ${JSON.stringify(value)}`);
            return;
        }
        for (const [name, v] of Object.entries(value))
            if (typeof v !== "string" && v !== null)
                this.problems.push(`${where}.${name} must be a string or null, got ${JSON.stringify(v) ?? "nothing"}`);
    }

    /** A patch description, or nothing. */
    patch(where: string, value: unknown): void {
        if (value === undefined) return;
        if (!isObject(value) || !Array.isArray(value.services)) {
            this.problems.push(`${where} must be {"base": ..., "services": [...]}, got ${JSON.stringify(value)}`);
            return;
        }
        this.text(`${where}.base`, value.base);
        value.services.forEach((s: unknown, i: number) => {
            const item = isObject(s) ? s : {};
            this.text(`${where}.services[${i}].name`, item.name);
            this.text(`${where}.services[${i}].hostSourcePath`, item.hostSourcePath, true);
        });
    }

    flag(where: string, value: unknown): void {
        if (typeof value !== "boolean")
            this.problems.push(`${where} must be true or false, got ${JSON.stringify(value) ?? "nothing"}`);
    }

    /** A string that is an absolute path, or nothing. */
    absolutePath(where: string, value: unknown): void {
        if (value === undefined) return;
        if (typeof value !== "string" || !value.startsWith("/"))
            this.problems.push(`${where} must be an absolute path, got ${JSON.stringify(value)}`);
    }

    /** KUBECONFIG's value: one absolute path, or several joined by the system's list separator; or nothing. */
    kubeconfigPaths(where: string, value: unknown): void {
        if (value === undefined) return;
        const paths = typeof value === "string" ? value.split(path.delimiter).filter((p) => p !== "") : [];
        if (typeof value !== "string" || paths.length < 2) {
            this.absolutePath(where, value);
            return;
        }
        for (const p of paths.filter((p) => !path.isAbsolute(p)))
            this.problems.push(
                `${where} must be absolute paths joined by "${path.delimiter}" (KUBECONFIG's list), got ` +
                    `${JSON.stringify(p)} in ${JSON.stringify(value)}`,
            );
    }

    /** The engine, or nothing (Docker); returns its kind as far as it is known. */
    engine(where: string, e: unknown): "docker" | "kubectl" | undefined {
        if (e === undefined) return "docker";
        if (!isObject(e) || (e.kind !== "docker" && e.kind !== "kubectl")) {
            this.problems.push(`${where} must be {"kind": "docker"} or {"kind": "kubectl", ...}`);
            return undefined;
        }
        if (e.kind === "docker") return "docker";
        this.absolutePath(`${where}.kubectl`, e.kubectl);
        this.kubeconfigPaths(`${where}.kubeconfig`, e.kubeconfig);
        this.text(`${where}.context`, e.context, true);
        if (e.context === "")
            this.problems.push(`${where}.context must not be empty (leave it out for the current one)`);
        this.text(`${where}.namespace`, e.namespace);
        if (typeof e.namespace === "string" && !isDnsLabel(e.namespace))
            this.problems.push(
                `${where}.namespace '${e.namespace}' is not a Kubernetes namespace name ` +
                    "(lower-case letters, digits and '-', at most 63)",
            );
        return "kubectl";
    }

    /** What a service needs on its engine: a Deployment and a container name on kubectl, neither on Docker. */
    serviceOnEngine(where: string, s: unknown, engine: "docker" | "kubectl" | undefined): void {
        if (!isObject(s) || engine === undefined) return;
        if (engine === "docker") {
            if (s.deployment !== undefined)
                this.problems.push(`${where}.deployment is for the kubectl engine only (the engine is Docker)`);
            return;
        }
        this.text(`${where}.deployment`, s.deployment);
        if (typeof s.deployment === "string" && !isDnsSubdomain(s.deployment))
            this.problems.push(`${where}.deployment '${s.deployment}' is not a Kubernetes Deployment name`);
        if (typeof s.containerName === "string" && !isDnsLabel(s.containerName))
            this.problems.push(
                `${where}.containerName '${s.containerName}' is not a Kubernetes container name ` +
                    "(lower-case letters, digits and '-', at most 63)",
            );
    }

    service(where: string, s: unknown): void {
        if (!isObject(s)) {
            this.problems.push(`${where} must be an object`);
            return;
        }
        this.text(`${where}.name`, s.name);
        // The name is a folder under sources/ that is removed before the copy: it must stay inside it.
        if (typeof s.name === "string" && (["", ".", ".."].includes(s.name) || s.name.includes("/")))
            this.problems.push(`${where}.name '${s.name}' cannot name a folder`);
        this.text(`${where}.containerName`, s.containerName);
        this.text(`${where}.sourcePath`, s.sourcePath, true);
        this.text(`${where}.url`, s.url, true);
        this.text(`${where}.readinessPath`, s.readinessPath);
        this.wholeNumber(`${where}.readinessTimeoutSeconds`, s.readinessTimeoutSeconds);
        this.wholeNumber(`${where}.readinessTcpPort`, s.readinessTcpPort, true);
        this.flag(`${where}.hasHealthcheck`, s.hasHealthcheck);
        this.wholeNumber(`${where}.stopGraceSeconds`, s.stopGraceSeconds);
        this.wholeNumber(`${where}.stopWave`, s.stopWave);
    }
}

function parsed(text: string | undefined): Json {
    if (text === undefined || text === "")
        throw new Error(`${TEST_RUN_VARIABLE} is not set: this program is run by coverage-spy's test-run command`);
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new Error(`${TEST_RUN_VARIABLE} is not JSON (${(err as Error).message})`);
    }
    if (!isObject(value)) throw new Error(`${TEST_RUN_VARIABLE} must hold a JSON object`);
    return value;
}

function refuse(problems: string[]): void {
    if (problems.length > 0) throw new Error(`${TEST_RUN_VARIABLE} is not a run description: ${problems.join("; ")}`);
}

/** The run the variable describes; throws naming every problem. */
export function readRunDescription(text: string | undefined): RunDescription {
    const run = parsed(text);
    const check = new Checker();
    check.text("runDir", run.runDir);
    check.text("testWorkingDir", run.testWorkingDir);
    check.text("testCommand", run.testCommand);
    check.wholeNumber("testTimeoutSeconds", run.testTimeoutSeconds);
    check.text("runTar", run.runTar, true);
    check.text("remoteHost", run.remoteHost, true);
    check.variables("suiteNodeVariables", run.suiteNodeVariables);
    check.patch("patch", run.patch);
    const engine = check.engine("engine", run.engine);
    if (!Array.isArray(run.services)) check.problems.push("services must be a list");
    else
        run.services.forEach((s: unknown, i: number) => {
            check.service(`services[${i}]`, s);
            check.serviceOnEngine(`services[${i}]`, s, engine);
        });
    refuse(check.problems);
    return run as unknown as RunDescription;
}

/** The one service the readiness wait describes; throws naming every problem. */
export function readReadinessDescription(text: string | undefined): ReadinessDescription {
    const wait = parsed(text);
    const check = new Checker();
    check.service("service", wait.service);
    check.serviceOnEngine("service", wait.service, check.engine("engine", wait.engine));
    check.text("remoteHost", wait.remoteHost, true);
    refuse(check.problems);
    return wait as unknown as ReadinessDescription;
}
