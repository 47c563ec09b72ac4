// The run's results packed for a remote engine, whose harvester cannot see this machine's run folder.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { RunFailure } from "./log";

/** Packs tests.json and sources/ of the run folder into `tar` (tar is on every Unix, GNU or BSD alike). */
export async function packRunResults(runDir: string, tar: string): Promise<void> {
    try {
        fs.mkdirSync(path.dirname(tar), { recursive: true });
    } catch {
        throw new RunFailure(`could not make the folder of ${tar}`);
    }
    const status = await new Promise<number>((resolve) => {
        const child = spawn("tar", ["-C", runDir, "-cf", tar, "tests.json", "sources"], { stdio: ["ignore", 2, 2] });
        child.once("error", () => resolve(127));
        child.once("close", (code) => resolve(code ?? 1));
    });
    if (status !== 0) throw new RunFailure(`could not pack the run's results into ${tar}`);
}
