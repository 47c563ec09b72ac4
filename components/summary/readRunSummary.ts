import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import {
    CoverageSummary, FileCoverage, InterruptedProcess, LostProcess, ProcessCounts, SUMMARY_SCHEMA_VERSION, ServiceCoverage, TestResult,
} from "./coverageSummary";
import { parseCoverageJson } from "./parseCoverageJson";
import { parseTestCounts } from "./testOutput";

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
    failUnder?: number;
}

function readJson(file: string): Record<string, unknown> {
    if (!fs.existsSync(file)) throw new Error(`coverage-spy: expected ${file}, which the run did not write`);
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

function readTestResult(runDir: string): TestResult {
    const raw = readJson(path.join(runDir, "tests.json"));
    const logFile = path.join(runDir, "tests.log");
    const counts = parseTestCounts(fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "");
    const exitCode = Number(raw.exitCode);
    return { exitCode, succeeded: exitCode === 0, ...counts, durationMs: Number(raw.durationMs) };
}

/** Splits a path of the total report ("<service>/<path>") into service and source-relative path. */
function locate(reportPath: string, reportRoots: Map<string, string>, services: SummaryService[]): { service: SummaryService; relative: string } {
    for (const service of services) {
        const root = reportRoots.get(service.name);
        if (root !== undefined && reportPath.startsWith(`${root}/`)) return { service, relative: reportPath.slice(root.length + 1) };
    }
    throw new Error(`coverage-spy: report names a file outside every service's source: ${reportPath}`);
}

/** The documented fields of a process record (the spy's records carry more, e.g. its signals). */
function processEntry(p: LostProcess): LostProcess {
    return { service: p.service, pid: p.pid, host: p.host, command: p.command, python: p.python, started: p.started };
}

/** What a harvest says without the test run: a snapshot of running services has no test result yet. */
export type HarvestedCoverage = Omit<CoverageSummary, "tests" | "gate">;

/** Reads a harvested run's reports from the host and builds the typed summary. */
export function readRunSummary(input: RunSummaryInput): CoverageSummary {
    const { runDir, failUnder } = input;
    const harvested = readHarvestedCoverage(input);
    return {
        ...harvested,
        tests: readTestResult(runDir),
        ...(failUnder !== undefined ? { gate: { failUnder, passed: harvested.totals.percent >= failUnder } } : {}),
    };
}

/** The coverage part of a harvest (reports, data files, processes), read from the host. */
export function readHarvestedCoverage(input: RunSummaryInput): HarvestedCoverage {
    const { runDir, runId, services } = input;
    const total = parseCoverageJson(fs.readFileSync(path.join(runDir, "total", "coverage.json"), "utf8"));
    const harvest = readJson(path.join(runDir, "harvest.json"));
    const harvested = (harvest.services ?? {}) as Record<string, { dataFiles: number; reportRoot: string; processes?: ProcessCounts; cores?: Record<string, number> }>;
    const reportRoots = new Map(Object.entries(harvested).map(([name, h]) => [name, h.reportRoot.replace(/\/+$/, "")]));
    const testsFile = path.join(runDir, "tests.json");
    const stopMs = (fs.existsSync(testsFile) ? readJson(testsFile).stopMs ?? {} : {}) as Record<string, number>;

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
        const report = parseCoverageJson(fs.readFileSync(path.join(runDir, "services", service.name, "coverage.json"), "utf8"));
        perService[service.name] = {
            name: service.name,
            totals: report.totals,
            files: report.files.length,
            dataFiles: harvested[service.name]?.dataFiles ?? 0,
            ...(harvested[service.name]?.processes ? { processes: harvested[service.name].processes } : {}),
            ...(harvested[service.name]?.cores ? { cores: harvested[service.name].cores } : {}),
            ...(stopMs[service.name] !== undefined ? { stopMs: stopMs[service.name] } : {}),
        };
    }

    const totalDir = path.join(runDir, "total");
    return {
        schemaVersion: SUMMARY_SCHEMA_VERSION,
        runId,
        timestamp: total.timestamp,
        coveragePyVersion: total.coveragePyVersion,
        totals: total.totals,
        services: perService,
        files,
        lostProcesses: ((harvest.lostProcesses ?? []) as LostProcess[]).map(processEntry),
        interruptedProcesses: ((harvest.interruptedProcesses ?? []) as InterruptedProcess[])
            .map((p) => ({ ...processEntry(p), lastSave: p.lastSave ?? null })),
        reports: {
            dir: runDir,
            html: path.join(totalDir, "html", "index.html"),
            json: path.join(totalDir, "coverage.json"),
            xml: path.join(totalDir, "coverage.xml"),
            lcov: path.join(totalDir, "coverage.lcov"),
            text: path.join(totalDir, "coverage.txt"),
        },
    };
}

/**
 * The summary of a harvested run, as the stack exports it. Unreadable reports and (when asked) a red test
 * suite fail the update with a message; the reports are on disk by then either way.
 */
export function summarizeRun(input: RunSummaryInput, failOnTestFailure: boolean): CoverageSummary {
    let summary: CoverageSummary;
    try {
        summary = readRunSummary(input);
    } catch (err) {
        throw new pulumi.RunError(`coverage-spy: cannot read the reports of run ${input.runId} in ${input.runDir}: ${(err as Error).message}`);
    }
    if (failOnTestFailure && !summary.tests.succeeded) {
        throw new pulumi.RunError(`coverage-spy: the test suite failed (exit code ${summary.tests.exitCode}); reports are in ${input.runDir}`);
    }
    return summary;
}
