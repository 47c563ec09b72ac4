import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEMO_TEST_COMMAND } from "./demoExpectations";
import { StackRun, measureDemo } from "./stackRun";
import { REPO_ROOT } from "./engine";

jest.setTimeout(5 * 60 * 1000);

const TOOLS = "coverage-spy/report-tools:latest";

/** What these tests read of coverage.py's JSON report. */
interface CoverageJson {
    totals: { covered_lines: number; num_statements: number; covered_branches: number; num_branches: number };
    files: Record<string, { functions: Record<string, { executed_lines: number[] }> }>;
}

/** Runs one of the formats' tools (lcov 2, xmllint) in the tools image, the run's reports mounted at /r. */
function tool(runDir: string, dtdDir: string, args: string[]): { status: number | null; out: string } {
    const r = spawnSync(
        "docker",
        ["run", "--rm", "--network", "none", "-v", `${runDir}:/r:ro`, "-v", `${dtdDir}:/dtd:ro`, TOOLS, ...args],
        { encoding: "utf8" },
    );
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * The harvester's Cobertura XML and LCOV files, checked with the formats' own tools: xmllint against the
 * Cobertura DTD, and lcov 2 reading the tracefile and counting the same lines and branches as coverage.py.
 * Branch coverage is on, so the branch parts of both formats are exercised too. Two known extensions of
 * coverage.py are asserted to be the only deviations, so any other one fails the test.
 */
describe("the reports CI systems read", () => {
    let demo: StackRun;
    let dtdDir: string;

    beforeAll(() => {
        const tools = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "report-tools.sh")], { encoding: "utf8" });
        if (tools.status !== 0) throw new Error(`scripts/report-tools.sh failed:\n${tools.stderr}`);
        dtdDir = path.dirname(tools.stdout.trim().split("\n").pop()!);
        demo = measureDemo(`itest-formats-${process.pid}`, "coverage-spy/demo-app:latest", DEMO_TEST_COMMAND, "fail", {
            branch: true,
        });
        // An extended DTD: the Cobertura DTD plus coverage.py's one extra attribute.
        fs.writeFileSync(
            path.join(demo.runDir, "coverage-04+coveragepy.dtd"),
            `${fs.readFileSync(path.join(dtdDir, "coverage-04.dtd"), "utf8")}\n<!ATTLIST line missing-branches CDATA #IMPLIED>\n`,
        );
    });
    afterAll(() => demo?.cleanup());

    it("measured branches (sysmon cannot on 3.13, so the spy chose the C tracer)", () => {
        const json = JSON.parse(fs.readFileSync(demo.summary.reports.json, "utf8")) as CoverageJson;
        expect(json.totals.num_branches).toBeGreaterThan(0);
        expect(demo.summary.services.demo.cores).toEqual({ CTracer: 6 });
    });

    it.each(["total", "services/demo"])(
        "%s/coverage.xml is Cobertura XML: its only deviation is coverage.py's missing-branches",
        (where) => {
            const strict = tool(demo.runDir, dtdDir, [
                "xmllint",
                "--noout",
                "--dtdvalid",
                "/dtd/coverage-04.dtd",
                `/r/${where}/coverage.xml`,
            ]);
            const errors = strict.out.split("\n").filter((l) => l.includes("validity error"));
            expect(errors.length).toBeGreaterThan(0);
            for (const e of errors) expect(e).toMatch(/No declaration for attribute missing-branches of element line$/);
            expect(
                tool(demo.runDir, dtdDir, [
                    "xmllint",
                    "--noout",
                    "--dtdvalid",
                    "/r/coverage-04+coveragepy.dtd",
                    `/r/${where}/coverage.xml`,
                ]),
            ).toEqual({ status: 0, out: "" });
        },
    );

    it("the DTD check can fail: a report missing a required attribute is rejected", () => {
        fs.writeFileSync(
            path.join(demo.runDir, "broken.xml"),
            fs.readFileSync(path.join(demo.runDir, "total", "coverage.xml"), "utf8").replace(/ line-rate="[^"]*"/, ""),
        );
        const result = tool(demo.runDir, dtdDir, [
            "xmllint",
            "--noout",
            "--dtdvalid",
            "/r/coverage-04+coveragepy.dtd",
            "/r/broken.xml",
        ]);
        expect(result.status).not.toBe(0);
        expect(result.out).toContain("Element coverage does not carry attribute line-rate");
    });

    it.each(["total", "services/demo"])(
        "%s/coverage.lcov is read by lcov 2 with coverage.py's own line and branch counts",
        (where) => {
            const json = JSON.parse(
                fs.readFileSync(path.join(demo.runDir, where, "coverage.json"), "utf8"),
            ) as CoverageJson;
            const result = tool(demo.runDir, dtdDir, [
                "lcov",
                "--summary",
                `/r/${where}/coverage.lcov`,
                "--rc",
                "branch_coverage=1",
                "--ignore-errors",
                "inconsistent",
            ]);
            expect(result.status).toBe(0);
            const lines = /lines\.*:\s*[\d.]+% \((\d+) of (\d+) lines\)/.exec(result.out);
            const branches = /branches\.*:\s*[\d.]+% \((\d+) of (\d+) branches\)/.exec(result.out);
            expect(lines && [Number(lines[1]), Number(lines[2])]).toEqual([
                json.totals.covered_lines,
                json.totals.num_statements,
            ]);
            expect(branches && [Number(branches[1]), Number(branches[2])]).toEqual([
                json.totals.covered_branches,
                json.totals.num_branches,
            ]);
            // lcov's only objection: a never-called function whose `def` line ran (Python executes it at import).
            const objections = result.out.split("\n").filter((l) => l.includes("WARNING"));
            const neverCalled = Object.values(json.files).flatMap((f) =>
                Object.entries(f.functions)
                    .filter(([name, fn]) => name !== "" && fn.executed_lines.length === 0)
                    .map(([name]) => name.split(".").pop()),
            );
            expect(objections.length).toBe(neverCalled.length);
            for (const o of objections)
                expect(o).toMatch(/\(inconsistent\) .*function '([\w.]+)' is not hit but line \d+ is/);
        },
    );
});
