// The lines a watch session's cycles cannot report: those the services run as they stop (signal handlers, atexit,
// the servers' shutdown), which only the whole run's harvest, after the session, holds.
import { FileCoverage } from "../../components/summary/coverageSummary";
import { ranges } from "../../components/summary/formatSummary";

/** Executed lines of one file of one service. */
export interface FileLines {
    service: string;
    path: string;
    lines: number[];
}

type Files = Array<Pick<FileCoverage, "service" | "path" | "executedLines">>;

/** The lines `whole` executed that `part` did not, file by file (files without any left out), in `whole`'s order. */
export function linesOnlyIn(whole: Files, part: Files): FileLines[] {
    const seen = new Map(part.map((f) => [`${f.service}\0${f.path}`, new Set(f.executedLines)]));
    return whole
        .map((f) => {
            const there = seen.get(`${f.service}\0${f.path}`) ?? new Set<number>();
            return { service: f.service, path: f.path, lines: f.executedLines.filter((n) => !there.has(n)) };
        })
        .filter((f) => f.lines.length > 0);
}

/** The lines as the summary names them: one line per file, its line numbers as ranges. */
export function describeFileLines(files: FileLines[]): string[] {
    return files.map((f) => `  ${f.service}:${f.path}  ${ranges(f.lines)}`);
}
