// watch: the stack's services start once; each cycle runs the suite against them and prints what a fresh run would.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatSummary } from "../../components/summary/formatSummary";
import { readPatchCoverage } from "../../components/summary/readPatchCoverage";
import {
    HarvestedCoverage,
    SummaryService,
    readHarvestedCoverage,
    readTestResult,
} from "../../components/summary/readRunSummary";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { RunningSuite, SuiteResult, startSuite } from "../../components/testRun/runner/suite";
import { testsJson } from "../../components/testRun/runner/testsJson";
import {
    RELEASE_FILE,
    SUITE_FILE,
    WATCHER_FILE,
    WATCH_VARIABLE,
    WatchedSuite,
    isRunning,
    readWatchFile,
    writeWatchFile,
} from "../../components/testRun/runner/watchHold";
import {
    LiveService,
    findLiveServices,
    removeSnapshotHelpers,
    snapshotCoverage,
    startSnapshotHelpers,
} from "../snapshot/snapshotCoverage";
import { CycleTriggers, Trigger } from "../watch/cycleTriggers";
import { describeFileLines, linesOnlyIn } from "../watch/shutdownLines";
import { keepStartupLines } from "../watch/startupLines";
import { watchedPaths } from "../watch/watchedPaths";
import { UsageError, parseCommandArgs } from "./commandArgs";
import { TARGET_OPTIONS, commandTarget, log } from "./target";
import { runUpdate } from "./update";

const USAGE = "usage: coverage-spy watch [--stack NAME] [--cwd DIR] [--watch PATH] [--timeout SECONDS]";

/** How often the command looks whether the update's test run holds. */
const LOOK_EVERY_MS = 100;

/** Said under every cycle's summary: what it cannot hold. */
const SHUTDOWN_NOTE =
    "not in this report: the lines the services run as they stop (their shutdown); the watch names them when it ends";

interface WatchOptions {
    /** The --cwd and --stack given, passed on to the update. */
    targetArgs: string[];
    /** --watch: what to watch instead of the test files the test command names. */
    watchPath?: string;
    /** --timeout: seconds the processes get to answer a snapshot or a reset. */
    timeoutSeconds: number;
}

function watchOptions(argv: string[]): WatchOptions {
    const args = parseCommandArgs(argv, { values: [...TARGET_OPTIONS, "--watch", "--timeout"] }, USAGE);
    const timeoutSeconds = Number(args.values.get("--timeout") ?? "10");
    if (!(timeoutSeconds > 0)) throw new UsageError(`--timeout needs a positive number of seconds; ${USAGE}`);
    const watchPath = args.values.get("--watch");
    if (watchPath !== undefined && !fs.existsSync(watchPath))
        throw new UsageError(`--watch ${watchPath}: no such file or folder (name the tests to watch); ${USAGE}`);
    return {
        targetArgs: TARGET_OPTIONS.flatMap((o) => (args.values.has(o) ? [o, args.values.get(o)!] : [])),
        ...(watchPath !== undefined ? { watchPath: path.resolve(watchPath) } : {}),
        timeoutSeconds,
    };
}

/** The start of a session's folder's name, in this machine's temporary folder. */
const FOLDER_PREFIX = "coverage-spy-watch-";

/**
 * Removes the folders of killed sessions (their command gone): a killed command's engine ends with it, its test run
 * too, and nothing else would. A folder whose command runs, or that another user owns, is left alone.
 */
function removeKilledSessionFolders(): void {
    for (const name of fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(FOLDER_PREFIX))) {
        const dir = path.join(os.tmpdir(), name);
        try {
            const watcher = readWatchFile<{ pid: number }>(dir, WATCHER_FILE);
            if (watcher === undefined || isRunning(watcher.pid)) continue;
            fs.rmSync(dir, { recursive: true, force: true });
            log(`recovered: removed ${dir}, the folder of a killed watch`);
        } catch {
            // Not ours to read or remove.
        }
    }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One watch session: the update that holds the services, the cycles, the release. */
class WatchSession {
    private stopWhy?: string;
    private suite?: RunningSuite;
    private updateEnded = false;
    private last: SuiteResult = { exitCode: 130, durationMs: 0 };
    private lastCoverage?: HarvestedCoverage;
    /** Settles on the first stop, so that a wait for the next trigger ends with it. */
    private readonly stopped: Promise<Trigger>;
    private sayStopped: (trigger: Trigger) => void = () => undefined;
    /** The snapshots' helper containers, by service (startSnapshotHelpers). */
    private helpers: Record<string, string> = {};
    /** The measured services, as the snapshots find them (found once: the session's services start once). */
    private live?: LiveService[];
    /** The start-up snapshot's folder, whose copies of the services' source the cycles' snapshots reuse. */
    private startupDir?: string;
    /** The measured services, as the reports name them. */
    private services: SummaryService[] = [];

    constructor(
        private readonly dir: string,
        private readonly stack: string,
        private readonly options: WatchOptions,
    ) {
        this.stopped = new Promise((resolve) => (this.sayStopped = resolve));
    }

    /** A stop: the cycle in progress ends (its suite is stopped), then the run is released. False when one came. */
    readonly requestStop = (why: string): boolean => {
        if (this.stopWhy !== undefined) return false;
        this.stopWhy = why;
        log(`${why}: ending the watch; the services stop gracefully and the whole run is harvested (again to cancel)`);
        this.suite?.stop();
        this.sayStopped({ kind: "stop", why });
        return true;
    };

    async run(update: Promise<void>): Promise<void> {
        const ended = update.then(
            () => (this.updateEnded = true),
            () => (this.updateEnded = true),
        );
        let failure: Error | undefined;
        try {
            const held = await this.held();
            this.helpers = startSnapshotHelpers(this.stack, path.basename(this.dir).slice(FOLDER_PREFIX.length));
            if (this.stopWhy === undefined) await this.cycles(held, ended);
            this.release();
            await update;
            this.sayShutdownLines(held);
        } catch (err) {
            failure = err as Error;
        } finally {
            // Whatever failed here, the run is released: its services stop gracefully, and the update ends.
            this.release();
            await update.catch((err: Error) => (failure ??= err));
        }
        if (failure !== undefined) throw failure;
    }

    /** Lets the held test run go on, with the last cycle's suite result as its suite's; once. */
    private release(): void {
        removeSnapshotHelpers(this.helpers);
        this.helpers = {};
        if (readWatchFile(this.dir, RELEASE_FILE) === undefined) writeWatchFile(this.dir, RELEASE_FILE, this.last);
    }

    /** The update's test run, once it holds; throws when the update ended before (it failed, or was cancelled). */
    private async held(): Promise<WatchedSuite> {
        for (;;) {
            const held = readWatchFile<WatchedSuite>(this.dir, SUITE_FILE);
            if (held !== undefined) return held;
            if (this.updateEnded)
                throw new Error("the update ended before its test run started: nothing to watch (see above)");
            await pause(LOOK_EVERY_MS);
        }
    }

    private async cycles(held: WatchedSuite, ended: Promise<unknown>): Promise<void> {
        this.live = findLiveServices(this.stack);
        this.services = this.live.map((s) => ({ name: s.name, sourcePath: s.sourcePath }));
        const startup = this.snapshot("snapshot");
        this.startupDir = startup.reportDir;
        keepStartupLines(this.live);
        log(
            `start-up: ${startup.coverage!.totals.percent.toFixed(2)}% of the statements, kept for every cycle's report`,
        );
        const paths = this.options.watchPath
            ? [this.options.watchPath]
            : watchedPaths(held.testCommand, held.testWorkingDir);
        // The report folder: <reportDir>/runs/<run id>.
        const triggers = new CycleTriggers(
            paths,
            [path.dirname(path.dirname(held.runDir))],
            process.stdin,
            this.requestStop,
        );
        try {
            for (let n = 1; ; n++) {
                await this.cycle(n, held);
                if (this.stopWhy !== undefined) return;
                log(
                    `waiting: Enter, or a change in ${paths.map((p) => path.relative(process.cwd(), p) || ".").join(", ")}, ` +
                        "runs the suite again; q or Ctrl-C ends the watch",
                );
                const trigger: Trigger = await Promise.race([
                    triggers.next(),
                    this.stopped,
                    ended.then((): Trigger => ({ kind: "stop", why: "the update ended" })),
                ]);
                if (trigger.kind === "stop") {
                    this.requestStop(trigger.why);
                    return;
                }
                log(
                    trigger.kind === "enter"
                        ? "Enter: running the suite again"
                        : `${trigger.file} changed: running the suite again`,
                );
                if (this.updateEnded || !isRunning(held.runnerPid))
                    throw new Error("the test run ended while the watch held it: see the update's output above");
            }
        } finally {
            triggers.close();
        }
    }

    /** One cycle: a reset (what ran before is discarded), the suite, a snapshot with the start-up lines, a summary. */
    private async cycle(n: number, held: WatchedSuite): Promise<void> {
        const started = Date.now();
        // At the cycle's start, not after the last one's summary: the whole run's report, after the release, has the
        // last cycle's lines as a fresh run has its suite's.
        this.snapshot("reset");
        const logFile = path.join(held.runDir, "tests.log");
        this.suite = startSuite(
            held.testCommand,
            held.testWorkingDir,
            held.testTimeoutSeconds,
            logFile,
            held.environment,
        );
        const suite = await this.suite.ended;
        this.suite = undefined;
        const snapshot = this.snapshot("snapshot");
        const dir = snapshot.reportDir!;
        fs.writeFileSync(path.join(dir, "tests.json"), testsJson(suite, new Map(), {}));
        fs.copyFileSync(logFile, path.join(dir, "tests.log"));
        const coverage = snapshot.coverage!;
        const summary: CoverageSummary = {
            ...coverage,
            tests: readTestResult(dir),
            ...(held.patch !== undefined
                ? {
                      patch: readPatchCoverage({
                          files: coverage.files,
                          services: held.patch.services,
                          base: held.patch.base,
                      }),
                  }
                : {}),
        };
        process.stdout.write(`\n${formatSummary(summary)}\n${SHUTDOWN_NOTE}\n\n`);
        const totalMs = Date.now() - started;
        log(
            `cycle ${n}: ${(totalMs / 1000).toFixed(1)} s, of which the suite ${(suite.durationMs / 1000).toFixed(1)} s ` +
                `and the measurement ${((totalMs - suite.durationMs) / 1000).toFixed(1)} s; reports in ${dir}`,
        );
        this.last = suite;
        this.lastCoverage = snapshot.coverage;
    }

    private snapshot(action: "snapshot" | "reset") {
        return snapshotCoverage({
            stack: this.stack,
            action,
            timeoutSeconds: this.options.timeoutSeconds,
            // The routine lines would bury the summary; a process that did not answer is said.
            log: (line) => {
                if (line.includes("did not answer")) log(line.trim());
            },
            helpers: this.helpers,
            services: this.live,
            ...(this.startupDir !== undefined ? { sourcesFrom: this.startupDir } : {}),
        });
    }

    /** After the whole run's harvest: the lines it holds that the last cycle's report could not (its shutdown). */
    private sayShutdownLines(held: WatchedSuite): void {
        if (this.lastCoverage === undefined) return;
        const final = readHarvestedCoverage({
            runDir: held.runDir,
            runId: this.lastCoverage.runId,
            services: this.services,
        });
        const shutdown = linesOnlyIn(final.files, this.lastCoverage.files);
        process.stdout.write(
            shutdown.length === 0
                ? "\nrun at shutdown: no line the cycles' reports lack\n"
                : `\nrun at shutdown, in no cycle's report (the whole run's report has them):\n${describeFileLines(shutdown).join("\n")}\n`,
        );
    }
}

/**
 * watch: runs the stack's `up`, whose test run holds the services live instead of running the suite (watchHold.ts);
 * meanwhile runs cycles (reset, the suite, a snapshot with the start-up lines kept from the first start) on Enter
 * or a change of the test files; q, Ctrl-C or the input's end releases the run: the services stop gracefully and the
 * whole run is harvested, as an `up` ends.
 */
export async function runWatch(argv: string[]): Promise<void> {
    const options = watchOptions(argv);
    const target = await commandTarget(parseCommandArgs(options.targetArgs, { values: TARGET_OPTIONS }, USAGE));
    removeKilledSessionFolders();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), FOLDER_PREFIX));
    try {
        writeWatchFile(dir, WATCHER_FILE, { pid: process.pid });
        // The engine's processes inherit it: the test run reads it (checked by test/integration/watch.test.ts).
        process.env[WATCH_VARIABLE] = dir;
        const session = new WatchSession(dir, target.stackName, options);
        const update = runUpdate("up", options.targetArgs, () => session.requestStop("Ctrl-C"));
        await session.run(update);
    } finally {
        delete process.env[WATCH_VARIABLE];
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
