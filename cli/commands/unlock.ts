// unlock: clears the lock a killed update left on a stack in a file backend, safely.
import { targetBackendUrl, targetWorkspace } from "../project/stackWorkspace";
import { describeLock, isStale, readStackLocks, removeLock, stackLockDir } from "../recovery/stackLocks";
import { describeEngineProcesses, endProcesses, orphanedEngineProcesses } from "../recovery/engineProcesses";
import { parseCommandArgs } from "./commandArgs";
import { TARGET_OPTIONS, commandTarget } from "./target";

const USAGE = "usage: coverage-spy unlock [--stack NAME] [--cwd DIR] [--force]";
/** Exit code when a lock was kept (its process is alive, or on another host). */
export const EXIT_KEPT = 3;

/**
 * Ends the stack's engine processes whose command is gone (a CLI left sleeping on a cancelled update holds the
 * lock alive), then lists the stack's locks and removes those whose process is gone from this host. A lock taken
 * on another host, or by a live process, stays unless --force (which is what `pulumi cancel` does to every lock).
 * Returns the exit code.
 */
export async function runUnlock(argv: string[]): Promise<number> {
    const args = parseCommandArgs(argv, { values: TARGET_OPTIONS, flags: ["--force"] }, USAGE);
    const force = args.flags.has("--force");
    const target = await commandTarget(args);
    const backendUrl = await targetBackendUrl(target, () => targetWorkspace(target));
    if (!backendUrl.startsWith("file://"))
        throw new Error(
            `the backend is ${backendUrl || "unknown"}, not a file backend: its locks are not files this command ` +
                `can clear; \`pulumi cancel --stack ${target.stack}\` cancels the update that holds one`,
        );
    const orphans = orphanedEngineProcesses(target.stackName);
    if (orphans.length > 0) {
        const { stuck } = endProcesses(orphans.map((p) => p.pid));
        process.stdout.write(
            `ended ${describeEngineProcesses(orphans)} whose driver is gone${stuck.length ? ` (still there: ${stuck.join(", ")})` : ""}\n`,
        );
    }
    const locks = readStackLocks(stackLockDir(backendUrl, target.project.name, target.stackName));
    process.stdout.write(`stack ${target.stack} (${target.stackReason}): ${locks.length} lock(s)\n`);
    let kept = 0;
    for (const lock of locks) {
        if (force || isStale(lock)) {
            removeLock(lock);
            process.stdout.write(
                `removed lock: ${describeLock(lock)}${force ? " (--force)" : ": its process is gone"}\n`,
            );
        } else {
            kept += 1;
            process.stdout.write(
                `kept lock: ${describeLock(lock)}: its process is alive or on another host (--force removes it)\n`,
            );
        }
    }
    return kept > 0 ? EXIT_KEPT : 0;
}
