import * as fs from "fs";
import * as path from "path";
import { MeasurementWarning, PerTestCoverage, ProcessCounts } from "./coverageSummary";

/** A process record as the harvester writes it: Unix times (the spy's records carry more, e.g. signals). */
export interface HarvestedProcess {
    service: string;
    pid: number;
    host: string;
    command: string[];
    python: string;
    started: number;
    lastSave?: number | null;
}

/** The report files of the total, paths relative to the harvest's folder. */
export interface HarvestReports {
    html: string;
    json: string;
    xml: string;
    lcov: string;
    text: string;
}

/** What the harvester says of one service. */
export interface HarvestedService {
    dataFiles: number;
    /** The service's folder in the total report's file paths. */
    reportRoot: string;
    /** The service's own JSON report, relative to the harvest's folder. */
    report: string;
    processes?: ProcessCounts;
    cores?: Record<string, number>;
}

/** `harvest.json`, written by coverage-spy/harvest.py next to the reports it names. */
export interface HarvestJson {
    reports: HarvestReports;
    services: Record<string, HarvestedService>;
    lostProcesses: HarvestedProcess[];
    interruptedProcesses?: HarvestedProcess[];
    /** Doubts about the measurement (the harvester also names the processes each concerns). */
    warnings: MeasurementWarning[];
    /** Which test ran which line (perTestContexts); `index` made absolute by readHarvestJson. */
    perTest?: PerTestCoverage;
}

/**
 * Reads the harvester's `harvest.json` in `dir`, with every report path made absolute: the harvester names its
 * files, so no reader computes them again.
 */
export function readHarvestJson(dir: string): HarvestJson {
    const file = path.join(dir, "harvest.json");
    if (!fs.existsSync(file)) throw new Error(`coverage-spy: expected ${file}, which the run did not write`);
    const harvest = JSON.parse(fs.readFileSync(file, "utf8")) as HarvestJson;
    if (typeof harvest.reports?.json !== "string") {
        throw new Error(`coverage-spy: ${file} names no reports: written by an older harvester (rebuild its image)`);
    }
    const inDir = (relative: string): string => path.join(dir, relative);
    const reports = Object.fromEntries(
        Object.entries(harvest.reports).map(([format, relative]: [string, string]) => [format, inDir(relative)]),
    ) as unknown as HarvestReports;
    const services = Object.fromEntries(
        Object.entries(harvest.services ?? {}).map(([name, s]) => [name, { ...s, report: inDir(s.report) }]),
    );
    return {
        ...harvest,
        reports,
        services,
        lostProcesses: harvest.lostProcesses ?? [],
        warnings: harvest.warnings ?? [],
        ...(harvest.perTest ? { perTest: { ...harvest.perTest, index: inDir(harvest.perTest.index) } } : {}),
    };
}
