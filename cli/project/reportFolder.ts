import * as fs from "fs";
import * as path from "path";
import { CommandSpelling, NPM_SCRIPTS } from "./commandSpelling";
import { isRunFolderOf } from "../../components/harvester/runMarker";

/** The report folder a stack gets when its config names none (optionTable's reportDir default). */
export function defaultReportFolder(projectDir: string, stack: string): string {
    return path.join(projectDir, "reports", stack);
}

/** Bytes under a folder, links not followed. */
function folderBytes(folder: string): number {
    let total = 0;
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) total += folderBytes(full);
        else total += fs.lstatSync(full).size;
    }
    return total;
}

function megabytes(bytes: number): string {
    return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/**
 * After a destroy: the stack's default report folder stays (its reports outlive the stack, for CI to keep) and this
 * says where and how big; with `remove`, the runs coverage-spy wrote there are removed, each proven ours by the
 * harvest's marker, and the folder too once nothing else is in it. Undefined when there is no such folder.
 */
export function describeReportFolder(
    projectDir: string,
    stack: string,
    remove: boolean,
    spell: CommandSpelling = NPM_SCRIPTS,
): string | undefined {
    const folder = defaultReportFolder(projectDir, stack);
    if (!fs.existsSync(folder)) return undefined;
    const shown = path.relative(projectDir, folder);
    if (!remove)
        return (
            `kept the stack's reports in ${shown} (${megabytes(folderBytes(folder))}); ` +
            `${spell("destroy", `--stack ${stack} --remove-reports`)} removes them`
        );
    const runs = path.join(folder, "runs");
    const ours = fs.existsSync(runs)
        ? fs.readdirSync(runs).filter((run) => isRunFolderOf(path.join(runs, run), stack))
        : [];
    for (const run of ours) fs.rmSync(path.join(runs, run), { recursive: true, force: true });
    for (const empty of [runs, folder])
        if (fs.existsSync(empty) && fs.readdirSync(empty).length === 0) fs.rmdirSync(empty);
    return fs.existsSync(folder)
        ? `removed ${ours.length} run(s) from ${shown}; kept what coverage-spy did not write there`
        : `removed the stack's reports (${shown}, ${ours.length} run(s))`;
}
