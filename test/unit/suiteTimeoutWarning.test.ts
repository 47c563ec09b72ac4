import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMockEngine, valueOf } from "./mockEngine";
import { FIXTURE_RUN_ID, fakeDockerOnPath, reportDirWithFixtureRun } from "./fixtures";

installMockEngine();
fakeDockerOnPath({
    "shop:prod": '["PATH=/usr/bin"]',
    "worker:prod": '["PATH=/usr/bin"]',
    "coverage-spy/harvester:latest": '["PATH=/usr/bin"]',
});

// Imported after the mocks are in place.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine
const { CoverageSpyStack } = require("../../components") as typeof import("../../components");

/** The fixture run, its suite killed by its time limit. */
function timedOutRun(): string {
    const reportDir = reportDirWithFixtureRun();
    const testsFile = path.join(reportDir, "runs", FIXTURE_RUN_ID, "tests.json");
    const tests = JSON.parse(fs.readFileSync(testsFile, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(testsFile, JSON.stringify({ ...tests, exitCode: 124, timedOutAfterSeconds: 30 }));
    return reportDir;
}

describe("CoverageSpyStack with a suite that timed out", () => {
    it("warns, on the component, that the suite timed out after its testTimeoutSeconds", async () => {
        const warnings: string[] = [];
        const spy = jest.spyOn(pulumi.log, "warn").mockImplementation((message: string) => {
            warnings.push(message);
            return Promise.resolve();
        });
        try {
            const stack = new CoverageSpyStack("slow", {
                services: [
                    { name: "shop", image: "shop:prod", sourcePath: "/app", ports: [{ internal: 8000 }] },
                    { name: "worker", image: "worker:prod", sourcePath: "/srv/worker" },
                ],
                testCommand: "pytest tests/e2e",
                testTimeoutSeconds: 30,
                reportDir: timedOutRun(),
                runId: FIXTURE_RUN_ID,
            });
            // The component's applies on the summary ran before valueOf's, registered later.
            expect((await valueOf(stack.summary))?.tests.timedOutAfterSeconds).toBe(30);
            expect(warnings).toEqual([
                expect.stringMatching(
                    /^coverage-spy: the test suite timed out after 30 s \(testTimeoutSeconds\) and was killed \(exit code 124\)/,
                ) as unknown,
            ]);
        } finally {
            spy.mockRestore();
        }
    });
});
