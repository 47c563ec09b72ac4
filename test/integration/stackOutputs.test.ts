import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { coverageDeltaProgram } from "../../components/consumer/coverageDeltaProgram";
import { failTheUpdateIfNeeded } from "../../components/gates/failTheUpdate";
import { coverageDelta } from "../../components/summary/coverageDelta";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { summarizeRun } from "../../components/summary/readRunSummary";
import { DEMO_TEST_COMMAND } from "./demoExpectations";
import { DemoRun, measureDemo } from "./demoRitual";

jest.setTimeout(8 * 60 * 1000);

const MAIN = `itest-out-main-${process.pid}`;
const FEATURE = `itest-out-feature-${process.pid}`;
const CONSUMER = `itest-out-delta-${process.pid}`;
const qualified = (stack: string) => `organization/coverage-spy/${stack}`;

/**
 * A coverage stack's program from the harvest on: the summary of a real harvested run, gates against a base
 * stack read through a StackReference, the update failed by an error diagnostic — the same functions the
 * component runs after its harvester (the Docker resources themselves need the docker provider plugin).
 */
function producer(run: DemoRun, gates: { maxDrop?: number; failUnder?: number }, baseStack?: string) {
    return async () => {
        const baseOutput = baseStack ? new pulumi.StackReference("base", { name: qualified(baseStack) }).getOutput("coverage") : pulumi.output(undefined);
        const summary = baseOutput.apply((base) => summarizeRun({ runDir: run.runDir, runId: run.runId, services: [run.service] },
            { gates, baseStack, baseOutput: base }));
        failTheUpdateIfNeeded(summary, false);
        return { coverage: summary };
    };
}

async function stackOf(stackName: string, projectName: string, program: () => Promise<Record<string, unknown>>, workDir: string): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack({ stackName, projectName, program }, { workDir, projectSettings: { name: projectName, runtime: "nodejs" } });
}

describe("stack outputs: a failed gate keeps them, and another stack reads them through StackReferences", () => {
    const runs: DemoRun[] = [];
    const stacks: Stack[] = [];
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-outputs-"));
    let main: CoverageSummary;
    let feature: CoverageSummary;
    let featureError = "";

    beforeAll(async () => {
        if (!process.env.PULUMI_BACKEND_URL) throw new Error("source scripts/pulumi-env.sh first");
        // The main branch runs the whole suite; the feature branch only part of it: its coverage drops.
        runs.push(measureDemo(`itest-out-m-${process.pid}`, "coverage-spy/demo-app:bookworm", DEMO_TEST_COMMAND, "fail"));
        runs.push(measureDemo(`itest-out-f-${process.pid}`, "coverage-spy/demo-app:bookworm", `${DEMO_TEST_COMMAND} -k price -k health`, "fail"));
        for (const dir of ["main", "feature", "consumer"]) fs.mkdirSync(path.join(work, dir));
        const mainStack = await stackOf(MAIN, "coverage-spy", producer(runs[0], {}), path.join(work, "main"));
        stacks.push(mainStack);
        await mainStack.up();
        const featureStack = await stackOf(FEATURE, "coverage-spy", producer(runs[1], { maxDrop: 2 }, MAIN), path.join(work, "feature"));
        stacks.push(featureStack);
        await featureStack.up().catch((err: Error) => { featureError = err.message; });
        main = (await mainStack.outputs()).coverage.value;
        feature = (await featureStack.outputs()).coverage.value;
    });

    afterAll(async () => {
        for (const stack of stacks.reverse()) await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
        runs.forEach((r) => r.cleanup());
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("fails the feature stack's update on maxDrop, naming the numbers", () => {
        const drop = (main.totals.percent - feature.totals.percent).toFixed(2);
        expect(Number(drop)).toBeGreaterThan(2);
        expect(featureError).toContain(`coverage gate failed: total coverage dropped ${drop} points`);
        expect(featureError).toContain("more than maxDrop 2");
    });

    it("kept the failed update's outputs and wrote its reports", () => {
        expect(feature.runId).toBe(runs[1].runId);
        expect(feature.gate).toEqual(expect.objectContaining({ passed: false, maxDrop: 2, baseStack: MAIN, baseRunId: runs[0].runId }));
        expect(fs.readFileSync(feature.reports.markdown, "utf8")).toContain("**Gates failed:**");
        expect(JSON.parse(fs.readFileSync(feature.reports.summary, "utf8")).runId).toBe(runs[1].runId);
    });

    it("gives a consumer stack the delta of the feature against main, through StackReferences", async () => {
        const consumer = await stackOf(CONSUMER, "coverage-delta",
            async () => coverageDeltaProgram({ baseStack: qualified(MAIN), headStack: qualified(FEATURE) }) as never, path.join(work, "consumer"));
        stacks.push(consumer);
        const result = await consumer.up();
        const expected = coverageDelta(main, feature);
        expect(result.outputs.delta.value).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(result.outputs.totalDelta.value).toBe(expected.total.delta);
        expect(result.outputs.totalDelta.value).toBeLessThan(0);
        // The feature suite never asks for inventory or reports: those files lost coverage.
        expect(result.outputs.filesLost.value).toEqual(expect.arrayContaining(["demo:demo_app/inventory.py", "demo:demo_app/reports.py"]));
        expect(result.outputs.filesGained.value).toEqual([]);
    });
});
