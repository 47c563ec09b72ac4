// The measured source, copied out of each stopped service (its container, or its image), so reports use exactly
// what ran.
import * as fs from "fs";
import * as path from "path";
import { ServiceDescription } from "./description";
import { CopyResult, Engine } from "./engines/engine";
import { RunFailure } from "./log";

async function copyOne(engine: Engine, s: ServiceDescription, runDir: string): Promise<CopyResult> {
    const target = path.join(runDir, "sources", s.name);
    fs.rmSync(target, { recursive: true, force: true });
    return engine.copySource(s, target);
}

const failed = (r: CopyResult) => r.said !== undefined || r.failure !== undefined;

/**
 * Copies each measured service's source into <runDir>/sources/<name>, all at once; unmeasured ones (a database) have
 * none. Every copy ends before it returns; a failed one is named (the first in the services' order), after what
 * the engine said.
 */
export async function copySources(engine: Engine, services: ServiceDescription[], runDir: string): Promise<void> {
    const measured = services.filter((s) => s.sourcePath !== undefined && s.sourcePath !== "");
    const results = await Promise.all(measured.map((s) => copyOne(engine, s, runDir)));
    const first = results.findIndex(failed);
    if (first === -1) return;
    const said = (results[first].said ?? "").trim();
    if (said !== "") process.stderr.write(`${said}\n`);
    throw new RunFailure(
        results[first].failure ?? `could not copy ${measured[first].sourcePath} out of service ${measured[first].name}`,
    );
}
