import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_IMAGE, DEMO_SOURCE, DEMO_WORKERS, expectLines } from "./demoExpectations";
import { devStackConfig, docker, labelledObjects, removeStackConfig, runStack, writeStackConfig } from "./engine";

const STACK = `itest-demo-${process.pid}`;

jest.setTimeout(15 * 60 * 1000);

describe("the demo, through a real pulumi up", () => {
    let reportDir: string;
    let imageId: string;

    beforeAll(() => {
        imageId = docker("image", "inspect", "--format", "{{.Id}}", DEMO_IMAGE);
        reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-itest-"));
        writeStackConfig(STACK, { ...devStackConfig(), "coverage-spy:reportDir": reportDir });
    });

    afterAll(() => {
        // Leave nothing behind even when an assertion failed.
        runStack("remove", STACK);
        removeStackConfig(STACK);
        fs.rmSync(reportDir, { recursive: true, force: true });
    });

    function up(): CoverageSummary {
        const run = runStack("up", STACK);
        if (run.status !== 0) throw new Error(`pulumi up failed:\n${run.output.slice(-4000)}`);
        return run.outputs!.coverage as CoverageSummary;
    }

    let first: CoverageSummary;

    it("measures every process of the demo, with exactly the expected lines", () => {
        first = up();
        expect(first.schemaVersion).toBe(1);
        expect(first.tests.succeeded).toBe(true);
        expect(first.tests.failed).toBe(0);
        expect(first.tests.passed).toBeGreaterThan(0);
        const demo = first.services.demo;
        // The master, every worker and at least one subprocess saved their own data file.
        expect(demo.dataFiles).toBeGreaterThanOrEqual(1 + DEMO_WORKERS + 1);
        expect(demo.stopMs).toBeLessThan(5000);
        const sourceFiles = first.files.filter((f) => f.statements > 0);
        expect(sourceFiles.length).toBeGreaterThanOrEqual(4);
        for (const file of first.files) expectLines(file);
        expect(first.totals.missing).toBeGreaterThan(0);
        expect(first.totals.covered).toBe(first.files.reduce((n, f) => n + f.covered, 0));
        for (const report of [first.reports.html, first.reports.json, first.reports.xml, first.reports.lcov, first.reports.text]) {
            expect(fs.existsSync(report)).toBe(true);
        }
        expect(first.files.every((f) => f.hostPath === path.join(DEMO_SOURCE, f.path))).toBe(true);
    });

    it("runs tests and harvest again on a second up, with the same numbers", () => {
        const second = up();
        expect(second.runId).not.toBe(first.runId);
        expect(second.totals).toEqual(first.totals);
        const lines = (s: CoverageSummary) => s.files.map((f) => [f.path, f.executedLines, f.missingLines]);
        expect(lines(second)).toEqual(lines(first));
        expect(fs.existsSync(path.join(reportDir, "runs", first.runId))).toBe(true);
        expect(fs.existsSync(path.join(reportDir, "runs", second.runId))).toBe(true);
    });

    it("leaves the production image as it was", () => {
        expect(docker("image", "inspect", "--format", "{{.Id}}", DEMO_IMAGE)).toBe(imageId);
        // And the image holds no coverage.py.
        expect(docker("run", "--rm", "--entrypoint", "python3", DEMO_IMAGE, "-c",
            "import importlib.util; print(importlib.util.find_spec('coverage') is None)")).toBe("True");
    });

    it("destroys every container, volume and network of the stack", () => {
        expect(labelledObjects("container", STACK).length).toBeGreaterThanOrEqual(1);
        expect(labelledObjects("volume", STACK)).toEqual([`coverage-spy-${STACK}-data`]);
        expect(runStack("destroy", STACK).status).toBe(0);
        expect(labelledObjects("container", STACK)).toEqual([]);
        expect(labelledObjects("volume", STACK)).toEqual([]);
        expect(labelledObjects("network", STACK)).toEqual([]);
    });
});
