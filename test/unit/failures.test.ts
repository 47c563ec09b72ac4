import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { checkOneShotExit } from "../../components/harvester/oneShotExit";
import { summarizeRun } from "../../components/summary/readRunSummary";
import { FIXTURE_RUN_ID, reportDirWithFixtureRun } from "./fixtures";

const services = [{ name: "shop", sourcePath: "/app" }, { name: "worker", sourcePath: "/srv/worker" }];

function runDir(): string {
    return path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
}

describe("failures after the containers ran", () => {
    it("a one-shot container's non-zero exit fails with its logs", () => {
        expect(() => checkOneShotExit("harvesting coverage", 3, "no coverage data from service(s) shop"))
            .toThrow(/harvesting coverage failed with exit code 3:\nno coverage data from service\(s\) shop/);
        expect(() => checkOneShotExit("harvesting coverage", 3, "")).toThrow(pulumi.RunError);
        expect(() => checkOneShotExit("harvesting coverage", 0, "")).not.toThrow();
    });

    it("a red test suite is recorded, and fails the update only when asked", () => {
        const dir = runDir();
        expect(summarizeRun({ runDir: dir, runId: FIXTURE_RUN_ID, services }, false).tests.succeeded).toBe(false);
        expect(() => summarizeRun({ runDir: dir, runId: FIXTURE_RUN_ID, services }, true))
            .toThrow(/the test suite failed \(exit code 1\); reports are in .*\/runs\/20261124T120000Z-f1x7ur/);
    });

    it("missing reports fail with the run and the file named", () => {
        const dir = runDir();
        fs.rmSync(path.join(dir, "services", "worker"), { recursive: true });
        expect(() => summarizeRun({ runDir: dir, runId: FIXTURE_RUN_ID, services }, false))
            .toThrow(/cannot read the reports of run 20261124T120000Z-f1x7ur .*services\/worker\/coverage.json/);
    });

    it("records the failUnder gate against the total", () => {
        const dir = runDir();
        expect(summarizeRun({ runDir: dir, runId: FIXTURE_RUN_ID, services, failUnder: 80 }, false).gate).toEqual({ failUnder: 80, passed: true });
        expect(summarizeRun({ runDir: dir, runId: FIXTURE_RUN_ID, services, failUnder: 80.5 }, false).gate).toEqual({ failUnder: 80.5, passed: false });
    });
});
