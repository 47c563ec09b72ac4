import * as fs from "fs";
import * as path from "path";

/** What the test-run script needs to know about one instrumented service. */
export interface ScriptService {
    name: string;
    containerName: string;
    /** Container path of the source, copied out after the stop so reports use exactly what ran; none if unmeasured. */
    sourcePath?: string;
    /** Env var holding the service URL (only for services with a port). */
    urlEnvName?: string;
    readinessPath: string;
    readinessTimeoutSeconds: number;
    /** A port inside the container probed with a TCP connection on the stack's network. */
    readinessTcpPort?: number;
    hasHealthcheck: boolean;
    stopGraceSeconds: number;
    /** Services stop wave by wave (0 first): one stops before the services it depends on. */
    stopWave: number;
}

export interface TestRunScriptInput {
    services: ScriptService[];
    /** Host folder of this run's results. */
    runDir: string;
    testWorkingDir: string;
    testTimeoutSeconds: number;
}

/** Name of the variable that carries the user's test command, so it needs no quoting in the script. */
export const TEST_COMMAND_ENV = "COVERAGE_SPY_TEST_COMMAND";

/** The test-run script's file name in the assets folder (coverage-spy/). */
export const TEST_RUN_SCRIPT = "test-run.sh";

/**
 * Absolute path of a script shipped in an assets folder (TEST_RUN_SCRIPT, WAIT_READY_SCRIPT). Throws when it is
 * not there, so a custom assetsDir without it fails at preview, not after the services started.
 */
export function assetScriptPath(assetsDir: string, script: string): string {
    const file = path.resolve(assetsDir, script);
    if (!fs.existsSync(file)) {
        const what = script.replace(/\.sh$/, "");
        throw new Error(
            `coverage-spy: the ${what} script ${file} does not exist (is assetsDir a copy of coverage-spy/?)`,
        );
    }
    return file;
}

/** One service's parameters (COVERAGE_SPY_SERVICE_<i>_*), as test-run.sh and wait-ready.sh read them. */
export function serviceParameters(s: ScriptService, i: number): Record<string, string> {
    const p = `COVERAGE_SPY_SERVICE_${i}_`;
    return {
        [`${p}NAME`]: s.name,
        [`${p}CONTAINER`]: s.containerName,
        [`${p}SOURCE_PATH`]: s.sourcePath ?? "",
        [`${p}URL_ENV`]: s.urlEnvName ?? "",
        [`${p}READINESS_PATH`]: s.readinessPath,
        [`${p}READINESS_TIMEOUT`]: String(s.readinessTimeoutSeconds),
        [`${p}READINESS_TCP_PORT`]: s.readinessTcpPort === undefined ? "" : String(s.readinessTcpPort),
        [`${p}HEALTHCHECK`]: s.hasHealthcheck ? "1" : "0",
        [`${p}STOP_GRACE`]: String(s.stopGraceSeconds),
        [`${p}STOP_WAVE`]: String(s.stopWave),
    };
}

/** The readiness wait's file name in the assets folder: waits until one service is ready. */
export const WAIT_READY_SCRIPT = "wait-ready.sh";

/**
 * The parameters of coverage-spy/test-run.sh, as environment variables (its header documents them).
 * Values travel only through the environment, never through shell text, so none needs quoting and no
 * name or path can run as a command. The test command itself goes in TEST_COMMAND_ENV, set by the caller.
 */
export function testRunEnvironment(input: TestRunScriptInput): Record<string, string> {
    const env: Record<string, string> = {
        COVERAGE_SPY_RUN_DIR: input.runDir,
        COVERAGE_SPY_TEST_WORKING_DIR: input.testWorkingDir,
        COVERAGE_SPY_TEST_TIMEOUT: String(input.testTimeoutSeconds),
        COVERAGE_SPY_SERVICE_COUNT: String(input.services.length),
    };
    input.services.forEach((s, i) => Object.assign(env, serviceParameters(s, i)));
    return env;
}
