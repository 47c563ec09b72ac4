import { spawn, spawnSync } from "child_process";
import * as path from "path";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { stackObjectName } from "../../components/naming";
import { DEMO_TEST_COMMAND } from "./demoExpectations";
import { REPO_ROOT, labelledObjects } from "./engine";
import { ExecutedLines, referenceRun } from "./oracle";

jest.setTimeout(8 * 60 * 1000);

const IMAGE = "coverage-spy/demo-app:bookworm";
const SUBSET_A = `${DEMO_TEST_COMMAND} -k price -k bulk -k report`;
const SUBSET_B = `${DEMO_TEST_COMMAND} -k inventory -k unknown_route -k health`;

interface ChildRun { summary: CoverageSummary; runDir: string; volumeName: string; networkName: string }

/** The ritual of one stack in its own Node process (the harness is synchronous), so two run at the same time. */
function ritualInChild(stack: string, testCommand: string): Promise<ChildRun> {
    const harness = path.join(REPO_ROOT, "bin", "test", "integration", "demoRitual.js");
    const code = `const r = require(${JSON.stringify(harness)}).measureDemo(process.argv[1], process.argv[2], process.argv[3], "fail");` +
        "process.stdout.write(JSON.stringify({ summary: r.summary, runDir: r.runDir, volumeName: r.volumeName, networkName: r.networkName }));";
    return new Promise((resolve, reject) => {
        const child = spawn("node", ["-e", code, stack, IMAGE, testCommand], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`stack ${stack} failed (${code}):\n${err}`))));
    });
}

/** Waits (at most 60 s) until the other stack's service runs: both stacks' services are then up at once. */
function afterOtherIsUp(other: string, command: string): string {
    return `for i in $(seq 300); do [ -n "$(docker ps -q --filter label=coverage-spy.stack=${other} --filter label=coverage-spy.role=service)" ] && break; sleep 0.2; done; ` +
        `[ -n "$(docker ps -q --filter label=coverage-spy.stack=${other} --filter label=coverage-spy.role=service)" ] || { echo "${other} never came up"; exit 1; }; ${command}`;
}

function executed(summary: CoverageSummary): ExecutedLines {
    return Object.fromEntries(summary.files.map((f) => [f.path, f.executedLines]));
}

describe("two branch stacks on one engine at the same time", () => {
    const main = `itest-par-main-${process.pid}`;
    const feature = `itest-par-feature-${process.pid}`;
    let runs: ChildRun[] = [];
    let refA: ExecutedLines;
    let refB: ExecutedLines;

    beforeAll(async () => {
        [refA, refB] = [await referenceRun(SUBSET_A), await referenceRun(SUBSET_B)];
        runs = await Promise.all([
            ritualInChild(main, afterOtherIsUp(feature, SUBSET_A)),
            ritualInChild(feature, afterOtherIsUp(main, SUBSET_B)),
        ]);
    });
    afterAll(() => {
        for (const stack of [main, feature]) {
            for (const c of labelledObjects("container", stack)) spawnSync("docker", ["rm", "-f", c]);
        }
        for (const run of runs) {
            spawnSync("docker", ["volume", "rm", run.volumeName]);
            spawnSync("docker", ["network", "rm", run.networkName]);
            spawnSync("rm", ["-rf", path.dirname(path.dirname(run.runDir))]);
        }
    });

    it("both complete, each with exactly its own suite's lines", () => {
        expect(executed(runs[0].summary)).toEqual(refA);
        expect(executed(runs[1].summary)).toEqual(refB);
        expect(runs.map((r) => r.summary.tests.succeeded)).toEqual([true, true]);
    });

    it("each has its own named and labelled objects, so neither sees the other's data", () => {
        expect(runs.map((r) => r.volumeName)).toEqual([stackObjectName(main, "data"), stackObjectName(feature, "data")]);
        expect(labelledObjects("volume", main)).toEqual([stackObjectName(main, "data")]);
        expect(labelledObjects("volume", feature)).toEqual([stackObjectName(feature, "data")]);
        expect(labelledObjects("container", main)).toEqual([stackObjectName(main, "demo")]);
        expect(labelledObjects("container", feature)).toEqual([stackObjectName(feature, "demo")]);
    });
});
