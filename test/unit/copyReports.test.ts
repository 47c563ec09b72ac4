import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tempDir } from "./fixtures";
import { runnerProgram } from "./runnerProgram";

const PROGRAM = runnerProgram("copyReportsMain");

/** A docker whose `cp` copies FROM's files (given as a host folder) into TO, or fails when FAKE_CP_FAIL is set. */
const FAKE_DOCKER = `#!/bin/bash
printf '%s\\n' "$*" >> "$DOCKER_LOG"
[ "$1" = cp ] || exit 2
[ -z "\${FAKE_CP_FAIL:-}" ] || { echo "Error: No such container:path: $2" >&2; exit 1; }
cp -r "\${2#*:}" "$3"
`;

function copy(env: Record<string, string>, unset: string[] = []) {
    const work = tempDir();
    fs.mkdirSync(path.join(work, "bin"));
    fs.writeFileSync(path.join(work, "bin", "docker"), FAKE_DOCKER, { mode: 0o755 });
    const from = path.join(work, "in-container");
    fs.mkdirSync(path.join(from, "total"), { recursive: true });
    fs.writeFileSync(path.join(from, "total", "coverage.json"), "{}");
    const to = path.join(work, "reports", "runs", "r1");
    const fullEnv: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${path.join(work, "bin")}:${process.env.PATH}`,
        DOCKER_LOG: path.join(work, "docker.log"),
        COVERAGE_SPY_HARVESTER: "coverage-spy-s-harvester",
        COVERAGE_SPY_FROM: from,
        COVERAGE_SPY_TO: to,
        COVERAGE_SPY_HARVEST_EXIT: "0",
        ...env,
    };
    for (const name of unset) delete fullEnv[name];
    const result = spawnSync(process.execPath, [PROGRAM], { encoding: "utf8", env: fullEnv });
    const log = path.join(work, "docker.log");
    return { result, to, calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim() : "" };
}

describe("copying a remote engine's reports back (components/testRun/runner/copyReportsMain.ts)", () => {
    it("copies the run's report folder out of the harvester into the run folder on this machine", () => {
        const { result, to, calls } = copy({});
        expect(result.status).toBe(0);
        expect(calls).toMatch(/^cp coverage-spy-s-harvester:.*\/in-container\/\. .*\/reports\/runs\/r1$/);
        expect(fs.existsSync(path.join(to, "total", "coverage.json"))).toBe(true);
        expect(result.stderr).toMatch(/reports copied from the engine in \d+ ms/);
    });

    it("fails naming the harvester when its reports cannot be copied", () => {
        const { result } = copy({ FAKE_CP_FAIL: "1" });
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/error: could not copy the reports out of coverage-spy-s-harvester/);
    });

    it("leaves the failure to the harvester's own message when the harvester failed", () => {
        const { result } = copy({ FAKE_CP_FAIL: "1", COVERAGE_SPY_HARVEST_EXIT: "3" });
        expect(result.status).toBe(0);
        expect(result.stderr).toContain("no reports to copy: the harvester failed (exit code 3)");
    });

    it("refuses to run without its parameters", () => {
        const { result, calls } = copy({}, ["COVERAGE_SPY_TO"]);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("COVERAGE_SPY_TO is not set");
        expect(calls).toBe("");
    });
});
