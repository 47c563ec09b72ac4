// Clears the lock a killed `pulumi up` left on a stack (file backend), safely.
//
//   node bin/scripts/unlock-stack.js [--stack NAME] [--force]
//
// Ends the stack's engine processes whose driver is gone (a CLI left sleeping on a cancelled update holds the lock
// alive), then lists the stack's locks and removes those whose process is gone from this host. A lock taken on
// another host, or by a live process, stays unless --force (which is what `pulumi cancel` does to every lock).
import { chooseStack } from "../components/stacks/stackName";
import { describeLock, isStale, readStackLocks, removeLock, stackLockDir } from "../components/stacks/stackLocks";
import { projectRoot } from "../components/programConfig";
import { describeEngineProcesses, endProcesses, orphanedEngineProcesses } from "../components/stacks/engineProcesses";

try {
    const argv = process.argv.slice(2);
    let explicit: string | undefined;
    let force = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") explicit = argv[++i];
        else if (argv[i] === "--force") force = true;
        else throw new Error(`unknown option ${argv[i]} (usage: unlock-stack [--stack NAME] [--force])`);
    }
    if (!process.env.PULUMI_BACKEND_URL?.startsWith("file://"))
        throw new Error("source scripts/pulumi-env.sh first: locks are cleared in a file backend");
    const { stack, reason } = chooseStack(explicit, process.env, projectRoot(__dirname));
    const orphans = orphanedEngineProcesses(stack);
    if (orphans.length > 0) {
        const { stuck } = endProcesses(orphans.map((p) => p.pid));
        process.stdout.write(
            `ended ${describeEngineProcesses(orphans)} whose driver is gone${stuck.length ? ` (still there: ${stuck.join(", ")})` : ""}\n`,
        );
    }
    const locks = readStackLocks(stackLockDir(process.env.PULUMI_BACKEND_URL, "coverage-spy", stack));
    process.stdout.write(`stack ${stack} (${reason}): ${locks.length} lock(s)\n`);
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
    process.exit(kept > 0 ? 3 : 0);
} catch (err) {
    process.stderr.write(`[coverage-spy] ${(err as Error).message}\n`);
    process.exit(1);
}
