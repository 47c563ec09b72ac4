import * as crypto from "crypto";

/** Prefix of every Docker object coverage-spy creates, so they are easy to find and never clash with the user's. */
export const OBJECT_PREFIX = "coverage-spy";

/** Label keys set on every container, volume and network; tests and cleanup filter on them. */
export const LABEL_PROJECT = "coverage-spy.project";
export const LABEL_STACK = "coverage-spy.stack";
export const LABEL_RUN_ID = "coverage-spy.run-id";
export const LABEL_ROLE = "coverage-spy.role";
/** On service containers: what a snapshot needs to find the service's data and write a report. */
export const LABEL_SERVICE = "coverage-spy.service";
export const LABEL_SOURCE_PATH = "coverage-spy.source-path";
/** "true" on measured services, "false" on those they need (instrument: false). */
export const LABEL_MEASURED = "coverage-spy.measured";
export const LABEL_REPORT_DIR = "coverage-spy.report-dir";
export const LABEL_HARVESTER_IMAGE = "coverage-spy.harvester-image";
/** "true" on the services of a stack whose engine cannot see this machine's folders (remoteEngine). */
export const LABEL_REMOTE_ENGINE = "coverage-spy.remote-engine";

/** coverage-spy's own containers, named like services (stackObjectName): no service may take these names. */
export const PREPARE_CONTAINER = "prepare";
export const HARVESTER_CONTAINER = "harvester";
/** The per-test contexts relay; also a service of the test run, so its URL is COVERAGE_SPY_CONTEXTS_URL. */
export const CONTEXT_RELAY_CONTAINER = "contexts";
/** Fills the stack's spy volume from the spy image (components/engine/spyVolume.ts). */
export const SPY_INSTALL_CONTAINER = "spy-install";
export const OWN_CONTAINERS = [
    PREPARE_CONTAINER,
    HARVESTER_CONTAINER,
    CONTEXT_RELAY_CONTAINER,
    SPY_INSTALL_CONTAINER,
] as const;

/** Environment variable that carries a service's URL to the test command, e.g. COVERAGE_SPY_API_URL. */
export function serviceUrlEnvName(serviceName: string): string {
    return `COVERAGE_SPY_${serviceName.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_URL`;
}

/** Docker object names carry the stack, so two stacks share no object. */
export function stackObjectName(stack: string, suffix: string): string {
    return `${OBJECT_PREFIX}-${stack}-${suffix}`;
}

/** A fresh, sortable run id: UTC time plus randomness, e.g. 20261124T120102Z-3f9a1c. */
export function newRunId(now: Date = new Date()): string {
    const stamp = now
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d+Z$/, "Z");
    return `${stamp}-${crypto.randomBytes(3).toString("hex")}`;
}

/** Docker labels in the provider's list form. */
export function toLabelList(labels: Record<string, string>): Array<{ label: string; value: string }> {
    return Object.entries(labels).map(([label, value]) => ({ label, value }));
}
