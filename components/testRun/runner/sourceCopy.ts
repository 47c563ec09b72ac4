// The measured source, copied out of each stopped container, so reports use exactly what ran.
import * as fs from "fs";
import * as path from "path";
import { ServiceDescription } from "./description";
import { docker } from "./docker";
import { RunFailure } from "./log";

/** Copies each measured service's source into <runDir>/sources/<name>; unmeasured ones (a database) have none. */
export async function copySources(services: ServiceDescription[], runDir: string): Promise<void> {
    for (const s of services) {
        if (s.sourcePath === undefined || s.sourcePath === "") continue;
        const source = s.sourcePath.replace(/\/+$/, "");
        const target = path.join(runDir, "sources", s.name);
        fs.rmSync(target, { recursive: true, force: true });
        const result = await docker(["cp", `${s.containerName}:${source}/.`, target]);
        if (result.status !== 0) {
            if (result.stderr.trim() !== "")
                process.stderr.write(result.stderr.endsWith("\n") ? result.stderr : `${result.stderr}\n`);
            throw new RunFailure(`could not copy ${s.sourcePath} out of service ${s.name}`);
        }
    }
}
