import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandSpelling, NPM_SCRIPTS } from "../project/commandSpelling";

/** A lock a `pulumi up` holds on a stack in a file backend (.pulumi/locks/<org>/<project>/<stack>/<id>.json). */
export interface StackLock {
    file: string;
    pid: number;
    username: string;
    hostname: string;
    timestamp: string;
}

/** The folder of a stack's locks in a file backend ("file:///path" or a plain path). */
export function stackLockDir(
    backendUrl: string,
    project: string,
    stack: string,
    organization = "organization",
): string {
    const root = backendUrl.replace(/^file:\/\//, "");
    return path.join(root, ".pulumi", "locks", organization, project, stack);
}

export function readStackLocks(lockDir: string): StackLock[] {
    if (!fs.existsSync(lockDir)) return [];
    return fs
        .readdirSync(lockDir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => {
            const file = path.join(lockDir, f);
            let content: Omit<StackLock, "file">;
            try {
                content = JSON.parse(fs.readFileSync(file, "utf8")) as Omit<StackLock, "file">;
            } catch {
                // Being written right now, or gone meanwhile: a lock nobody can be shown to have left, so a live one.
                content = { pid: 0, username: "(unknown)", hostname: "(being written)", timestamp: "now" };
            }
            return {
                file,
                pid: content.pid,
                username: content.username,
                hostname: content.hostname,
                timestamp: content.timestamp,
            };
        });
}

/** Whether a process (or, with a negative pid, a process group) of this host is gone. */
export function processGone(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "ESRCH";
    }
    // A killed process that nobody has reaped yet (a zombie) still answers, but it holds nothing any more.
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    } catch {
        return false;
    }
}

/** Whether the process holding a lock is known to be gone: only decidable for a lock taken on this host. */
export function isStale(lock: StackLock, hostname = os.hostname()): boolean {
    return lock.hostname === hostname && processGone(lock.pid);
}

/** Removes a lock file and the `.attrs` file the backend's blob store keeps beside it. */
export function removeLock(lock: StackLock): void {
    fs.rmSync(lock.file, { force: true });
    fs.rmSync(`${lock.file}.attrs`, { force: true });
}

/** Removes the locks in a stack's lock folder whose process is gone from this host; returns them. */
export function removeStaleLocks(lockDir: string): StackLock[] {
    const stale = readStackLocks(lockDir).filter((lock) => isStale(lock));
    stale.forEach(removeLock);
    return stale;
}

export function describeLock(lock: StackLock): string {
    return `pid ${lock.pid} of ${lock.username}@${lock.hostname} since ${lock.timestamp}`;
}

/**
 * The engine's lock error, said plainly: who holds the lock, and how to clear it if its holder is gone. A
 * checkpoint read while another update writes it ("failed to load checkpoint: EOF") is the same situation.
 */
export function explainLock(
    message: string,
    stack: string,
    lockDir: string,
    spell: CommandSpelling = NPM_SCRIPTS,
): string | null {
    if (!message.includes("the stack is currently locked") && !/failed to load checkpoint/.test(message)) return null;
    const locks = readStackLocks(lockDir);
    const stale = locks.filter((l) => isStale(l));
    const unlock = `  ${spell("unlock", `--stack ${stack}`)}`;
    const held = locks.map((l) => `  ${describeLock(l)}${isStale(l) ? " (that process is gone)" : ""}  (${l.file})`);
    if (locks.length === 0)
        return message.includes("the stack is currently locked")
            ? `stack ${stack} was locked by another update, and the lock is gone now: try again`
            : `stack ${stack}'s state could not be read (${/failed to load checkpoint[^\n]*/.exec(message)![0]}), most ` +
                  "likely while another update wrote it: try again. If it persists, `pulumi stack export` shows the damage.";
    if (stale.length === locks.length) {
        return [
            `stack ${stack} is locked by an update whose process is gone (killed?):`,
            ...held,
            "Clear the stale lock with:",
            unlock,
        ].join("\n");
    }
    return [
        `stack ${stack} is locked by another update:`,
        ...held,
        "Wait for that update to finish. If its process was killed, clear the stale lock with:",
        unlock,
    ].join("\n");
}
