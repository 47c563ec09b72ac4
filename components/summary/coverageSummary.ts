/** The shape of the coverage summary exported as a stack output. Versioned: consumers check `schemaVersion`. */
export const SUMMARY_SCHEMA_VERSION = 2;
/**
 * Versions a consumer can still read: 2 changed only the process times (`started`, `lastSave`) from Unix
 * seconds to ISO 8601 strings, which comparisons between stacks do not use.
 */
export const READABLE_SUMMARY_VERSIONS: readonly number[] = [1, 2];

export interface CoverageTotals {
    statements: number;
    covered: number;
    missing: number;
    excluded: number;
    /** 0–100, as coverage.py computes it. */
    percent: number;
    /** Only when branch coverage is on. */
    branches?: { total: number; covered: number; partial: number; missing: number };
}

export interface FileCoverage extends CoverageTotals {
    service: string;
    /** Path relative to the service's source root. */
    path: string;
    /** Path inside the service's container, as the app saw it. */
    containerPath: string;
    /** Path in the host checkout, when the service names one. */
    hostPath?: string;
    executedLines: number[];
    missingLines: number[];
}

export interface ServiceCoverage {
    name: string;
    totals: CoverageTotals;
    files: number;
    /** Data files combined: one per measured process (master, workers, subprocesses). */
    dataFiles: number;
    /** Milliseconds the graceful stop took. */
    stopMs?: number;
    /** Measured processes by how they ended (start records paired with end records and data files). */
    processes?: ProcessCounts;
    /** Measured processes per coverage.py core (e.g. SysMonitor, CTracer, PyTracer). */
    cores?: Record<string, number>;
    /**
     * The service was found dead after the suite, before its graceful stop (it crashed, or was OOM-killed): only
     * what its processes saved before counts, and stopMs is not a stop time.
     */
    exitedEarly?: ExitedEarly;
}

/** How a service that died during the test suite ended. */
export interface ExitedEarly {
    exitCode: number;
    /** The kernel killed it for lack of memory. */
    oomKilled: boolean;
}

export interface ProcessCounts {
    /** Left through exit, os._exit, SIGTERM or exec, after saving. */
    ended: number;
    /** Killed (SIGKILL, OOM) after at least one periodic save: only the last slice is missing. */
    interrupted: number;
    /** Killed before saving anything: all their lines are missing. */
    lost: number;
}

export interface TestResult {
    exitCode: number;
    succeeded: boolean;
    /**
     * Counts summed over every runner's closing lines (pytest, unittest, jest and "N passed, N failed"); null when
     * they cannot be read (countsUnknown says why).
     */
    passed: number | null;
    failed: number | null;
    /**
     * Why passed and failed are null (no runner's closing lines, one that cannot be read, a suite that failed while
     * its runners name no failed test). Absent when they were read, and in summaries of older runs.
     */
    countsUnknown?: string;
    durationMs: number;
    /** The suite ran out of its time (testTimeoutSeconds) and was killed: the seconds it was given. */
    timedOutAfterSeconds?: number;
}

export interface ReportPaths {
    dir: string;
    html: string;
    json: string;
    xml: string;
    lcov: string;
    text: string;
    /** This summary as Markdown, for a CI job summary or a pull-request comment. */
    markdown: string;
    /** This summary as JSON, written before any gate can fail the update. */
    summary: string;
}

/** A doubt about the measurement the harvester found, and how to remove it. */
export interface MeasurementWarning {
    service: string;
    /** What kind of doubt: "concurrency" (greenlets the core does not follow). */
    kind: string;
    /** The option that fixes it, e.g. "coverage.concurrency", and the value to give it. */
    option: string;
    value: unknown;
    /** One line that says it all. */
    message: string;
}

/** Lines counted over the changed files the run measured. */
export interface PatchTotals {
    /** Lines added or changed. */
    changed: number;
    /** Of those, the lines coverage.py counts as statements (executed or missing). */
    executable: number;
    executed: number;
    missing: number;
    /**
     * executed / executable, 0–100; 100 when no changed line is executable (as diff-cover says); absent when the
     * patch could not be read (`unavailable` says why). Absent, not null: a Python program's outputs drop null values,
     * and the output must have the same keys in every language.
     */
    percent?: number;
}

/** A measured file the change touched. */
export interface PatchFile {
    service: string;
    /** Path relative to the service's source root, as in `files`. */
    path: string;
    /** Path in the git checkout. */
    gitPath: string;
    changedLines: number[];
    executableLines: number[];
    executedLines: number[];
    missingLines: number[];
    /** executed / executable, 0–100; absent (as in the totals) when no changed line is executable. */
    percent?: number;
}

/** Of the lines this checkout changed since its base, which the test suite executed. */
export interface PatchCoverage {
    /** The ref as given (patchBase) or chosen, and the commit the diff starts from: the merge-base of HEAD with it. */
    base?: { ref: string; commit: string };
    /** Why there is no patch coverage (no git checkout, a base git cannot find). */
    unavailable?: string;
    totals: PatchTotals;
    files: PatchFile[];
    /** Changed files the run did not measure (tests, docs, files no service ran), by their path in the checkout. */
    unmeasured: Array<{ gitPath: string; changedLines: number[] }>;
    /** What the figure leaves out, once each: services without hostSourcePath, or outside the checkout. */
    notes: string[];
}

/** The gates this run was held to, and how it did. */
export interface GateVerdict {
    failUnder?: number;
    failUnderPatch?: number;
    failUnderPerService?: Record<string, number>;
    maxDrop?: number;
    /** The stack whose summary maxDrop compares against, and its run. */
    baseStack?: string;
    baseRunId?: string;
    passed: boolean;
    /** One line per failed gate, naming the numbers. */
    failures: string[];
    /** Gates that could not be evaluated, and why. */
    notes: string[];
}

/** A process that started measuring (it left a start record) but saved no data: its lines are missing. */
export interface LostProcess {
    service: string;
    pid: number;
    /** The host name of its container or pod (pids repeat across pods). */
    host: string;
    command: string[];
    python: string;
    /** When it started measuring, ISO 8601 UTC (as `timestamp`). */
    started: string;
}

/** A process killed without its final save, whose periodic saves are in the report. */
export interface InterruptedProcess extends LostProcess {
    /** Its last periodic save, ISO 8601 UTC, or null if unknown: lines run after it are missing. */
    lastSave: string | null;
}

/** What one test reached, over every measured service. */
export interface TestReach {
    /** Executed lines (a line run by several processes counts once). */
    lines: number;
    files: number;
}

/** The test boundaries the relay passed on to the measured processes. */
export interface ContextBoundaries {
    /** Test starts and ends. */
    count: number;
    /** Milliseconds from the runner's call until every process switched; null without boundaries. */
    medianMs: number | null;
    maxMs: number | null;
    /** The most processes one boundary switched. */
    maxProcesses: number;
    /** Times a process did not answer a boundary. */
    failed: number;
}

/** Which test ran which line (the perTestContexts option). */
export interface PerTestCoverage {
    /** The context of lines run at start-up, between tests or without a runner: "(no test)". */
    outside: string;
    /** Per test (its runner's name for it, e.g. a pytest node id), what it reached. */
    tests: Record<string, TestReach>;
    /** Per file ("<service>/<path>", as in the total report), the tests that ran any of its lines. */
    files: Record<string, string[]>;
    /** Lines run outside every test (also run by a test or not). */
    outsideLines: number;
    boundaries: ContextBoundaries;
    /** Several runners' tests overlapped: the lines they ran meanwhile are not told apart (a warning says so). */
    parallel: boolean;
    runners: string[];
    /** Host path of the line index `npx coverage-spy who FILE:LINE` reads. */
    index: string;
}

export interface CoverageSummary {
    schemaVersion: number;
    runId: string;
    timestamp: string;
    coveragePyVersion: string;
    totals: CoverageTotals;
    services: Record<string, ServiceCoverage>;
    files: FileCoverage[];
    tests: TestResult;
    /** Empty when every process that measured also saved. */
    lostProcesses: LostProcess[];
    /** Processes killed after a periodic save: their data up to that save is included. */
    interruptedProcesses: InterruptedProcess[];
    /**
     * What the measurement may have got wrong, each with the option that fixes it (e.g. gevent greenlets under a
     * tracer that needs `coverage.concurrency`). Absent in summaries of older runs.
     */
    warnings?: MeasurementWarning[];
    /** Which test ran which line; only with perTestContexts. */
    perTest?: PerTestCoverage;
    /** Which changed lines of the checkout's branch the suite executed. Absent in summaries of older runs. */
    patch?: PatchCoverage;
    reports: ReportPaths;
    gate?: GateVerdict;
}
