import { spawnSync } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "./engine";

/** The venv python with the pinned pytest (scripts/runner-venv.sh prints it last). */
export function pytestPython(): string {
    const venv = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "runner-venv.sh")], { encoding: "utf8" });
    if (venv.status !== 0) throw new Error(`scripts/runner-venv.sh failed: ${venv.stderr}`);
    return venv.stdout.trim().split("\n").pop()!;
}
