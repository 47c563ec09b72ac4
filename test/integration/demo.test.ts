import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_IMAGE, DEMO_SOURCE, DEMO_TEST_COMMAND, DEMO_WORKERS, expectLines } from "./demoExpectations";
import {
    REPO_ROOT,
    devStackConfig,
    docker,
    labelledObjects,
    removeStackConfig,
    writeStackConfig,
    imageHasCoverage,
} from "./engine";
import { StackInput, demoService, runStack, stackRun, upStack } from "./stackRun";

jest.setTimeout(15 * 60 * 1000);

describe("the demo, through a real pulumi up", () => {
    const input: StackInput = {
        stack: `itest-demo-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        testCommand: DEMO_TEST_COMMAND,
    };
    let imageId: string;
    let first: CoverageSummary;
    let reportDir: string;

    beforeAll(() => {
        imageId = docker("image", "inspect", "--format", "{{.Id}}", DEMO_IMAGE);
    });

    afterAll(() => {
        // Leave nothing behind even when an assertion failed.
        runStack("destroy", input.stack);
        removeStackConfig(input.stack);
        if (reportDir) fs.rmSync(path.dirname(path.dirname(reportDir)), { recursive: true, force: true });
    });

    it("measures every process of the demo, with exactly the expected lines", () => {
        const run = stackRun(input, upStack(input));
        first = run.summary;
        reportDir = run.runDir;
        expect(first.schemaVersion).toBe(2);
        expect(first.tests).toEqual(expect.objectContaining({ succeeded: true, failed: 0, passed: 10 }));
        const demo = first.services.demo;
        // The master, every worker and the two /report subprocesses each saved a data file and ended.
        expect(demo.dataFiles).toBe(1 + DEMO_WORKERS + 2);
        expect(demo.processes).toEqual({ ended: 1 + DEMO_WORKERS + 2, interrupted: 0, lost: 0 });
        // Stopped by SIGTERM, not at the end of the default grace (30 s), when SIGKILL would have ended them.
        expect(demo.stopMs).toBeLessThan(30_000);
        for (const file of first.files) expectLines(file);
        expect(first.totals.missing).toBeGreaterThan(0);
        expect(first.totals.covered).toBe(first.files.reduce((n, f) => n + f.covered, 0));
        for (const report of [
            first.reports.html,
            first.reports.json,
            first.reports.xml,
            first.reports.lcov,
            first.reports.text,
        ]) {
            expect(fs.existsSync(report)).toBe(true);
        }
        expect(first.files.every((f) => f.hostPath === path.join(DEMO_SOURCE, f.path))).toBe(true);
    });

    it("runs tests and harvest again on a second up, with the same numbers", () => {
        const second = stackRun(input, upStack(input)).summary;
        expect(second.runId).not.toBe(first.runId);
        expect(second.totals).toEqual(first.totals);
        const lines = (s: CoverageSummary) => s.files.map((f) => [f.path, f.executedLines, f.missingLines]);
        expect(lines(second)).toEqual(lines(first));
        const runs = path.dirname(reportDir);
        expect(fs.existsSync(path.join(runs, first.runId))).toBe(true);
        expect(fs.existsSync(path.join(runs, second.runId))).toBe(true);
    });

    it("leaves the production image as it was, with no coverage.py in it", () => {
        expect(docker("image", "inspect", "--format", "{{.Id}}", DEMO_IMAGE)).toBe(imageId);
        expect(imageHasCoverage(DEMO_IMAGE)).toBe(false);
    });

    it("destroys every container, volume and network of the stack", () => {
        expect(labelledObjects("container", input.stack).length).toBeGreaterThanOrEqual(1);
        expect(labelledObjects("volume", input.stack).sort()).toEqual([
            `coverage-spy-${input.stack}-data`,
            `coverage-spy-${input.stack}-spy`,
        ]);
        expect(runStack("destroy", input.stack).status).toBe(0);
        expect(labelledObjects("container", input.stack)).toEqual([]);
        expect(labelledObjects("volume", input.stack)).toEqual([]);
        expect(labelledObjects("network", input.stack)).toEqual([]);
    });
});

const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

describe("destroy never loses a committed stack config", () => {
    // A backend of its own: the `dev` stack here is this test's, whatever the developer's backend holds.
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-backend-"));
    const env = { ...process.env, PULUMI_BACKEND_URL: `file://${backend}` };
    const copied = `itest-copied-${process.pid}`;
    afterAll(() => {
        removeStackConfig(copied);
        fs.rmSync(backend, { recursive: true, force: true });
    });

    it("keeps stacks/Pulumi.dev.yaml through `coverage:destroy -- --stack dev`", () => {
        const file = path.join(REPO_ROOT, "stacks", "Pulumi.dev.yaml");
        const before = sha256(file);
        const run = runStack("destroy", "dev", env);
        expect(run.output).toContain("stack dev destroyed and removed from the backend");
        expect(run.status).toBe(0);
        expect(fs.existsSync(file) && sha256(file)).toBe(before);
        expect(
            spawnSync("git", ["status", "--porcelain", "--", "stacks"], { cwd: REPO_ROOT, encoding: "utf8" }).stdout,
        ).toBe("");
    });

    it("runs a new branch stack with the base config, writing nothing into stacks/; destroy keeps a config someone wrote", () => {
        const file = path.join(REPO_ROOT, "stacks", `Pulumi.${copied}.yaml`);
        const preview = runStack("preview", copied, env);
        expect(preview.status).toBe(0);
        expect(preview.output).toContain(`stack ${copied} has no config of its own: using stacks/Pulumi.dev.yaml`);
        expect(fs.existsSync(file)).toBe(false);
        // A copy an earlier version made (marked as such, untracked) goes with its stack.
        fs.writeFileSync(
            file,
            `# Copied from stacks/Pulumi.dev.yaml by coverage-spy for stack ${copied}; edit it to differ.\n` +
                fs.readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8"),
        );
        expect(runStack("destroy", copied, env).status).toBe(0);
        expect(fs.existsSync(file)).toBe(false);
        // A config written by hand is the user's: destroy keeps it.
        writeStackConfig(copied, devStackConfig());
        const handWritten = sha256(file);
        expect(runStack("destroy", copied, env).status).toBe(0);
        expect(sha256(file)).toBe(handWritten);
    });
});
