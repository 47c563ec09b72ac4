import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_WORKERS, expectLines } from "./demoExpectations";
import { REPO_ROOT, devStackConfig, labelledObjects, removeStackConfig, writeStackConfig } from "./engine";

jest.setTimeout(10 * 60 * 1000);

/** The plain `pulumi` CLI in the project folder, as a user runs it after `source scripts/pulumi-env.sh`. */
function pulumi(...args: string[]): { status: number | null; out: string; stdout: string } {
    const result = spawnSync("pulumi", [...args, "--non-interactive"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 8 * 60 * 1000,
        maxBuffer: 64 * 1024 * 1024,
    });
    return { status: result.status, out: `${result.stdout}\n${result.stderr}`, stdout: result.stdout };
}

describe("the plain CLI: pulumi up of index.ts through the nodejs language host", () => {
    const stack = `itest-cli-${process.pid}`;
    const reports = path.join(REPO_ROOT, "reports", stack);

    beforeAll(() => {
        // The demo's config as committed: no reportDir, so the default place is what is tested.
        writeStackConfig(stack, devStackConfig());
        const init = pulumi("stack", "init", stack);
        if (init.status !== 0) throw new Error(init.out);
    });

    afterAll(() => {
        pulumi("destroy", "--yes", "--stack", stack);
        pulumi("stack", "rm", "--yes", "--preserve-config", "--stack", stack);
        removeStackConfig(stack);
        fs.rmSync(reports, { recursive: true, force: true });
    });

    it("measures the demo and exports the summary", () => {
        const up = pulumi("up", "--yes", "--skip-preview", "--suppress-outputs", "--stack", stack);
        expect({ status: up.status, tail: up.status === 0 ? "" : up.out.slice(-4000) }).toEqual({
            status: 0,
            tail: "",
        });
        const output = pulumi("stack", "output", "coverage", "--json", "--stack", stack);
        const summary = JSON.parse(output.stdout) as CoverageSummary;
        expect(summary.tests).toEqual(expect.objectContaining({ succeeded: true, passed: 10, failed: 0 }));
        expect(summary.services.demo.dataFiles).toBe(1 + DEMO_WORKERS + 2);
        for (const file of summary.files) expectLines(file);
    });

    it("writes the reports under the project folder, not under the compiled program's bin/", () => {
        const summary = JSON.parse(
            pulumi("stack", "output", "coverage", "--json", "--stack", stack).stdout,
        ) as CoverageSummary;
        expect(summary.reports.json.startsWith(path.join(reports, "runs", summary.runId) + path.sep)).toBe(true);
        expect(fs.existsSync(summary.reports.json)).toBe(true);
        expect(fs.existsSync(path.join(REPO_ROOT, "bin", "reports"))).toBe(false);
    });

    it("destroys everything it made", () => {
        expect(pulumi("destroy", "--yes", "--stack", stack).status).toBe(0);
        for (const kind of ["container", "volume", "network"] as const)
            expect(labelledObjects(kind, stack)).toEqual([]);
    });
});
