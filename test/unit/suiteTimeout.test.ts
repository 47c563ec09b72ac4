import * as fs from "fs";
import * as path from "path";
import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { TestRunScriptInput, testRunDescription } from "../../components/testRun/testRunScript";
import { formatSummary } from "../../components/summary/formatSummary";
import { markdownSummary } from "../../components/summary/markdownSummary";
import { readRunSummary } from "../../components/summary/readRunSummary";
import { suiteWarnings } from "../../components/summary/suiteWarnings";
import { FIXTURE_RUN_ID, FIXTURE_SERVICES, reportDirWithFixtureRun, tempDir } from "./fixtures";
import { runnerProgram, scriptService } from "./runnerProgram";
import { runProgram, scriptDocker } from "./scriptDocker";

jest.setTimeout(60_000);

const TEST_RUN = runnerProgram("testRunMain");

/** Runs the test run with one service that is ready once running (no URL, no port), and the given suite. */
async function testRun(testCommand: string, testTimeoutSeconds: number) {
    const docker = scriptDocker();
    docker.container("cs-unit-api", { running: true });
    const work = tempDir();
    const input: TestRunScriptInput = {
        runDir: path.join(work, "run"),
        testWorkingDir: work,
        testTimeoutSeconds,
        services: [scriptService("api")],
    };
    const result = await runProgram(TEST_RUN, {
        ...docker.env,
        [TEST_RUN_VARIABLE]: JSON.stringify(testRunDescription({ ...input, testCommand }, {})),
    });
    const testsFile = path.join(input.runDir, "tests.json");
    const tests = fs.existsSync(testsFile)
        ? (JSON.parse(fs.readFileSync(testsFile, "utf8")) as Record<string, unknown>)
        : {};
    return { result, tests };
}

describe("a test suite that runs out of its time (testTimeoutSeconds)", () => {
    it("is recorded as timed out, with the seconds it was given, and said as a warning", async () => {
        const { result, tests } = await testRun("echo started; exec sleep 300", 1);
        expect(result.status).toBe(0);
        expect(tests).toEqual(expect.objectContaining({ exitCode: 124, timedOutAfterSeconds: 1 }));
        expect(result.stderr).toContain(
            "[coverage-spy] warning: the test suite timed out after 1 s (testTimeoutSeconds) and was killed",
        );
    });

    it("is not confused with a suite that exits 124 by itself", async () => {
        const { result, tests } = await testRun("exit 124", 300);
        expect(result.status).toBe(0);
        expect(tests.exitCode).toBe(124);
        expect(tests).not.toHaveProperty("timedOutAfterSeconds");
        expect(result.stderr).not.toContain("timed out");
    });

    it("is said in the summary, in the terminal and in Markdown, and as a warning of the update", () => {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        const testsFile = path.join(runDir, "tests.json");
        const tests = JSON.parse(fs.readFileSync(testsFile, "utf8")) as Record<string, unknown>;
        fs.writeFileSync(testsFile, JSON.stringify({ ...tests, exitCode: 124, timedOutAfterSeconds: 30 }));
        const summary = readRunSummary({ runDir, runId: FIXTURE_RUN_ID, services: FIXTURE_SERVICES });
        expect(summary.tests.timedOutAfterSeconds).toBe(30);
        // The fixture's runner said 1 failed: those counts stand.
        expect(summary.tests.failed).toBe(1);
        expect(formatSummary(summary)).toContain(
            "tests  TIMED OUT after 30 s (testTimeoutSeconds) and was killed (3 passed, 1 failed) in 1.2 s",
        );
        expect(markdownSummary(summary)).toContain(
            "Tests timed out after 30 s (`testTimeoutSeconds`) and were killed: 3 passed, 1 failed.",
        );
        expect(suiteWarnings(summary)).toEqual([
            "coverage-spy: the test suite timed out after 30 s (testTimeoutSeconds) and was killed (exit code 124): " +
                `the coverage is of the part that ran. Give a longer testTimeoutSeconds, or find the test that hangs in ${runDir}/tests.log`,
        ]);
    });

    it("leaves the summary of a suite that ended in time as it was", () => {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        const summary = readRunSummary({ runDir, runId: FIXTURE_RUN_ID, services: FIXTURE_SERVICES });
        expect(summary.tests).not.toHaveProperty("timedOutAfterSeconds");
        expect(formatSummary(summary)).not.toContain("TIMED OUT");
        expect(suiteWarnings(summary)).toEqual([]);
    });
});
