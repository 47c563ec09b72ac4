import * as fs from "fs";
import * as path from "path";
import { readHarvestedCoverage, HarvestedCoverage } from "../../components/summary/readRunSummary";
import { DEMO_TEST_COMMAND } from "./demoExpectations";
import { StackRun, measureDemo } from "./stackRun";
import { docker } from "./engine";
import { ExecutedLines, referenceRun } from "./oracle";

jest.setTimeout(8 * 60 * 1000);

const IMAGE = "coverage-spy/demo-app:bookworm"; // Python 3.11, like the host's reference run
/** Two subsets of the demo's suite that reach different code: pricing and reports (subprocesses) vs inventory. */
const SUBSET_A = `${DEMO_TEST_COMMAND} -k price -k bulk -k report`;
const SUBSET_B = `${DEMO_TEST_COMMAND} -k inventory -k unknown_route -k health`;
const SNAPSHOT = "node bin/cli/main.js snapshot";

function executed(summary: { files: Array<{ path: string; executedLines: number[] }> }): ExecutedLines {
    return Object.fromEntries(summary.files.map((f) => [f.path, f.executedLines]));
}

function union(a: ExecutedLines, b: ExecutedLines): ExecutedLines {
    const files = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return Object.fromEntries(
        files.map((f) => [f, [...new Set([...(a[f] ?? []), ...(b[f] ?? [])])].sort((x, y) => x - y)]),
    );
}

/** Lines per file that one reference run executed and the other did not. */
function only(a: ExecutedLines, b: ExecutedLines): ExecutedLines {
    return Object.fromEntries(
        Object.entries(a).map(([f, lines]) => [f, lines.filter((n) => !(b[f] ?? []).includes(n))]),
    );
}

function intersect(a: ExecutedLines, b: ExecutedLines): ExecutedLines {
    return Object.fromEntries(
        Object.entries(a).map(([f, lines]) => [f, lines.filter((n) => (b[f] ?? []).includes(n))]),
    );
}

function withoutEmpty(lines: ExecutedLines): ExecutedLines {
    return Object.fromEntries(Object.entries(lines).filter(([, l]) => l.length > 0));
}

/** The one snapshot a run took, read back from its report folder. */
function onlySnapshot(run: StackRun): HarvestedCoverage {
    const dir = path.join(run.runDir, "snapshots");
    const ids = fs.readdirSync(dir);
    expect(ids).toHaveLength(1);
    return readHarvestedCoverage({
        runDir: path.join(dir, ids[0]),
        runId: run.runId,
        services: [{ name: run.service.name, sourcePath: run.service.sourcePath! }],
    });
}

describe("runs of one stack, snapshots and resets, against the reference", () => {
    let refA: ExecutedLines;
    let refB: ExecutedLines;
    const runs: StackRun[] = [];

    beforeAll(async () => {
        refA = await referenceRun(SUBSET_A);
        refB = await referenceRun(SUBSET_B);
    });
    afterAll(() => runs.forEach((r) => r.cleanup()));

    it("the two subsets reach different code (else the tests below prove nothing)", () => {
        expect(withoutEmpty(only(refA, refB))).not.toEqual({});
        expect(withoutEmpty(only(refB, refA))).not.toEqual({});
    });

    it("gives two consecutive runs of one stack their own, correct results", () => {
        const stack = `itest-iso-${process.pid}`;
        const first = measureDemo(stack, IMAGE, SUBSET_A, "fail");
        runs.push(first);
        const second = measureDemo(stack, IMAGE, SUBSET_B, "fail");
        runs.push(second);
        expect(executed(first.summary)).toEqual(refA);
        expect(executed(second.summary)).toEqual(refB);
        // Both runs' data sit side by side in the one volume; the second harvest read only its own.
        expect(
            docker(
                "run",
                "--rm",
                "-v",
                `${second.volumeName}:/data:ro`,
                "--entrypoint",
                "ls",
                "coverage-spy/harvester:latest",
                "/data/runs",
            )
                .split("\n")
                .sort(),
        ).toEqual([first.runId, second.runId].sort());
    });

    it("snapshots a live run: the lines hit so far, while the services run on; the final report has everything", () => {
        const run = measureDemo(
            `itest-snap-${process.pid}`,
            IMAGE,
            `${SUBSET_A} && ${SNAPSHOT} && ${SUBSET_B}`,
            "fail",
        );
        runs.push(run);
        const snapshot = onlySnapshot(run);
        const snap = executed(snapshot);
        // Everything only subset A reaches is in the snapshot, nothing only B reaches.
        expect(intersect(only(refA, refB), snap)).toEqual(only(refA, refB));
        expect(withoutEmpty(intersect(only(refB, refA), snap))).toEqual({});
        // Every process was live and answered; the final run is the two subsets together, exactly.
        expect(snapshot.services.demo.dataFiles).toBeGreaterThanOrEqual(4);
        expect(executed(run.summary)).toEqual(union(refA, refB));
        expect(run.summary.lostProcesses).toEqual([]);
    });

    it("resets a live run: what ran before is discarded, what runs after is measured", () => {
        const run = measureDemo(
            `itest-reset-${process.pid}`,
            IMAGE,
            `${SUBSET_A} && ${SNAPSHOT} --reset && ${SUBSET_B}`,
            "fail",
        );
        runs.push(run);
        const final = executed(run.summary);
        expect(withoutEmpty(intersect(only(refA, refB), final))).toEqual({});
        expect(intersect(only(refB, refA), final)).toEqual(only(refB, refA));
        // Subset B never prices anything: after the reset, not even pricing.py's import-time lines remain.
        expect(final["demo_app/pricing.py"]).toEqual([]);
        // The /report subprocesses ended before the reset: their data and records went with it.
        expect(run.summary.services.demo.processes).toEqual({ ended: 4, interrupted: 0, lost: 0 });
    });
});
