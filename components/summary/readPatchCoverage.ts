import * as fs from "fs";
import * as path from "path";
import { FileCoverage, PatchCoverage } from "./coverageSummary";
import { checkoutChanges, checkoutRoot } from "./gitChanges";
import { patchCoverage, unavailablePatch } from "./patchCoverage";

/** A measured service, as patch coverage sees it: its source in the checkout, if it names one. */
export interface PatchService {
    name: string;
    hostSourcePath?: string;
}

export interface PatchInput {
    files: FileCoverage[];
    services: PatchService[];
    /** The patchBase option, resolved. */
    base: string;
    /**
     * Match a renamed file the run measured under its old name: for `who --changed` on the index of a run older than
     * the rename, which maps the checkout's lines to the run's itself (the file's patch figures would compare the new
     * file's line numbers with the old file's statements). A run of this checkout measured the new name.
     */
    followRenames?: boolean;
}

function names(services: PatchService[]): string {
    return services.map((s) => s.name).join(", ");
}

/** `target`'s path inside `root` with "/" separators, or undefined when it lies outside. */
function inside(root: string, target: string): string | undefined {
    const relative = path.relative(root, target);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
    return relative.split(path.sep).join("/");
}

/**
 * Patch coverage of a run, read on the host: the git checkout holding the services' hostSourcePath is diffed against
 * its base, and each changed file is matched to a measured file through its host path (symbolic links resolved, as
 * git resolves its top folder). A service without hostSourcePath, or with one outside that checkout, is said once in
 * the notes; no checkout, or a base git cannot find, gives a patch that says why it is unavailable.
 */
export function readPatchCoverage(input: PatchInput): PatchCoverage {
    return readCheckoutPatch(input).patch;
}

/**
 * readPatchCoverage's patch, and the checkout's top folder it was read in (symbolic links resolved; its files'
 * `gitPath`s are relative to it), when there was one.
 */
export function readCheckoutPatch(input: PatchInput): { patch: PatchCoverage; checkout?: string } {
    const unavailable = (reason: string, notes: string[]) => ({ patch: unavailablePatch(reason, notes) });
    const withSource = input.services.filter((s) => s.hostSourcePath !== undefined);
    const without = input.services.filter((s) => s.hostSourcePath === undefined);
    const notes: string[] = [];
    if (without.length > 0)
        notes.push(
            `no patch coverage for ${names(without)}: ${without.length === 1 ? "it names" : "they name"} no hostSourcePath (the service's source in this checkout)`,
        );
    if (withSource.length === 0)
        return unavailable("no measured service names hostSourcePath, the folder of its source in a git checkout", []);
    const first = withSource[0].hostSourcePath as string;
    const root = fs.existsSync(first) ? checkoutRoot(first) : undefined;
    if (root === undefined) return unavailable(`hostSourcePath ${first} is in no git checkout`, notes);
    const realRoot = fs.realpathSync(root);

    const sourceInCheckout = new Map<string, string>();
    const outside: PatchService[] = [];
    for (const service of withSource) {
        const source = service.hostSourcePath as string;
        const real = fs.existsSync(source) ? fs.realpathSync(source) : source;
        if (real !== realRoot && inside(realRoot, real) === undefined) outside.push(service);
        else sourceInCheckout.set(service.name, real);
    }
    if (outside.length > 0)
        notes.push(`no patch coverage for ${names(outside)}: hostSourcePath outside the checkout ${root}`);

    const measured = new Map<string, FileCoverage>();
    for (const file of input.files) {
        const real = sourceInCheckout.get(file.service);
        const service = withSource.find((s) => s.name === file.service);
        if (real === undefined || file.hostPath === undefined || service === undefined) continue;
        const gitPath = inside(
            realRoot,
            path.join(real, path.relative(service.hostSourcePath as string, file.hostPath)),
        );
        if (gitPath !== undefined) measured.set(gitPath, file);
    }
    let changes;
    try {
        changes = checkoutChanges(root, input.base);
    } catch (err) {
        return unavailable((err as Error).message, notes);
    }
    const base = { ref: changes.ref, commit: changes.commit };
    return {
        patch: patchCoverage(changes.files, measured, base, notes, input.followRenames ?? false),
        checkout: realRoot,
    };
}
