import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { coverageDeltaProgram } from "../../components/consumer/coverageDeltaProgram";
import { coverageDelta } from "../../components/summary/coverageDelta";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_TEST_COMMAND } from "./demoExpectations";
import { StackInput, StackRun, demoService, destroyStack, measureService, upStack } from "./stackRun";

jest.setTimeout(8 * 60 * 1000);

const IMAGE = "coverage-spy/demo-app:bookworm";
const MAIN = `itest-out-main-${process.pid}`;
const FEATURE = `itest-out-feature-${process.pid}`;
const CONSUMER = `itest-out-delta-${process.pid}`;
const qualified = (stack: string) => `organization/coverage-spy/${stack}`;

describe("stack outputs: a failed gate keeps them, and another stack reads them through StackReferences", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-outputs-"));
    const consumers: Stack[] = [];
    let mainRun: StackRun;
    let main: CoverageSummary;
    let feature: CoverageSummary;
    let featureError = "";

    beforeAll(() => {
        // The main branch runs the whole suite; the feature branch only part of it, with a gate against main: its
        // coverage drops.
        mainRun = measureService({ stack: MAIN, service: demoService(IMAGE), testCommand: DEMO_TEST_COMMAND });
        main = mainRun.summary;
        const featureInput: StackInput = {
            stack: FEATURE,
            service: demoService(IMAGE),
            testCommand: `${DEMO_TEST_COMMAND} -k price -k health`,
            config: { maxDrop: 2, baseStack: MAIN },
        };
        const up = upStack(featureInput);
        expect(up.status).not.toBe(0);
        featureError = up.output;
        feature = up.outputs!.coverage as CoverageSummary;
    });

    afterAll(async () => {
        for (const stack of consumers) await stack.workspace.removeStack(stack.name, { force: true });
        destroyStack(FEATURE);
        destroyStack(MAIN);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("fails the feature stack's update on maxDrop, naming the numbers", () => {
        const drop = (main.totals.percent - feature.totals.percent).toFixed(2);
        expect(Number(drop)).toBeGreaterThan(2);
        expect(featureError).toContain(`coverage gate failed: total coverage dropped ${drop} points`);
        expect(featureError).toContain("more than maxDrop 2");
    });

    it("kept the failed update's outputs and wrote its reports", () => {
        expect(feature.tests).toEqual(expect.objectContaining({ succeeded: true, failed: 0 }));
        expect(feature.gate).toEqual(
            expect.objectContaining({ passed: false, maxDrop: 2, baseStack: MAIN, baseRunId: main.runId }),
        );
        expect(fs.readFileSync(feature.reports.markdown, "utf8")).toContain("**Gates failed:**");
        expect((JSON.parse(fs.readFileSync(feature.reports.summary, "utf8")) as { runId: string }).runId).toBe(
            feature.runId,
        );
    });

    it("gives a consumer stack the delta of the feature against main, through StackReferences", async () => {
        const consumer = await LocalWorkspace.createOrSelectStack(
            {
                stackName: CONSUMER,
                projectName: "coverage-delta",
                program: () =>
                    Promise.resolve(
                        coverageDeltaProgram({ baseStack: qualified(MAIN), headStack: qualified(FEATURE) }) as never,
                    ),
            },
            { workDir: work, projectSettings: { name: "coverage-delta", runtime: "nodejs" } },
        );
        consumers.push(consumer);
        const result = await consumer.up();
        const expected = coverageDelta(main, feature);
        expect(result.outputs.delta.value).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(result.outputs.totalDelta.value).toBe(expected.total.delta);
        expect(result.outputs.totalDelta.value).toBeLessThan(0);
        // The feature suite never asks for inventory or reports: those files lost coverage.
        expect(result.outputs.filesLost.value).toEqual(
            expect.arrayContaining(["demo:demo_app/inventory.py", "demo:demo_app/reports.py"]),
        );
        expect(result.outputs.filesGained.value).toEqual([]);
    });
});
