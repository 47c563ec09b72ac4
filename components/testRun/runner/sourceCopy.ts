// The measured source, copied out of each stopped container, so reports use exactly what ran.
import * as fs from "fs";
import * as path from "path";
import { ServiceDescription } from "./description";
import { docker } from "./docker";
import { RunFailure } from "./log";

async function copyOne(s: ServiceDescription, runDir: string): Promise<string | undefined> {
    const source = (s.sourcePath ?? "").replace(/\/+$/, "");
    const target = path.join(runDir, "sources", s.name);
    fs.rmSync(target, { recursive: true, force: true });
    const result = await docker(["cp", `${s.containerName}:${source}/.`, target]);
    return result.status === 0 ? undefined : result.stderr;
}

/**
 * Copies each measured service's source into <runDir>/sources/<name>, all at once; unmeasured ones (a database) have
 * none. Every copy ends before it returns; a failed one is named (the first in the services' order), after what
 * Docker said.
 */
export async function copySources(services: ServiceDescription[], runDir: string): Promise<void> {
    const measured = services.filter((s) => s.sourcePath !== undefined && s.sourcePath !== "");
    const failures = await Promise.all(measured.map((s) => copyOne(s, runDir)));
    const failed = measured.findIndex((_, i) => failures[i] !== undefined);
    if (failed === -1) return;
    const said = failures[failed]!.trim();
    if (said !== "") process.stderr.write(`${said}\n`);
    throw new RunFailure(`could not copy ${measured[failed].sourcePath} out of service ${measured[failed].name}`);
}
