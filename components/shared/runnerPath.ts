import * as fs from "fs";
import * as path from "path";

/** The test run's entry (runner/testRunMain.ts), a process of its own. */
export const TEST_RUN_ENTRY = "testRunMain";
/** The readiness wait's entry (runner/waitReadyMain.ts). */
export const WAIT_READY_ENTRY = "waitReadyMain";
/** The copy of a remote engine's reports back to this machine (runner/copyReportsMain.ts). */
export const COPY_REPORTS_ENTRY = "copyReportsMain";

/**
 * What Node acts on as it starts, before any of a program's code runs, and the runner's programs need neither: a
 * NODE_EXTRA_CA_CERTS bundle is read and parsed at every start (about 35 ms of each on a 2-core machine with a
 * 145-certificate bundle; the programs make no TLS connection), and NODE_OPTIONS may load modules into them. Each
 * program's Command sets them empty (runnerStartEnvironment); the test run gives the suite back their values.
 */
export const NODE_START_VARIABLES = ["NODE_EXTRA_CA_CERTS", "NODE_OPTIONS"] as const;

/** The variables a runner program's Command adds to its environment so Node starts without them. */
export function runnerStartEnvironment(): Record<string, string> {
    return Object.fromEntries(NODE_START_VARIABLES.map((name) => [name, ""]));
}

/**
 * Absolute path of a runner entry's compiled JavaScript (components/testRun/runner/, found from this module's own
 * place, so the engine's steps below the test run's layer can name it without importing it): bin/ in the
 * repository's build, dist/ in the package's (also what Pulumi's plugin host loads). Throws, naming the fix, when
 * it is not there, so a package built without it fails at preview, not after the services started. Loaded from the
 * TypeScript sources (the unit tests, whose mocked engine runs nothing), it names where the repository's build puts
 * it.
 */
export function runnerEntryPath(entry: string, moduleFile: string = __filename): string {
    // components/shared/ → components/testRun/runner/, compiled or not.
    const runner = path.join(path.dirname(moduleFile), "..", "testRun", "runner");
    if (!moduleFile.endsWith(".ts")) return checked(path.join(runner, `${entry}.js`));
    const repo = path.resolve(path.dirname(moduleFile), "..", "..");
    return path.join(repo, "bin", path.relative(repo, runner), `${entry}.js`);
}

function checked(file: string): string {
    if (!fs.existsSync(file))
        throw new Error(
            `coverage-spy: the test run's program ${file} does not exist: build coverage-spy (npm run build in its ` +
                "checkout, or reinstall the package)",
        );
    return file;
}
