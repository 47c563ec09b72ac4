import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { explainLock, readStackLocks, removeStaleLocks } from "../../cli/recovery/stackLocks";
import { tempDir } from "./fixtures";

const LOCKED = "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end";
const CHECKPOINT = "error: failed to load checkpoint: EOF";

function lockIn(dir: string, name: string, pid: number, hostname = os.hostname()): void {
    fs.writeFileSync(
        path.join(dir, `${name}.json`),
        JSON.stringify({ pid, username: "u", hostname, timestamp: "2026-12-05T10:00:00Z" }),
    );
}

describe("the engine's lock errors, said plainly", () => {
    it("names a live holder, and says a checkpoint read during its write is the same refusal", () => {
        const dir = tempDir();
        lockIn(dir, "a", process.pid);
        for (const message of [LOCKED, CHECKPOINT]) {
            const said = explainLock(message, "feat", dir)!;
            expect(said).toMatch(/^stack feat is locked by another update:\n {2}pid \d+ of u@/);
            expect(said).toContain("Wait for that update to finish");
        }
    });

    it("offers coverage:unlock for a holder that is gone", () => {
        const dir = tempDir();
        lockIn(dir, "a", 2 ** 22 + 1); // above the kernel's pid_max default: no such process
        expect(explainLock(LOCKED, "feat", dir)).toContain("npm run coverage:unlock -- --stack feat");
    });

    it("without a lock: try again, or the state file is damaged", () => {
        const dir = tempDir();
        expect(explainLock(LOCKED, "feat", dir)).toBe(
            "stack feat was locked by another update, and the lock is gone now: try again",
        );
        expect(explainLock(CHECKPOINT, "feat", dir)).toMatch(
            /state could not be read \(failed to load checkpoint: EOF\)/,
        );
        expect(explainLock("error: something else", "feat", dir)).toBeNull();
    });

    it("takes a lock file being written for a live lock, not an error", () => {
        const dir = tempDir();
        fs.writeFileSync(path.join(dir, "half.json"), '{"pid": 12');
        const [lock] = readStackLocks(dir);
        expect(lock.hostname).toBe("(being written)");
        expect(explainLock(LOCKED, "feat", dir)).toContain("is locked by another update");
    });

    it("removes only the locks whose process is gone from this host", () => {
        const dir = tempDir();
        lockIn(dir, "live", process.pid);
        lockIn(dir, "gone", 2 ** 22 + 1);
        lockIn(dir, "elsewhere", 2 ** 22 + 1, "another-host");
        expect(removeStaleLocks(dir).map((l) => path.basename(l.file))).toEqual(["gone.json"]);
        expect(fs.readdirSync(dir).sort()).toEqual(["elsewhere.json", "live.json"]);
    });
});
