import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { StackInput, demoService, destroyStack, stackRun, upStack } from "./stackRun";

jest.setTimeout(10 * 60 * 1000);

describe("a suite that runs out of testTimeoutSeconds", () => {
    // Its tests pass, then it hangs: the time limit kills it.
    const input: StackInput = {
        stack: `itest-timeout-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        testCommand: `${DEMO_TEST_COMMAND} && exec sleep 600`,
        config: { testTimeoutSeconds: 8 },
    };
    afterAll(() => destroyStack(input.stack));

    it("is said in the summary and as a warning of the update, with counts that do not claim 0 failed", () => {
        const up = upStack(input);
        // A red suite fails the update by default, after its outputs are written.
        expect(up.status).toBe(1);
        expect(up.output).toContain("coverage-spy: the test suite failed (exit code 124)");
        const run = stackRun(input, { ...up, status: 0 });
        expect(run.summary.tests).toEqual(
            expect.objectContaining({ exitCode: 124, succeeded: false, timedOutAfterSeconds: 8, failed: null }),
        );
        expect(run.summary.tests.countsUnknown).toBe(
            "the suite was killed at its time limit before its runners ended (10 passed before)",
        );
        expect(up.output).toContain(
            "coverage-spy: the test suite timed out after 8 s (testTimeoutSeconds) and was killed (exit code 124)",
        );
        expect(up.output).toMatch(
            /^tests {2}TIMED OUT after 8 s \(testTimeoutSeconds\) and was killed \(test counts unknown: /m,
        );
        expect(up.output).not.toContain("0 failed");
    });
});
