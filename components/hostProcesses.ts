import * as fs from "fs";

/** A process of this host, as another process of its user can see it. */
export interface HostProcess {
    pid: number;
    /** Its environment, "NAME=value" each. */
    env: string[];
    /** Its program's file name (argv[0] without folders). */
    name: string;
}

/**
 * This host's processes but this one, with their environments, from /proc: the way coverage-spy finds the
 * processes it started (their environment carries its variables). Elsewhere (macOS) there is no /proc to read
 * another process's environment from, and this finds none.
 */
export function hostProcesses(proc = "/proc"): HostProcess[] {
    let entries: string[];
    try {
        entries = fs.readdirSync(proc).filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
    } catch {
        return [];
    }
    return entries.flatMap((entry) => {
        try {
            const env = fs.readFileSync(`${proc}/${entry}/environ`, "utf8").split("\0");
            // argv[0], not comm, which the kernel cuts to 15 characters ("pulumi-resource" for every plugin).
            const argv0 = fs.readFileSync(`${proc}/${entry}/cmdline`, "utf8").split("\0")[0];
            return [{ pid: Number(entry), env, name: argv0.slice(argv0.lastIndexOf("/") + 1) }];
        } catch {
            return []; // ended meanwhile, or not ours to read
        }
    });
}
