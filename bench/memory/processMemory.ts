// The memory of a container's processes as the kernel accounts it, read from this machine's /proc (root, or the
// processes' owner, may read it): run by the memory benchmark while the services are up, after the suite.
//
//   node bin/bench/memory/processMemory.js CONTAINER OUT.json
// Writes [{pid, command, rssKb, pssKb, ussKb}] for every process of the container but its init (docker-init).
import { spawnSync } from "child_process";
import * as fs from "fs";

/** One process's memory: resident, proportional (shared pages split among their users) and private (its own). */
export interface ProcessMemory {
    pid: number;
    command: string;
    rssKb: number;
    pssKb: number;
    ussKb: number;
}

/** The host pids and commands of a container's processes (`docker top`), its init left out. */
function containerProcesses(container: string): Array<{ pid: number; command: string }> {
    const top = spawnSync("docker", ["top", container, "-eo", "pid,args"], { encoding: "utf8" });
    if (top.status !== 0) throw new Error(`docker top ${container} failed: ${top.stderr}`);
    return top.stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null && !m[2].includes("docker-init"))
        .map((m) => ({ pid: Number(m[1]), command: m[2] }));
}

/** The kB of each field of /proc/<pid>/smaps_rollup (the sums over the process's mappings). */
function smapsRollup(pid: number): Record<string, number> {
    const fields: Record<string, number> = {};
    for (const line of fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").split("\n")) {
        const m = /^(\w+):\s+(\d+) kB/.exec(line);
        if (m) fields[m[1]] = Number(m[2]);
    }
    return fields;
}

export function processMemory(container: string): ProcessMemory[] {
    return containerProcesses(container).map(({ pid, command }) => {
        const f = smapsRollup(pid);
        return {
            pid,
            command,
            rssKb: f.Rss,
            pssKb: f.Pss,
            ussKb: (f.Private_Clean ?? 0) + (f.Private_Dirty ?? 0),
        };
    });
}

if (require.main === module) {
    const [container, out] = process.argv.slice(2);
    if (!container || !out) throw new Error("usage: processMemory.js CONTAINER OUT.json");
    fs.writeFileSync(out, JSON.stringify(processMemory(container), null, 2));
}
