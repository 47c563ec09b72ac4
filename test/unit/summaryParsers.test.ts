import * as fs from "fs";
import * as path from "path";
import { parseCoverageJson } from "../../components/summary/parseCoverageJson";
import { parseTestCounts } from "../../components/summary/testOutput";
import { FIXTURES } from "./fixtures";

describe("parseCoverageJson", () => {
    it("reads totals and files of a real coverage.py report", () => {
        const report = parseCoverageJson(
            fs.readFileSync(path.join(FIXTURES, "run", "services", "shop", "coverage.json"), "utf8"),
        );
        expect(report.coveragePyVersion).toBe("7.17.4");
        expect(report.totals).toEqual({
            statements: 15,
            covered: 13,
            missing: 2,
            excluded: 0,
            percent: 86.66666666666667,
        });
        const prices = report.files.find((f) => f.reportPath === "shop/prices.py")!;
        expect(prices).toEqual(
            expect.objectContaining({
                statements: 8,
                covered: 6,
                missing: 2,
                executedLines: [1, 2, 3, 4, 5, 9],
                missingLines: [6, 10],
            }),
        );
    });

    it("reads branch totals when branch coverage is on", () => {
        const report = parseCoverageJson(fs.readFileSync(path.join(FIXTURES, "branch-coverage.json"), "utf8"));
        expect(report.totals.branches).toBeDefined();
        const b = report.totals.branches!;
        expect(b.total).toBeGreaterThan(0);
        expect(b.covered + b.missing).toBe(b.total);
        const prices = report.files.find((f) => f.reportPath.endsWith("prices.py"))!;
        expect(prices.missingLines).toEqual([4, 5, 6, 10]);
    });

    it("rejects what it does not recognise", () => {
        expect(() => parseCoverageJson('{"meta": {"format": 9}, "files": {}, "totals": {}}')).toThrow(
            "unsupported format 9",
        );
        expect(() =>
            parseCoverageJson('{"meta": {"format": 3}, "files": {"a.py": {"summary": {}}}, "totals": {}}'),
        ).toThrow("files[a.py].summary.num_statements is not a number");
        expect(() => parseCoverageJson("not json")).toThrow();
    });
});

describe("parseTestCounts", () => {
    it("reads unittest's closing lines", () => {
        expect(parseTestCounts(fs.readFileSync(path.join(FIXTURES, "run", "tests.log"), "utf8"))).toEqual({
            passed: 3,
            failed: 1,
        });
        expect(parseTestCounts("....\n----\nRan 4 tests in 0.1s\n\nOK (skipped=1)\n")).toEqual({
            passed: 3,
            failed: 0,
        });
    });
    it("reads pytest's, jest's and the plain closing line", () => {
        expect(parseTestCounts("==== 5 passed, 2 failed, 1 error in 1.2s ====")).toEqual({ passed: 5, failed: 3 });
        expect(parseTestCounts("=== 12 passed in 0.5s ===")).toEqual({ passed: 12, failed: 0 });
        expect(parseTestCounts("Tests:       1 failed, 3 passed, 4 total")).toEqual({ passed: 3, failed: 1 });
        expect(parseTestCounts("summary: 7 passed, 0 failed")).toEqual({ passed: 7, failed: 0 });
    });
    it("says null, and why, when no runner summary is seen", () => {
        expect(parseTestCounts("hello\nworld\n")).toEqual({
            passed: null,
            failed: null,
            unknown: expect.stringContaining("no test runner's closing lines") as unknown,
        });
    });
});
