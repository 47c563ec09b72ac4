import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { checkOneShotExit, demuxDockerLog } from "../../components/harvester/oneShotExit";
import { runFailure } from "../../components/gates/failTheUpdate";
import { summarizeRun } from "../../components/gates/gatedSummary";
import { FIXTURE_RUN_ID, reportDirWithFixtureRun, FIXTURE_SERVICES } from "./fixtures";

const services = FIXTURE_SERVICES;

function runDir(): string {
    return path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
}

describe("failures after the containers ran", () => {
    it("a one-shot container's non-zero exit fails with its logs", () => {
        expect(() => checkOneShotExit("harvesting coverage", 3, "no coverage data from service(s) shop")).toThrow(
            /harvesting coverage failed with exit code 3:\nno coverage data from service\(s\) shop/,
        );
        expect(() => checkOneShotExit("harvesting coverage", 3, "")).toThrow(pulumi.RunError);
        expect(() => checkOneShotExit("harvesting coverage", 0, "")).not.toThrow();
    });

    it("a one-shot container's log reads as text: Docker's stream headers are dropped", () => {
        const frame = (stream: number, text: string) =>
            `${String.fromCharCode(stream)}\0\0\0\0\0\0${String.fromCharCode(text.length)}${text}`;
        const raw =
            frame(2, "coverage-spy: no coverage data from service(s) shop\n") +
            frame(1, "combined 0 files\n") +
            frame(2, "\ufffd\ufffdlong\n");
        expect(demuxDockerLog(raw)).toBe(
            "coverage-spy: no coverage data from service(s) shop\ncombined 0 files\n\ufffd\ufffdlong\n",
        );
        expect(() => checkOneShotExit("harvesting coverage", 3, raw)).toThrow(
            /^coverage-spy: harvesting coverage failed with exit code 3:\ncoverage-spy: no coverage data from service\(s\) shop\ncombined 0 files/,
        );
        expect(demuxDockerLog("plain text\n")).toBe("plain text\n");
    });

    it("a red test suite is recorded, and fails the update only when asked, naming where the reports are", () => {
        const summary = summarizeRun({ runDir: runDir(), runId: FIXTURE_RUN_ID, services });
        expect(summary.tests.succeeded).toBe(false);
        expect(runFailure(summary, false)).toBeNull();
        expect(runFailure(summary, true)).toMatch(
            /^coverage-spy: the test suite failed \(exit code 1\)\. The coverage outputs and reports were written: .*\/runs\/20261124T120000Z-f1x7ur$/,
        );
    });

    it("missing reports fail with the run and the file named", () => {
        const dir = runDir();
        fs.rmSync(path.join(dir, "services", "worker"), { recursive: true });
        expect(() => summarizeRun({ runDir: dir, runId: FIXTURE_RUN_ID, services })).toThrow(
            /cannot read the reports of run 20261124T120000Z-f1x7ur .*services\/worker\/coverage.json/,
        );
    });

    it("evaluates the gates, and writes the summary as JSON and Markdown before anything can fail", () => {
        const dir = runDir();
        const passed = summarizeRun({ runDir: dir, runId: FIXTURE_RUN_ID, services }, { gates: { failUnder: 80 } });
        expect(passed.gate).toEqual({ failUnder: 80, passed: true, failures: [], notes: [] });
        expect(runFailure(passed, false)).toBeNull();
        const failed = summarizeRun(
            { runDir: dir, runId: FIXTURE_RUN_ID, services },
            { gates: { failUnder: 80.5, failUnderPerService: { worker: 75 } } },
        );
        expect(failed.gate).toEqual({
            failUnder: 80.5,
            failUnderPerService: { worker: 75 },
            passed: false,
            notes: [],
            failures: [
                "total coverage 80.00% is under failUnder 80.5%",
                "service worker coverage 73.33% is under its failUnder 75%",
            ],
        });
        expect(runFailure(failed, false)).toContain(
            "coverage gate failed: total coverage 80.00% is under failUnder 80.5%; coverage gate failed: service worker",
        );
        expect(JSON.parse(fs.readFileSync(failed.reports.summary, "utf8"))).toEqual(failed);
        expect(fs.readFileSync(failed.reports.markdown, "utf8")).toContain(
            "**Gates failed:**\n- total coverage 80.00% is under failUnder 80.5%",
        );
    });

    it("compares with a base stack's output: maxDrop and the delta", () => {
        const dir = runDir();
        const base = summarizeRun({ runDir: dir, runId: FIXTURE_RUN_ID, services });
        const better = { ...base, runId: "base-run", totals: { ...base.totals, percent: 85 } };
        const head = summarizeRun(
            { runDir: dir, runId: FIXTURE_RUN_ID, services },
            { gates: { maxDrop: 2 }, baseStack: "main", baseOutput: JSON.parse(JSON.stringify(better)) },
        );
        expect(head.gate).toEqual({
            maxDrop: 2,
            baseStack: "main",
            baseRunId: "base-run",
            passed: false,
            notes: [],
            failures: ["total coverage dropped 5.00 points (85.00% → 80.00%), more than maxDrop 2"],
        });
        expect(fs.readFileSync(head.reports.markdown, "utf8")).toContain("## Coverage 80.00% (−5.00 vs base)");
        expect(() =>
            summarizeRun(
                { runDir: dir, runId: FIXTURE_RUN_ID, services },
                { gates: { maxDrop: 2 }, baseStack: "main", baseOutput: { schemaVersion: 9 } },
            ),
        ).toThrow(
            "the coverage output of base stack main has summary schemaVersion 9; this coverage-spy reads versions 1, 2",
        );
    });
});
