import * as path from "path";
import { CoverageSummary, FileCoverage } from "../../components/summary/coverageSummary";
import { coverageDelta, parseSummaryOutput } from "../../components/summary/coverageDelta";
import { markdownSummary } from "../../components/summary/markdownSummary";
import { evaluateGates } from "../../components/gates/evaluateGates";
import { validateGates } from "../../components/options/gateOptions";
import { readRunSummary } from "../../components/summary/readRunSummary";
import { FIXTURE_RUN_ID, reportDirWithFixtureRun, FIXTURE_SERVICES } from "./fixtures";

function fixtureSummary(): CoverageSummary {
    return readRunSummary({
        runDir: path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID),
        runId: FIXTURE_RUN_ID,
        services: FIXTURE_SERVICES,
    });
}

function file(service: string, p: string, covered: number, statements: number): FileCoverage {
    const missing = statements - covered;
    return {
        service,
        path: p,
        containerPath: `/app/${p}`,
        statements,
        covered,
        missing,
        excluded: 0,
        percent: Math.round((covered / statements) * 10000) / 100,
        executedLines: Array.from({ length: covered }, (_, i) => i + 1),
        missingLines: Array.from({ length: missing }, (_, i) => covered + i + 1),
    };
}

/** A small hand-made summary: two files of one service. */
function small(runId: string, files: FileCoverage[]): CoverageSummary {
    const statements = files.reduce((n, f) => n + f.statements, 0);
    const covered = files.reduce((n, f) => n + f.covered, 0);
    const totals = {
        statements,
        covered,
        missing: statements - covered,
        excluded: 0,
        percent: Math.round((covered / statements) * 10000) / 100,
    };
    return {
        schemaVersion: 1,
        runId,
        timestamp: "2026-11-24T12:00:00",
        coveragePyVersion: "7.17.4",
        totals,
        services: { api: { name: "api", totals, files: files.length, dataFiles: 2 } },
        files,
        tests: { exitCode: 0, succeeded: true, passed: 4, failed: 0, durationMs: 900 },
        lostProcesses: [],
        interruptedProcesses: [],
        reports: {
            dir: "/r",
            html: "/r/h",
            json: "/r/j",
            xml: "/r/x",
            lcov: "/r/l",
            text: "/r/t",
            markdown: "/r/m",
            summary: "/r/s",
        },
    };
}

describe("coverageDelta", () => {
    it("is zero against itself", () => {
        const s = fixtureSummary();
        const d = coverageDelta(s, s);
        expect(d.total).toEqual({ base: 80, head: 80, delta: 0 });
        expect([d.gained, d.lost, d.added, d.removed]).toEqual([[], [], [], []]);
        expect(Object.keys(d.services)).toEqual(["shop", "worker"]);
        expect(d.services.shop.base).toBeCloseTo(86.67, 2);
        expect([d.services.shop.delta, d.services.worker.delta]).toEqual([0, 0]);
    });

    it("lists files that gained and lost, biggest change first, and added and removed files", () => {
        const base = small("base", [
            file("api", "a.py", 5, 10),
            file("api", "b.py", 8, 8),
            file("api", "old.py", 1, 2),
        ]);
        const head = small("head", [
            file("api", "a.py", 9, 10),
            file("api", "b.py", 6, 8),
            file("api", "new.py", 2, 2),
        ]);
        const d = coverageDelta(base, head);
        expect(d).toEqual({
            schemaVersion: 1,
            baseRunId: "base",
            headRunId: "head",
            total: { base: 70, head: 85, delta: 15 },
            services: { api: { base: 70, head: 85, delta: 15 } },
            gained: [
                {
                    service: "api",
                    path: "a.py",
                    base: 50,
                    head: 90,
                    delta: 40,
                    coveredBase: 5,
                    coveredHead: 9,
                    missingBase: 5,
                    missingHead: 1,
                },
            ],
            lost: [
                {
                    service: "api",
                    path: "b.py",
                    base: 100,
                    head: 75,
                    delta: -25,
                    coveredBase: 8,
                    coveredHead: 6,
                    missingBase: 0,
                    missingHead: 2,
                },
            ],
            added: ["api:new.py"],
            removed: ["api:old.py"],
        });
    });

    it("checks another stack's output before trusting it", () => {
        expect(() => parseSummaryOutput(undefined, "stack main's coverage")).toThrow(
            "stack main's coverage is not a coverage summary (got undefined)",
        );
        expect(() => parseSummaryOutput({ totals: {} }, "x")).toThrow(
            "x has no schemaVersion: not a coverage-spy summary",
        );
        expect(() => parseSummaryOutput({ schemaVersion: 1, runId: "r" }, "x")).toThrow(
            "x lacks totals, services, files",
        );
        expect(() => parseSummaryOutput({ schemaVersion: 3, runId: "r" }, "x")).toThrow(
            "x has summary schemaVersion 3; this coverage-spy reads versions 1, 2",
        );
        const s = fixtureSummary();
        expect(parseSummaryOutput(JSON.parse(JSON.stringify(s)), "x")).toEqual(s);
        // A stack harvested before version 2 (Unix process times) is still compared.
        expect(parseSummaryOutput({ ...JSON.parse(JSON.stringify(s)), schemaVersion: 2 }, "x").runId).toBe(s.runId);
    });
});

describe("gates", () => {
    it("validates thresholds and service names at preview", () => {
        expect(
            validateGates({ failUnder: 101, maxDrop: -1, failUnderPerService: { api: 50, web: "x" as never } }, [
                "api",
            ]),
        ).toEqual([
            "failUnder must be a number from 0 to 100, got 101",
            "maxDrop must be a number from 0 to 100, got -1",
            'failUnderPerService names an unknown service "web" (services: api)',
            'failUnderPerService.web must be a number from 0 to 100, got "x"',
        ]);
    });

    it("notes a maxDrop it cannot evaluate without a base, and passes on the boundary", () => {
        const s = small("head", [file("api", "a.py", 8, 10)]);
        expect(evaluateGates(s, { failUnder: 80, maxDrop: 1 })).toEqual({
            passed: true,
            failures: [],
            notes: ["maxDrop not evaluated: no base summary"],
        });
        // 90% → 80%: a drop of exactly maxDrop passes, a hair more fails.
        expect(evaluateGates(s, { maxDrop: 10 }, small("base", [file("api", "a.py", 9, 10)]))).toEqual({
            passed: true,
            failures: [],
            notes: [],
        });
        expect(evaluateGates(s, { maxDrop: 9.99 }, small("base", [file("api", "a.py", 9, 10)])).failures).toEqual([
            "total coverage dropped 10.00 points (90.00% → 80.00%), more than maxDrop 9.99",
        ]);
    });
});

describe("markdownSummary", () => {
    it("renders totals, gates, services, the most missed files and the delta, exactly", () => {
        const base = small("base", [file("api", "a.py", 5, 10), file("api", "b|c`.py", 8, 8)]);
        const head = small("head", [file("api", "a.py", 9, 10), file("api", "b|c`.py", 6, 8)]);
        head.gate = {
            failUnder: 90,
            passed: false,
            failures: ["total coverage 83.33% is under failUnder 90%"],
            notes: [],
        };
        head.interruptedProcesses = [
            {
                service: "api",
                pid: 7,
                host: "h",
                command: ["python3", "-m", "api"],
                python: "3.13.5",
                started: "2026-11-24T12:00:01.000Z",
                lastSave: "2026-11-24T12:00:02.000Z",
            },
        ];
        expect(markdownSummary(head, { delta: coverageDelta(base, head) })).toBe(
            [
                "## Coverage 83.33% (+11.11 vs base)",
                "",
                "15 of 18 statements covered, 3 missing. Tests passed: 4 passed, 0 failed. Run `head`.",
                "",
                "**Gates failed:**",
                "- total coverage 83.33% is under failUnder 90%",
                "",
                "> [!WARNING]",
                "> 1 process(es) did not end cleanly, so lines may be missing:",
                "> - api: pid 7 on h `python3 -m api` was killed; data up to its last periodic save kept",
                "",
                "### Services",
                "",
                "| service | statements | covered | missing | coverage | change |",
                "| --- | ---: | ---: | ---: | ---: | ---: |",
                "| api | 18 | 15 | 3 | 83.33% | +11.11 |",
                "",
                "### Most missed lines",
                "",
                "| file | missing | coverage |",
                "| --- | ---: | ---: |",
                "| `api/b\\|c\\`.py` | 2 | 75.00% |",
                "| `api/a.py` | 1 | 90.00% |",
                "",
                "### Changes since base run `base`",
                "",
                "| file | base | head | change |",
                "| --- | ---: | ---: | ---: |",
                "| `api/b\\|c\\`.py` | 100.00% | 75.00% | −25.00 |",
                "| `api/a.py` | 50.00% | 90.00% | +40.00 |",
                "",
            ].join("\n"),
        );
    });
});
