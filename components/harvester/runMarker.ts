import * as fs from "fs";
import * as path from "path";

/**
 * The file the harvest (coverage-spy/harvest.py, write_marker) writes into every run folder it makes under
 * `<reportDir>/runs/`: {"tool": "coverage-spy", "project", "stack", "runId", "harvested"}. Only a folder carrying one
 * that names the stack and the folder's own name is a run coverage-spy may remove; anything else there is the user's
 * or another stack's.
 */
export const RUN_MARKER = ".coverage-spy-run.json";
const MARKER_TOOL = "coverage-spy";

interface RunMarker {
    tool?: unknown;
    project?: unknown;
    stack?: unknown;
    runId?: unknown;
}

/** The marker of a folder, or undefined: none, not a regular file, or not readable as JSON. */
function readMarker(folder: string): RunMarker | undefined {
    const file = path.join(folder, RUN_MARKER);
    try {
        if (!fs.lstatSync(file).isFile()) return undefined;
        const marker: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
        return typeof marker === "object" && marker !== null ? (marker as RunMarker) : undefined;
    } catch {
        return undefined;
    }
}

/** Whether a path is a folder itself, not a link to one (a link's target is not the run's to remove). */
function isRealFolder(folder: string): boolean {
    try {
        return fs.lstatSync(folder).isDirectory();
    } catch {
        return false;
    }
}

/**
 * Whether `folder` is a run of `stack` (of `project`, when given) that coverage-spy wrote, as its marker proves. A
 * marker counts only in the folder it was written for: one copied along with a folder elsewhere names another run id.
 */
export function isRunFolderOf(folder: string, stack: string, project?: string): boolean {
    if (!isRealFolder(folder)) return false;
    const marker = readMarker(folder);
    return (
        marker !== undefined &&
        marker.tool === MARKER_TOOL &&
        marker.stack === stack &&
        (project === undefined || marker.project === project) &&
        marker.runId === path.basename(folder)
    );
}
