import { CoverageSummary } from "../../components/summary/coverageSummary";
import { stackObjectName } from "../../components/shared/naming";
import { DEMO_TEST_COMMAND } from "./demoExpectations";
import { labelledObjects } from "./engine";
import { ExecutedLines, referenceRun } from "./oracle";
import { StackInput, StackRun, demoService, destroyStack, stackRun, upStackAsync } from "./stackRun";

jest.setTimeout(8 * 60 * 1000);

const IMAGE = "coverage-spy/demo-app:bookworm";
const SUBSET_A = `${DEMO_TEST_COMMAND} -k price -k bulk -k report`;
const SUBSET_B = `${DEMO_TEST_COMMAND} -k inventory -k unknown_route -k health`;

/**
 * Waits (at most 180 s: a bound on a hang) until the other stack's service runs: both stacks' services are then up
 * at once.
 */
function afterOtherIsUp(other: string, command: string): string {
    const up = `[ -n "$(docker ps -q --filter label=coverage-spy.stack=${other} --filter label=coverage-spy.role=service)" ]`;
    return `for i in $(seq 900); do ${up} && break; sleep 0.2; done; ${up} || { echo "${other} never came up"; exit 1; }; ${command}`;
}

function executed(summary: CoverageSummary): ExecutedLines {
    return Object.fromEntries(summary.files.map((f) => [f.path, f.executedLines]));
}

describe("two branch stacks up on one engine at the same time", () => {
    const main: StackInput = { stack: `itest-par-main-${process.pid}`, service: demoService(IMAGE), testCommand: "" };
    const feature: StackInput = {
        stack: `itest-par-feature-${process.pid}`,
        service: demoService(IMAGE),
        testCommand: "",
    };
    main.testCommand = afterOtherIsUp(feature.stack, SUBSET_A);
    feature.testCommand = afterOtherIsUp(main.stack, SUBSET_B);
    let runs: StackRun[] = [];
    let refA: ExecutedLines;
    let refB: ExecutedLines;

    beforeAll(async () => {
        [refA, refB] = [await referenceRun(SUBSET_A), await referenceRun(SUBSET_B)];
        const ups = await Promise.all([upStackAsync(main), upStackAsync(feature)]);
        runs = [stackRun(main, ups[0]), stackRun(feature, ups[1])];
    });
    afterAll(() => {
        destroyStack(main.stack);
        destroyStack(feature.stack);
    });

    it("both complete, each with exactly its own suite's lines", () => {
        expect(executed(runs[0].summary)).toEqual(refA);
        expect(executed(runs[1].summary)).toEqual(refB);
        expect(runs.map((r) => r.summary.tests.succeeded)).toEqual([true, true]);
    });

    it("each has its own named and labelled objects, so neither sees the other's data", () => {
        for (const stack of [main.stack, feature.stack]) {
            expect(labelledObjects("volume", stack).sort()).toEqual(
                ["data", "spy"].map((n) => stackObjectName(stack, n)),
            );
            expect(labelledObjects("container", stack).sort()).toEqual(
                ["demo", "harvester", "prepare", "spy-install"].map((n) => stackObjectName(stack, n)),
            );
        }
    });
});
