import * as pulumi from "@pulumi/pulumi";
import { Said, installMockEngine, loggedDuring, valueOf } from "../mockEngine";
import { FIXTURE_RUN_ID, reportDirWithFixtureRun, tempDir } from "../fixtures";
import { STACK_REFERENCE, declarationsSettled, parentNamed, planOf, stepArgs } from "./stepInputs";
import type { CoverageSpyStackArgs } from "../../../components/options/args";
import type { CoverageSummary } from "../../../components/summary/coverageSummary";

/** A base stack's coverage output: 85% where the fixture run has 80%. */
function baseOutput(runId: string) {
    return {
        schemaVersion: 1,
        runId,
        totals: { statements: 30, covered: 25, missing: 5, excluded: 0, percent: 85 },
        services: {},
        files: [],
    };
}

const engine = installMockEngine({
    stackOutputs: {
        "organization/coverage-spy/main": { coverage: baseOutput("main-run") },
        "acme/shop/release": { coverage: baseOutput("release-run") },
    },
});

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { summarizeResults } =
    require("../../../components/stack/summarizeResults") as typeof import("../../../components/stack/summarizeResults");
const { formatSummary } =
    require("../../../components/summary/formatSummary") as typeof import("../../../components/summary/formatSummary");
const docker = require("@pulumi/docker") as typeof import("@pulumi/docker");
/* eslint-enable @typescript-eslint/no-require-imports */

interface Summarized {
    parent: pulumi.ComponentResource;
    summary: CoverageSummary | undefined;
    summaryText: string;
    said: Said;
}

/**
 * summarizeResults under a parent named `name`, after a stand-in harvest that failed with `failure` (or not), of the
 * run the plan of `more` names in `reportDir`: resolves once the summary and its text resolved, with what was said.
 */
async function summarize(
    name: string,
    more: Partial<CoverageSpyStackArgs>,
    failure?: string,
    reportDir = reportDirWithFixtureRun(),
): Promise<Summarized> {
    const { result, said } = await loggedDuring(async () => {
        const parent = parentNamed(name);
        const plan = planOf(stepArgs(reportDir, more));
        const harvester = new docker.Container(`${name}-fake-harvester`, { image: "fake:1" }, { parent });
        const results = summarizeResults(parent, name, plan, { harvester, failure: pulumi.output(failure) });
        // The step's own applies on the summary (its messages among them) were registered before valueOf's: an
        // output calls its applies in that order, so they have run when these resolve.
        return { parent, summary: await valueOf(results.summary), summaryText: await valueOf(results.summaryText) };
    });
    return { ...result, said };
}

const references = (name: string) => engine.ofType(STACK_REFERENCE).filter((r) => r.name.startsWith(`${name}-`));

describe("summarizeResults of a harvested run", () => {
    let run: Summarized;
    beforeAll(async () => {
        run = await summarize("plain", { failOnTestFailure: false });
    });

    it("reads the run of the plan and says its summary, as text, on the component", () => {
        expect(run.summary?.runId).toBe(FIXTURE_RUN_ID);
        expect(run.summaryText).toBe(formatSummary(run.summary!));
        expect(run.said).toEqual([["info", run.summaryText, run.parent]]);
    });

    it("asks no base stack for its coverage when none is named, and evaluates no threshold", async () => {
        await declarationsSettled();
        expect(references("plain")).toEqual([]);
        expect(run.summary?.gate).toStrictEqual({ passed: true, failures: [], notes: [] });
    });
});

describe("summarizeResults with a base stack", () => {
    it("reads the base stack's coverage, in this backend's organization and project, through a StackReference", async () => {
        const run = await summarize("based", { baseStack: "main", failOnTestFailure: false });
        expect(references("based").map((r) => [r.name, r.inputs.name])).toEqual([
            ["based-base", "organization/coverage-spy/main"],
        ]);
        expect(run.summary?.gate).toEqual(expect.objectContaining({ baseStack: "main", baseRunId: "main-run" }));
    });

    it("keeps a base stack named with its organization and project", async () => {
        const run = await summarize("qualified", { baseStack: "acme/shop/release", failOnTestFailure: false });
        expect(references("qualified").map((r) => r.inputs.name)).toEqual(["acme/shop/release"]);
        expect(run.summary?.gate?.baseRunId).toBe("release-run");
    });
});

describe("summarizeResults' gates", () => {
    it("evaluates the thresholds the user set, and only those", async () => {
        const run = await summarize("passing", {
            failUnder: 75,
            failUnderPerService: { shop: 50 },
            maxDrop: 10,
            baseStack: "main",
            failOnTestFailure: false,
        });
        // Strictly: a threshold that is not set is not there, not even as undefined.
        expect(run.summary?.gate).toStrictEqual({
            failUnder: 75,
            failUnderPerService: { shop: 50 },
            maxDrop: 10,
            baseStack: "main",
            baseRunId: "main-run",
            passed: true,
            failures: [],
            notes: [],
        });
        expect(run.said.filter(([level]) => level !== "info")).toEqual([]);
    });

    it("fails the update on the component, after saying the summary, when a gate failed", async () => {
        const run = await summarize("gated", { failUnder: 90, failOnTestFailure: false });
        expect(run.summary?.gate?.passed).toBe(false);
        expect(run.said).toEqual([
            ["info", run.summaryText, run.parent],
            [
                "error",
                expect.stringMatching(
                    /^coverage-spy: coverage gate failed: total coverage 80\.00% is under failUnder 90%\./,
                ),
                run.parent,
            ],
        ]);
    });

    it("fails the update on a red suite only with failOnTestFailure", async () => {
        // The fixture run's suite exited 1.
        const red = await summarize("red", { failOnTestFailure: true });
        expect(red.said.filter(([level]) => level === "error")).toEqual([
            ["error", expect.stringMatching(/^coverage-spy: the test suite failed \(exit code 1\)\./), red.parent],
        ]);
        const tolerated = await summarize("tolerated", { failOnTestFailure: false });
        expect(tolerated.said.filter(([level]) => level === "error")).toEqual([]);
    });
});

describe("summarizeResults of a failed harvest", () => {
    it("exports no summary and no text, and fails the update once, on the component, with the harvest's failure", async () => {
        // An empty report folder: reading it would fail with another message.
        const failure = "coverage-spy: harvesting coverage failed with exit code 3:\nsimulated failure output";
        const run = await summarize("failed", { baseStack: "main" }, failure, tempDir());
        expect(run.summary).toBeUndefined();
        expect(run.summaryText).toBe("");
        expect(run.said).toEqual([["error", failure, run.parent]]);
    });

    it("fails the update the same way when the harvest's reports cannot be read", async () => {
        const reportDir = tempDir();
        const run = await summarize("unread", {}, undefined, reportDir);
        expect(run.summary).toBeUndefined();
        expect(run.summaryText).toBe("");
        expect(run.said).toEqual([
            [
                "error",
                expect.stringMatching(
                    new RegExp(`^coverage-spy: cannot read the reports of run ${FIXTURE_RUN_ID} in ${reportDir}/runs/`),
                ),
                run.parent,
            ],
        ]);
    });
});
