import * as fs from "fs";
import * as path from "path";
import {
    CoverageSummary,
    ExitedEarly,
    FileCoverage,
    InterruptedProcess,
    LostProcess,
    SUMMARY_SCHEMA_VERSION,
    ServiceCoverage,
    TestResult,
} from "./coverageSummary";
import { parseCoverageJson } from "./parseCoverageJson";
import { suiteTestCounts } from "./testOutput";
import { HarvestedProcess, readHarvestJson } from "./harvestJson";
import { readPatchCoverage } from "./readPatchCoverage";

export interface SummaryService {
    name: string;
    sourcePath: string;
    hostSourcePath?: string;
}

export interface RunSummaryInput {
    /** Host folder of the run: <reportDir>/runs/<runId>. */
    runDir: string;
    runId: string;
    services: SummaryService[];
    /** Read the patch coverage of the services' git checkout against this base (patchBase). */
    patch?: { base: string };
}

function readJson(file: string): Record<string, unknown> {
    if (!fs.existsSync(file)) throw new Error(`coverage-spy: expected ${file}, which the run did not write`);
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** The suite's result in a run folder: tests.json, with the test counts read from tests.log. */
export function readTestResult(runDir: string): TestResult {
    const raw = readJson(path.join(runDir, "tests.json"));
    const logFile = path.join(runDir, "tests.log");
    const exitCode = Number(raw.exitCode);
    const timedOut = typeof raw.timedOutAfterSeconds === "number";
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
    const { unknown, ...counts } = suiteTestCounts(log, exitCode, timedOut);
    return {
        exitCode,
        succeeded: exitCode === 0,
        ...counts,
        ...(unknown !== undefined ? { countsUnknown: unknown } : {}),
        durationMs: Number(raw.durationMs),
        ...(timedOut ? { timedOutAfterSeconds: raw.timedOutAfterSeconds as number } : {}),
    };
}

/** Splits a path of the total report ("<service>/<path>") into service and source-relative path. */
function locate(
    reportPath: string,
    reportRoots: Map<string, string>,
    services: SummaryService[],
): { service: SummaryService; relative: string } {
    for (const service of services) {
        const root = reportRoots.get(service.name);
        if (root !== undefined && reportPath.startsWith(`${root}/`))
            return { service, relative: reportPath.slice(root.length + 1) };
    }
    throw new Error(`coverage-spy: report names a file outside every service's source: ${reportPath}`);
}

/** Unix seconds as ISO 8601 UTC, the one time format of the summary. */
function isoTime(unixSeconds: number): string {
    return new Date(unixSeconds * 1000).toISOString();
}

/** The documented fields of a process record. */
function processEntry(p: HarvestedProcess): LostProcess {
    return {
        service: p.service,
        pid: p.pid,
        host: p.host,
        command: p.command,
        python: p.python,
        started: isoTime(p.started),
    };
}

/** What a harvest says without the test run: a snapshot of running services has no test result yet. */
export type HarvestedCoverage = Omit<CoverageSummary, "tests" | "gate">;

/** Reads a harvested run's reports from the host and builds the typed summary. */
export function readRunSummary(input: RunSummaryInput): CoverageSummary {
    const coverage = readHarvestedCoverage(input);
    const patch =
        input.patch === undefined
            ? undefined
            : readPatchCoverage({ files: coverage.files, services: input.services, base: input.patch.base });
    return { ...coverage, tests: readTestResult(input.runDir), ...(patch !== undefined ? { patch } : {}) };
}

/** The coverage part of a harvest (reports, data files, processes), read from the host. */
export function readHarvestedCoverage(input: RunSummaryInput): HarvestedCoverage {
    const { runDir, runId, services } = input;
    const harvest = readHarvestJson(runDir);
    const total = parseCoverageJson(fs.readFileSync(harvest.reports.json, "utf8"));
    const harvested = harvest.services;
    const reportRoots = new Map(Object.entries(harvested).map(([name, h]) => [name, h.reportRoot.replace(/\/+$/, "")]));
    const testsFile = path.join(runDir, "tests.json");
    const testRun = fs.existsSync(testsFile) ? readJson(testsFile) : {};
    const stopMs = (testRun.stopMs ?? {}) as Record<string, number>;
    const exitedEarly = (testRun.exitedEarly ?? {}) as Record<string, ExitedEarly>;

    const files: FileCoverage[] = total.files.map((f) => {
        const { service, relative } = locate(f.reportPath, reportRoots, services);
        const { reportPath: _reportPath, ...counts } = f;
        return {
            ...counts,
            service: service.name,
            path: relative,
            containerPath: path.posix.join(service.sourcePath, relative),
            ...(service.hostSourcePath ? { hostPath: path.join(service.hostSourcePath, relative) } : {}),
        };
    });

    const perService: Record<string, ServiceCoverage> = {};
    for (const service of services) {
        const serviceReport = harvested[service.name]?.report;
        if (serviceReport === undefined)
            throw new Error(`coverage-spy: the harvest names no report of service ${service.name}`);
        const report = parseCoverageJson(fs.readFileSync(serviceReport, "utf8"));
        perService[service.name] = {
            name: service.name,
            totals: report.totals,
            files: report.files.length,
            dataFiles: harvested[service.name]?.dataFiles ?? 0,
            ...(harvested[service.name]?.processes ? { processes: harvested[service.name].processes } : {}),
            ...(harvested[service.name]?.cores ? { cores: harvested[service.name].cores } : {}),
            ...(stopMs[service.name] !== undefined ? { stopMs: stopMs[service.name] } : {}),
            ...(exitedEarly[service.name] !== undefined ? { exitedEarly: exitedEarly[service.name] } : {}),
        };
    }

    return {
        schemaVersion: SUMMARY_SCHEMA_VERSION,
        runId,
        timestamp: total.timestamp,
        coveragePyVersion: total.coveragePyVersion,
        totals: total.totals,
        services: perService,
        files,
        lostProcesses: harvest.lostProcesses.map(processEntry),
        // The summary keeps what a reader needs: the harvester's process details stay in harvest.json.
        ...(harvest.warnings.length > 0
            ? {
                  warnings: harvest.warnings.map(({ service, kind, option, value, message }) => ({
                      service,
                      kind,
                      option,
                      value,
                      message,
                  })),
              }
            : {}),
        ...(harvest.perTest ? { perTest: harvest.perTest } : {}),
        interruptedProcesses: (harvest.interruptedProcesses ?? []).map(
            (p): InterruptedProcess => ({
                ...processEntry(p),
                lastSave: typeof p.lastSave === "number" ? isoTime(p.lastSave) : null,
            }),
        ),
        reports: {
            dir: runDir,
            ...harvest.reports,
            // Written by the component, after the harvest.
            markdown: path.join(runDir, "summary.md"),
            summary: path.join(runDir, "summary.json"),
        },
    };
}
