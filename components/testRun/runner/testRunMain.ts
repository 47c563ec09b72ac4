// The test run, a process of its own on the user's host (components/testRun/testRun.ts starts it with Node): waits
// until every service is ready, runs the test suite against them, stops them gracefully (in waves: a service before
// those it depends on) so each process saves its coverage data, copies the measured source out of each measured
// container, and writes tests.json, which it also prints. A failing suite does not fail the run: the coverage of a
// red run is still wanted. Its one input is the run's description (description.ts), in COVERAGE_SPY_TEST_RUN.
import * as fs from "fs";
import * as path from "path";
import { RunDescription, TEST_RUN_VARIABLE, readRunDescription } from "./description";
import { Engine } from "./engines/engine";
import { engineFor } from "./engines/select";
import { RunFailure, errorLine, log } from "./log";
import { removePidFile, writePidFile } from "./pidFile";
import { waitReady } from "./readiness";
import { packRunResults } from "./runTar";
import { copySources } from "./sourceCopy";
import { stopServices } from "./stopWaves";
import { RunningSuite, SuiteResult, startSuite, suiteEnvironment } from "./suite";
import { WATCH_VARIABLE, holdForWatch, watchedEnvironment } from "./watchHold";
import { earlyExits, testsJson, writeTestsJson } from "./testsJson";
import { exitAfterOutput } from "./exit";

const INTERRUPTS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Where the run is, for the interrupt handler: the suite to stop, and whether the services are being stopped. */
interface RunState {
    suite?: RunningSuite;
    stopping: boolean;
    interrupted: boolean;
}

/** What the run's own steps wait on once an interrupt took over: nothing, the interrupt's stop ends the process. */
const handedOver = () => new Promise<never>(() => undefined);

/** The run cannot go on: every service is stopped gracefully first (none may be left running), then it fails. */
async function stopAndFail(engine: Engine, run: RunDescription, failure: RunFailure): Promise<never> {
    log("stopping every service gracefully before failing");
    try {
        await stopServices(engine, run.services);
    } catch (err) {
        log((err as Error).message);
    }
    throw failure;
}

/**
 * An interrupt (Ctrl-C reaching the run, the command's SIGTERM, the cli's interrupt) stops the suite, then the
 * services, gracefully, so every process saves its data. During the run's own stop, there is nothing more to do.
 */
function onInterrupt(engine: Engine, run: RunDescription, state: RunState): void {
    const handler = () => {
        if (state.interrupted || state.stopping) return;
        state.interrupted = true;
        log("interrupted: stopping the test suite, then the services gracefully so their data is saved");
        // The suite ends while the services stop; the run ends once both have, leaving nothing of the suite.
        const suiteEnded = state.suite?.ended;
        state.suite?.stop();
        stopAndFail(
            engine,
            run,
            new RunFailure("the run was interrupted (the test suite and the services were stopped)", 130),
        ).catch(async (err: unknown) => {
            await suiteEnded;
            finish(err);
        });
    };
    for (const signal of INTERRUPTS) process.on(signal, handler);
}

/** Runs the suite; or, held by `coverage-spy watch`, hands it over and waits (watchHold.ts). */
async function runOrHandOver(run: RunDescription, state: RunState): Promise<SuiteResult> {
    const environment = suiteEnvironment(process.env, run.suiteNodeVariables);
    const watchDir = process.env[WATCH_VARIABLE];
    if (watchDir)
        return holdForWatch(watchDir, {
            runDir: run.runDir,
            testCommand: run.testCommand,
            testWorkingDir: run.testWorkingDir,
            testTimeoutSeconds: run.testTimeoutSeconds,
            environment: watchedEnvironment(environment),
            ...(run.patch !== undefined ? { patch: run.patch } : {}),
        });
    log(`running the test suite: ${run.testCommand}`);
    state.suite = startSuite(
        run.testCommand,
        run.testWorkingDir,
        run.testTimeoutSeconds,
        path.join(run.runDir, "tests.log"),
        environment,
    );
    writePidFile(run.runDir, { runner: process.pid, suiteGroup: state.suite.pid || undefined });
    return state.suite.ended;
}

async function testRun(engine: Engine, run: RunDescription, state: RunState): Promise<void> {
    const sources = path.join(run.runDir, "sources");
    try {
        fs.mkdirSync(sources, { recursive: true });
        writePidFile(run.runDir, { runner: process.pid });
    } catch (err) {
        throw new RunFailure(`could not create ${sources} (${(err as Error).message}): check reportDir`);
    }
    await engine.check();
    for (const service of run.services) {
        try {
            await waitReady(engine, service, run.remoteHost);
        } catch (err) {
            if (state.interrupted) return handedOver();
            if (!(err instanceof RunFailure)) throw err;
            state.stopping = true;
            return stopAndFail(engine, run, err);
        }
    }
    if (state.interrupted) return handedOver();
    const suite = await runOrHandOver(run, state);
    if (state.interrupted) return handedOver();
    // From here the run stops the services itself, as an interrupt would.
    state.stopping = true;
    if (suite.timedOutAfterSeconds !== undefined)
        log(
            `warning: the test suite timed out after ${suite.timedOutAfterSeconds} s (testTimeoutSeconds) and was ` +
                "killed: the coverage is of the part that ran",
        );
    log(`test suite exited with ${suite.exitCode} after ${suite.durationMs} ms; stopping services gracefully`);
    const exited = await earlyExits(engine, run.services);
    // A copy from the stopping containers waits for the stop: Docker holds a container's lock while it streams a
    // copy out, which can delay the stop's signal and so the stop time reported.
    const copied = engine.copiesBesideStop ? copySources(engine, run.services, run.runDir) : undefined;
    // Its failure is reported below, after the stop: until then it is handled here.
    copied?.catch(() => undefined);
    const stops = await stopServices(engine, run.services);
    for (const [name, ms] of stops) log(`service ${name} stopped in ${ms} ms`);
    await (copied ?? copySources(engine, run.services, run.runDir));
    const results = testsJson(suite, stops, exited);
    try {
        writeTestsJson(run.runDir, results);
    } catch {
        throw new RunFailure(`could not write ${path.join(run.runDir, "tests.json")}`);
    }
    if (run.runTar !== undefined) await packRunResults(run.runDir, run.runTar);
    process.stdout.write(results);
}

let runDir: string | undefined;

/** Ends the process: with the failure's code and its one error line, or 0. */
function finish(err?: unknown): void {
    if (runDir !== undefined) removePidFile(runDir);
    if (err === undefined) return exitAfterOutput(0);
    const failure = err instanceof RunFailure ? err : new RunFailure(String((err as Error)?.message ?? err));
    log(errorLine(failure.message));
    exitAfterOutput(failure.exitCode);
}

function main(): void {
    let run: RunDescription;
    try {
        run = readRunDescription(process.env[TEST_RUN_VARIABLE]);
    } catch (err) {
        return finish(new RunFailure((err as Error).message));
    }
    runDir = run.runDir;
    const state: RunState = { stopping: false, interrupted: false };
    const engine = engineFor(run.engine);
    onInterrupt(engine, run, state);
    testRun(engine, run, state).then(() => finish(), finish);
}

main();
