import * as fs from "fs";
import * as path from "path";
import { RUN_MARKER } from "../../components/harvester/runMarker";
import { defaultReportFolder, describeReportFolder } from "../../cli/project/reportFolder";
import { tempDir } from "./fixtures";

/** A run folder as the harvest writes it: its reports and its marker. */
function harvestedRun(projectDir: string, stack: string, runId: string, markerStack = stack): string {
    const run = path.join(defaultReportFolder(projectDir, stack), "runs", runId);
    fs.mkdirSync(path.join(run, "total"), { recursive: true });
    fs.writeFileSync(path.join(run, "total", "coverage.txt"), "TOTAL 1 0 100%\n".repeat(1000));
    fs.writeFileSync(
        path.join(run, RUN_MARKER),
        JSON.stringify({ tool: "coverage-spy", project: "coverage-spy", stack: markerStack, runId }),
    );
    return run;
}

describe("the stack's report folder after a destroy", () => {
    it("is kept by default, with its size and the flag that removes it", () => {
        const dir = tempDir();
        harvestedRun(dir, "feat", "20261205T100000Z-a");
        expect(describeReportFolder(dir, "feat", false)).toBe(
            "kept the stack's reports in reports/feat (0.0 MB); " +
                "npm run coverage:destroy -- --stack feat --remove-reports removes them",
        );
        expect(fs.existsSync(defaultReportFolder(dir, "feat"))).toBe(true);
        expect(describeReportFolder(dir, "none", false)).toBeUndefined();
    });

    it("removes only the runs coverage-spy wrote for this stack, and the folder once it is empty", () => {
        const dir = tempDir();
        harvestedRun(dir, "feat", "20261205T100000Z-a");
        harvestedRun(dir, "feat", "20261205T110000Z-b");
        expect(describeReportFolder(dir, "feat", true)).toBe("removed the stack's reports (reports/feat, 2 run(s))");
        expect(fs.existsSync(defaultReportFolder(dir, "feat"))).toBe(false);
    });

    it("keeps a folder without a marker, another stack's run and a file of the user's", () => {
        const dir = tempDir();
        harvestedRun(dir, "feat", "20261205T100000Z-a");
        const other = harvestedRun(dir, "feat", "20261205T110000Z-b", "someone-else");
        const mine = path.join(defaultReportFolder(dir, "feat"), "runs", "alpha");
        fs.mkdirSync(mine);
        fs.writeFileSync(path.join(mine, "notes.txt"), "keep me");
        fs.writeFileSync(path.join(defaultReportFolder(dir, "feat"), "README"), "mine");
        expect(describeReportFolder(dir, "feat", true)).toBe(
            "removed 1 run(s) from reports/feat; kept what coverage-spy did not write there",
        );
        expect(fs.readFileSync(path.join(mine, "notes.txt"), "utf8")).toBe("keep me");
        expect(fs.existsSync(path.join(other, RUN_MARKER))).toBe(true);
        expect(fs.readFileSync(path.join(defaultReportFolder(dir, "feat"), "README"), "utf8")).toBe("mine");
    });
});
