import * as fs from "fs";
import * as os from "os";
import * as path from "path";

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
            const content = JSON.parse(fs.readFileSync(file, "utf8")) as Omit<StackLock, "file">;
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

export function describeLock(lock: StackLock): string {
    return `pid ${lock.pid} of ${lock.username}@${lock.hostname} since ${lock.timestamp}`;
}
