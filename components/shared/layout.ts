import * as path from "path";

/**
 * Where coverage-spy puts things inside containers. Everything lives under /opt/coverage-spy,
 * a path no production image uses, so nothing of the image is shadowed.
 */
export const SPY_ROOT = "/opt/coverage-spy";
/** The repo's coverage-spy/ folder, read-only. */
export const ASSETS_DIR = `${SPY_ROOT}/assets`;
/** Holds sitecustomize.py; first on PYTHONPATH. */
export const SITE_DIR = `${ASSETS_DIR}/site`;
/** coverage.py itself, mounted read-only: the image needs none. */
export const LIB_DIR = `${SPY_ROOT}/lib`;
/** The generated .coveragerc, read-only. */
export const CONFIG_DIR = `${SPY_ROOT}/config`;
export const RCFILE = `${CONFIG_DIR}/coveragerc`;
/** The coverage-data volume. */
export const DATA_DIR = `${SPY_ROOT}/data`;
/** The host report folder, in the harvester only. */
export const REPORTS_DIR = `${SPY_ROOT}/reports`;
/** A remote engine's harvester writes the reports here, in its own filesystem, to be copied out. */
export const ENGINE_REPORTS_DIR = "/tmp/coverage-spy-reports";
/** The harvester's entry script. */
export const HARVEST_SCRIPT = `${ASSETS_DIR}/harvest.py`;
/** The per-test contexts relay's script, and the port it listens on inside its container. */
export const CONTEXT_RELAY_SCRIPT = `${ASSETS_DIR}/contexts_relay.py`;
export const CONTEXT_RELAY_PORT = 7611;

/**
 * The relay's command line for a run, on every engine; `podsPort`: where the pods' sidecars connect, on a cluster
 * (on Docker the relay reaches the processes through the data volume).
 */
export function contextRelayCommand(runId: string, podsPort?: number): string[] {
    return [
        "python3",
        CONTEXT_RELAY_SCRIPT,
        "--data-dir",
        DATA_DIR,
        "--run-id",
        runId,
        "--port",
        String(CONTEXT_RELAY_PORT),
        ...(podsPort !== undefined ? ["--pods-port", String(podsPort)] : []),
    ];
}
/**
 * The spy image's Dockerfile, relative to the assets folder (the image's build context): the options check that a
 * given assetsDir has it, the image is built from it.
 */
export const SPY_DOCKERFILE = path.join("image", "Dockerfile");
/** The runner side of per-test contexts (pytest plugin, unittest entry, command), in the host's assets folder. */
export const RUNNER_FOLDER = "runner";

/** Data files of one run: one folder per run, one sub-folder per service. */
export function runDataDir(runId: string): string {
    return `${DATA_DIR}/runs/${runId}`;
}

export function serviceDataFile(runId: string, service: string): string {
    return `${runDataDir(runId)}/${service}/.coverage`;
}

/** The spy's variables whose value changes with each run (the data file's path holds the run id). */
export function spyRunEnvironment(runId: string, service: string): Record<string, string> {
    return { COVERAGE_FILE: serviceDataFile(runId, service) };
}
