import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { RUN_MARKER, isRunFolderOf } from "../../components/harvester/runMarker";
import { tempDir } from "./fixtures";

const ASSETS = path.resolve(__dirname, "..", "..", "coverage-spy");

/** A run folder with the marker the real harvest (harvest.py write_marker) writes, for one stack of one project. */
function harvestedRun(runs: string, runId: string, stack: string, project = "shop"): string {
    const folder = path.join(runs, runId);
    const result = spawnSync(
        "python3",
        ["-B", "-c", "import sys, harvest; harvest.write_marker(*sys.argv[1:])", folder, project, stack, runId],
        { cwd: ASSETS, encoding: "utf8" },
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return folder;
}

describe("a run folder's marker (what the harvest writes, what a removal trusts)", () => {
    it("proves a run the harvest wrote is this stack's, in this project", () => {
        const runs = tempDir();
        const run = harvestedRun(runs, "20261124T120000Z-aaaaaa", "dev");
        expect(isRunFolderOf(run, "dev")).toBe(true);
        expect(isRunFolderOf(run, "dev", "shop")).toBe(true);
        expect(isRunFolderOf(run, "dev", "billing")).toBe(false);
        expect(isRunFolderOf(run, "ci")).toBe(false);
    });

    it("proves nothing for a user's folder, a copied marker or a link to a run", () => {
        const runs = tempDir();
        const user = path.join(runs, "alpha");
        fs.mkdirSync(user);
        expect(isRunFolderOf(user, "dev")).toBe(false);
        // A marker copied along with a run's files names that run, not the folder it now sits in.
        const run = harvestedRun(runs, "20261124T120000Z-aaaaaa", "dev");
        const copy = path.join(runs, "20261124T120000Z-copied");
        fs.mkdirSync(copy);
        fs.copyFileSync(path.join(run, RUN_MARKER), path.join(copy, RUN_MARKER));
        expect(isRunFolderOf(copy, "dev")).toBe(false);
        const link = path.join(tempDir(), "20261124T120000Z-aaaaaa");
        fs.symlinkSync(run, link);
        expect(isRunFolderOf(link, "dev")).toBe(false);
        const broken = path.join(runs, "20261124T120000Z-broken");
        fs.mkdirSync(broken);
        fs.writeFileSync(path.join(broken, RUN_MARKER), "{not json");
        expect(isRunFolderOf(broken, "dev")).toBe(false);
    });
});
