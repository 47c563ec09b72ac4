import * as fs from "fs";
import * as path from "path";
import { readHarvestJson } from "../../components/summary/harvestJson";
import { readRunSummary } from "../../components/summary/readRunSummary";
import { FIXTURE_RUN_ID, reportDirWithFixtureRun } from "./fixtures";

function fixtureRunDir(): string {
    return path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
}

const services = [
    { name: "shop", sourcePath: "/tmp/coverage-spy-fixture/app" },
    { name: "worker", sourcePath: "/tmp/coverage-spy-fixture/worker-app" },
];

describe("readHarvestJson", () => {
    it("makes the report paths the harvester names absolute", () => {
        const dir = fixtureRunDir();
        const harvest = readHarvestJson(dir);
        expect(harvest.reports).toEqual({
            html: path.join(dir, "total/html/index.html"),
            json: path.join(dir, "total/coverage.json"),
            xml: path.join(dir, "total/coverage.xml"),
            lcov: path.join(dir, "total/coverage.lcov"),
            text: path.join(dir, "total/coverage.txt"),
        });
        expect(harvest.services.shop.report).toBe(path.join(dir, "services/shop/coverage.json"));
    });

    it("is where the summary takes its report paths from, not a second copy of the layout", () => {
        const dir = fixtureRunDir();
        const file = path.join(dir, "harvest.json");
        const harvest = JSON.parse(fs.readFileSync(file, "utf8")) as { reports: Record<string, string> };
        fs.renameSync(path.join(dir, "total", "coverage.json"), path.join(dir, "total", "renamed.json"));
        harvest.reports.json = "total/renamed.json";
        harvest.reports.html = "elsewhere/index.html";
        fs.writeFileSync(file, JSON.stringify(harvest));
        const summary = readRunSummary({ runDir: dir, runId: FIXTURE_RUN_ID, services });
        expect(summary.reports.json).toBe(path.join(dir, "total/renamed.json"));
        expect(summary.reports.html).toBe(path.join(dir, "elsewhere/index.html"));
        expect(summary.totals.percent).toBe(80);
    });

    it("names an older harvester's file, which lists no reports", () => {
        const dir = fixtureRunDir();
        const file = path.join(dir, "harvest.json");
        const { reports: _reports, ...older } = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
        fs.writeFileSync(file, JSON.stringify(older));
        expect(() => readHarvestJson(dir)).toThrow(
            `coverage-spy: ${file} names no reports: written by an older harvester (rebuild its image)`,
        );
    });
});
