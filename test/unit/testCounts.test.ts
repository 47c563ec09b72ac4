import * as fs from "fs";
import * as path from "path";
import { formatSummary } from "../../components/summary/formatSummary";
import { markdownSummary } from "../../components/summary/markdownSummary";
import { readRunSummary } from "../../components/summary/readRunSummary";
import { parseTestCounts } from "../../components/summary/testOutput";
import { FIXTURE_RUN_ID, FIXTURE_SERVICES, reportDirWithFixtureRun } from "./fixtures";

const UNITTEST_OK =
    "..........\n----------------------------------------------------------------------\nRan 10 tests in 0.012s\n\nOK\n";
const UNITTEST_TEN_ERRORS =
    "EEEEEEEEEE\n======================================================================\n" +
    "ERROR: test_a (test_api.T.test_a)\nTraceback (most recent call last):\nConnectionRefusedError: [Errno 111]\n" +
    "----------------------------------------------------------------------\nRan 10 tests in 0.020s\n\nFAILED (errors=10)\n";

describe("parseTestCounts over several runners in one test command", () => {
    it("sums two unittest runs, the second failing with FAILED (errors=10)", () => {
        expect(parseTestCounts(UNITTEST_OK + UNITTEST_TEN_ERRORS)).toEqual({ passed: 10, failed: 10 });
        expect(parseTestCounts(UNITTEST_TEN_ERRORS + UNITTEST_OK)).toEqual({ passed: 10, failed: 10 });
    });

    it("sums pytest, unittest, jest and the plain line", () => {
        const log = [
            "============ 5 passed, 2 failed, 1 error in 1.20s ============",
            "FAILED tests/test_cart.py::test_total - AssertionError",
            UNITTEST_OK,
            "Test Suites: 1 failed, 1 passed, 2 total",
            "Tests:       1 failed, 3 passed, 4 total",
            "summary: 7 passed, 0 failed",
        ].join("\n");
        expect(parseTestCounts(log)).toEqual({ passed: 5 + 10 + 3 + 7, failed: 3 + 0 + 1 + 0 });
    });

    it("counts unittest's skips and unexpected successes", () => {
        const log =
            "Ran 6 tests in 0.1s\n\nFAILED (failures=1, skipped=2, expected failures=1, unexpected successes=1)\n";
        expect(parseTestCounts(log)).toEqual({ passed: 1, failed: 2 });
    });

    it("reads pytest's errors-only and quiet lines", () => {
        expect(parseTestCounts("=== 2 errors in 0.31s ===")).toEqual({ passed: 0, failed: 2 });
        expect(parseTestCounts("3 passed, 1 skipped, 2 warnings in 0.05s")).toEqual({ passed: 3, failed: 0 });
        expect(parseTestCounts("\x1b[32m==== \x1b[32m\x1b[1m4 passed\x1b[0m\x1b[32m in 0.10s\x1b[0m ====")).toEqual({
            passed: 4,
            failed: 0,
        });
    });

    it("says the counts are unknown when a unittest run printed no verdict", () => {
        const counts = parseTestCounts(UNITTEST_OK + "Ran 3 tests in 0.1s\n");
        expect(counts).toEqual({
            passed: null,
            failed: null,
            unknown: expect.stringContaining("Ran 3 tests") as unknown,
        });
    });

    it("says the counts are unknown, never 0 failed, when a runner's FAILED verdict has no count", () => {
        const counts = parseTestCounts(UNITTEST_OK + "FAILED (errors=3)\n");
        expect(counts.failed).toBeNull();
        expect(counts.unknown).toContain("FAILED (errors=3)");
    });

    it("says why there are no counts when no runner's closing lines are seen", () => {
        expect(parseTestCounts("hello\nworld\n")).toEqual({
            passed: null,
            failed: null,
            unknown: expect.stringContaining("no test runner's closing lines") as unknown,
        });
    });
});

describe("the summary's test counts", () => {
    function summaryWith(log: string, exitCode: number) {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        fs.writeFileSync(path.join(runDir, "tests.log"), log);
        const testsFile = path.join(runDir, "tests.json");
        const tests = JSON.parse(fs.readFileSync(testsFile, "utf8")) as Record<string, unknown>;
        fs.writeFileSync(testsFile, JSON.stringify({ ...tests, exitCode }));
        return readRunSummary({ runDir, runId: FIXTURE_RUN_ID, services: FIXTURE_SERVICES });
    }

    it("shows the sum of every runner in the terminal and in Markdown", () => {
        const summary = summaryWith(UNITTEST_OK + UNITTEST_TEN_ERRORS, 1);
        expect(summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 10, exitCode: 1 }));
        expect(formatSummary(summary)).toContain("tests  FAILED with exit code 1 (10 passed, 10 failed) in 1.2 s");
        expect(markdownSummary(summary)).toContain("Tests failed (exit code 1): 10 passed, 10 failed.");
    });

    it("never shows 0 failed for a suite that failed: the counts are unknown, and why", () => {
        // The second command failed without a runner's closing line (a script's own check, a killed runner).
        const summary = summaryWith(UNITTEST_OK + "Traceback (most recent call last):\nImportError: no module x\n", 1);
        expect(summary.tests.passed).toBeNull();
        expect(summary.tests.failed).toBeNull();
        expect(summary.tests.countsUnknown).toBe(
            "the suite failed (exit code 1) but its runners' closing lines name no failed test (10 passed): " +
                "a runner stopped before its summary, or a command that is no runner failed",
        );
        const text = formatSummary(summary);
        expect(text).toContain(`tests  FAILED with exit code 1 (test counts unknown: ${summary.tests.countsUnknown})`);
        expect(text).not.toContain("0 failed");
        expect(markdownSummary(summary)).toContain(`Tests failed (exit code 1); test counts unknown:`);
    });

    it("says a suite killed at its time limit ended before its runners did", () => {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        fs.writeFileSync(path.join(runDir, "tests.log"), UNITTEST_OK + "test_slow (test_api.T.test_slow) ... ");
        const testsFile = path.join(runDir, "tests.json");
        const tests = JSON.parse(fs.readFileSync(testsFile, "utf8")) as Record<string, unknown>;
        fs.writeFileSync(testsFile, JSON.stringify({ ...tests, exitCode: 124, timedOutAfterSeconds: 30 }));
        const summary = readRunSummary({ runDir, runId: FIXTURE_RUN_ID, services: FIXTURE_SERVICES });
        expect(summary.tests).toEqual(
            expect.objectContaining({
                passed: null,
                failed: null,
                countsUnknown: "the suite was killed at its time limit before its runners ended (10 passed before)",
            }),
        );
    });

    it("keeps the counts of a green suite", () => {
        const summary = summaryWith(UNITTEST_OK, 0);
        expect(summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 0, succeeded: true }));
        expect(summary.tests.countsUnknown).toBeUndefined();
    });
});
