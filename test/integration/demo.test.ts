import { Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CoverageSummary, FileCoverage } from "../../components/summary/coverageSummary";
import { REPO_ROOT, devStackConfig, docker, labelledObjects, markedLines, projectStack } from "./engine";

const STACK = `itest-demo-${process.pid}`;
const DEMO_IMAGE = "coverage-spy/demo-app:latest";
const DEMO_SOURCE = path.join(REPO_ROOT, "examples", "demo", "app");
const DEMO_WORKERS = 3;

jest.setTimeout(15 * 60 * 1000);

/** Lines per file the demo's tests must execute or miss, from the `# demo: not-hit` markers in its source. */
function expectLines(file: FileCoverage): void {
    const marked = markedLines(path.join(DEMO_SOURCE, file.path));
    const statements = [...file.executedLines, ...file.missingLines].sort((a, b) => a - b);
    // Each marker stands on a statement coverage.py counts, and exactly the marked statements are missed.
    expect({ file: file.path, missing: file.missingLines }).toEqual({ file: file.path, missing: marked });
    expect(statements.filter((n) => marked.includes(n))).toEqual(marked);
    expect(file.covered).toBe(statements.length - marked.length);
}

describe("the demo, through a real pulumi up", () => {
    let stack: Stack;
    let reportDir: string;
    let imageId: string;
    const log = (line: string) => process.stderr.write(line);

    beforeAll(async () => {
        imageId = docker("image", "inspect", "--format", "{{.Id}}", DEMO_IMAGE);
        reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-itest-"));
        stack = await projectStack(STACK, { ...devStackConfig(), "coverage-spy:reportDir": reportDir });
    });

    afterAll(async () => {
        // Leave nothing behind even when an assertion failed.
        await stack?.destroy({ onOutput: log }).catch(() => undefined);
        await stack?.workspace.removeStack(STACK).catch(() => undefined);
        fs.rmSync(path.join(REPO_ROOT, "stacks", `Pulumi.${STACK}.yaml`), { force: true });
        fs.rmSync(reportDir, { recursive: true, force: true });
    });

    let first: CoverageSummary;

    it("measures every process of the demo, with exactly the expected lines", async () => {
        const result = await stack.up({ onOutput: log });
        first = result.outputs.coverage.value as CoverageSummary;
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

    it("runs tests and harvest again on a second up, with the same numbers", async () => {
        const result = await stack.up({ onOutput: log });
        const second = result.outputs.coverage.value as CoverageSummary;
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

    it("destroys every container, volume and network of the stack", async () => {
        expect(labelledObjects("container", STACK).length).toBeGreaterThanOrEqual(1);
        expect(labelledObjects("volume", STACK)).toEqual([`coverage-spy-${STACK}-data`]);
        await stack.destroy({ onOutput: log });
        expect(labelledObjects("container", STACK)).toEqual([]);
        expect(labelledObjects("volume", STACK)).toEqual([]);
        expect(labelledObjects("network", STACK)).toEqual([]);
    });
});
