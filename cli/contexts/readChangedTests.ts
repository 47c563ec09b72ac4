// Reads what `who --changed` needs from a report folder and the checkout: the newest indexed run, its summary, the
// source it executed, and the checkout's changes since a base.
import * as fs from "fs";
import * as path from "path";
import { CoverageSummary, FileCoverage, PatchFile } from "../../components/summary/coverageSummary";
import { defaultPatchBase, fileHunks } from "../../components/summary/gitChanges";
import { DiffHunk } from "../../components/summary/gitDiffParse";
import { readHarvestJson } from "../../components/summary/harvestJson";
import { PatchService, readCheckoutPatch } from "../../components/summary/readPatchCoverage";
import { ChangedTests, IndexedFile, changedTests } from "./changedTests";
import { ContextIndex, latestIndex } from "./whoRan";

/**
 * The measured services with the checkout folder of their source, as the run's files say it: each file's hostPath
 * is its service's hostSourcePath joined with its path (readRunSummary), and the run records nothing else of it.
 */
function servicesOf(files: FileCoverage[]): PatchService[] {
    const services = new Map<string, PatchService>();
    for (const file of files) {
        const known = services.get(file.service);
        if (known?.hostSourcePath !== undefined) continue;
        const tail = path.sep + path.normalize(file.path);
        const hostSourcePath = file.hostPath?.endsWith(tail) ? file.hostPath.slice(0, -tail.length) : undefined;
        services.set(file.service, { name: file.service, ...(hostSourcePath !== undefined ? { hostSourcePath } : {}) });
    }
    return [...services.values()];
}

function readSummary(runDir: string): CoverageSummary {
    const file = path.join(runDir, "summary.json");
    if (!fs.existsSync(file))
        throw new Error(
            `coverage-spy: expected ${file}, the summary of the run whose index answers; run the stack again`,
        );
    return JSON.parse(fs.readFileSync(file, "utf8")) as CoverageSummary;
}

/** How the checkout's file differs from the run's copy; an equal file (the usual case) needs no git. */
function changesSinceRun(ranCopy: string, current: string): DiffHunk[] {
    return fs.readFileSync(ranCopy).equals(fs.readFileSync(current)) ? [] : fileHunks(ranCopy, current);
}

/**
 * The tests of the newest run with per-test contexts under `reportDir` that executed the lines the checkout changed
 * since `base` (default: the checkout's default patch base). The checkout is the one holding the services'
 * hostSourcePath; each changed file is compared with the copy of the source the run executed
 * (<run>/sources/<service>/), so lines changed since the run are told apart and the others found in the index.
 */
export function readChangedTests(reportDir: string, base: string | undefined): ChangedTests {
    const [runId, indexFile] = latestIndex(reportDir);
    const runDir = path.join(reportDir, "runs", runId);
    const index = JSON.parse(fs.readFileSync(indexFile, "utf8")) as ContextIndex;
    const { files } = readSummary(runDir);
    const services = servicesOf(files);
    const firstSource = services.find((s) => s.hostSourcePath !== undefined)?.hostSourcePath;
    const sourceDir = firstSource !== undefined && fs.existsSync(firstSource) ? firstSource : ".";
    const { patch, checkout } = readCheckoutPatch({
        files,
        services,
        base: base ?? defaultPatchBase(sourceDir),
        followRenames: true,
    });
    const reportRoots = readHarvestJson(runDir).services;
    const indexed = (change: PatchFile): IndexedFile => {
        const coverage = files.find((f) => f.service === change.service && f.path === change.path) as FileCoverage;
        const root = (reportRoots[change.service]?.reportRoot ?? change.service).replace(/\/+$/, "");
        const ranCopy = path.join(runDir, "sources", change.service, change.path);
        // The checkout's file by its git path: one renamed since the run is the run's file under its old name.
        // A patch with files was read in a checkout.
        const current = path.join(checkout as string, change.gitPath);
        return {
            indexName: `${root}/${change.path}`,
            coverage,
            ...(fs.existsSync(ranCopy) && fs.existsSync(current)
                ? { sinceRun: changesSinceRun(ranCopy, current) }
                : {}),
        };
    };
    return changedTests(patch, index, runId, indexed);
}
