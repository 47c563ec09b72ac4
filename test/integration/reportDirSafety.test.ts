import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isRunFolderOf } from "../../components/harvester/runMarker";
import { stackObjectName } from "../../components/shared/naming";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { docker } from "./engine";
import { StackInput, StackRun, demoService, destroyStack, measureService, trackStack } from "./stackRun";

jest.setTimeout(20 * 60 * 1000);

/** A short part of the demo's suite: these tests are about the folders a run leaves, not its lines. */
const QUICK_SUITE = `${DEMO_TEST_COMMAND} -k health`;
/** The user's folders in runs/: one is named like a run, which must not make it one. */
const USERS_RUN_FOLDERS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "20000101T000000Z-aaaaaa"];

/** Every file under a folder, links not followed, as {relative path: sha256 of its bytes}. */
function filesUnder(root: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
    const found: Record<string, string> = {};
    const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            const rel = path.relative(root, full);
            if (skip(rel)) continue;
            if (entry.isDirectory()) walk(full);
            else found[rel] = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
        }
    };
    walk(root);
    return found;
}

/** Fills a report folder with what a user might keep there: folders in runs/, files beside them and at the top. */
function fillWithUsersFiles(reportDir: string): void {
    for (const name of USERS_RUN_FOLDERS) {
        fs.mkdirSync(path.join(reportDir, "runs", name, "nested"), { recursive: true });
        fs.writeFileSync(path.join(reportDir, "runs", name, "data.bin"), crypto.randomBytes(4096));
        fs.writeFileSync(path.join(reportDir, "runs", name, "nested", "notes.txt"), `the user's ${name}\n`);
    }
    fs.writeFileSync(path.join(reportDir, "runs", "index.html"), "<p>the user's index</p>\n");
    fs.writeFileSync(path.join(reportDir, "README.md"), "the user's reports\n");
    fs.mkdirSync(path.join(reportDir, "config"));
    fs.writeFileSync(path.join(reportDir, "config", "settings.ini"), "[user]\nkeep = yes\n");
    // A file of the name coverage-spy's rcfile once had: the user's, so never written over.
    fs.writeFileSync(path.join(reportDir, "config", "coveragerc"), "[run]\nbranch = True\n");
}

/** The run folders in a stack's data volume, read by a throwaway container of the harvester image. */
function volumeRuns(stack: string): string[] {
    const volume = stackObjectName(stack, "data");
    const listing = docker(
        "run",
        "--rm",
        "-v",
        `${volume}:/data:ro`,
        "coverage-spy/harvester:latest",
        "ls",
        "/data/runs",
    );
    return listing.split("\n").filter((n) => n !== "");
}

describe("a report folder that holds the user's files, shared by two stacks", () => {
    const owner: StackInput = {
        stack: `itest-rdsafe-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        testCommand: QUICK_SUITE,
        config: { keepRuns: 1 },
    };
    const reportDir = trackStack(owner.stack);
    const neighbour: StackInput = {
        stack: `itest-rdsafe2-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        testCommand: QUICK_SUITE,
        config: { keepRuns: 1, reportDir },
    };
    // The owner's destroy removes the shared folder: the neighbour's goes first.
    afterAll(() => {
        try {
            destroyStack(neighbour.stack);
        } finally {
            destroyStack(owner.stack);
        }
    });

    it("keeps every file of the user and the other stack's run, and prunes only the stack's own old runs", () => {
        fillWithUsersFiles(reportDir);
        const usersFiles = filesUnder(reportDir);
        expect(Object.keys(usersFiles)).toHaveLength(USERS_RUN_FOLDERS.length * 2 + 4);

        const neighbours: StackRun = measureService(neighbour);
        const first: StackRun = measureService(owner);
        const second: StackRun = measureService(owner);
        const third: StackRun = measureService(owner);

        // The runs this test made, each proven by its marker to be the stack's that wrote it.
        expect(isRunFolderOf(neighbours.runDir, neighbour.stack)).toBe(true);
        expect(isRunFolderOf(third.runDir, owner.stack)).toBe(true);
        expect(isRunFolderOf(third.runDir, neighbour.stack)).toBe(false);
        // keepRuns 1: only the owner's last run is left of its three; the neighbour's run is whole.
        expect(fs.existsSync(first.runDir)).toBe(false);
        expect(fs.existsSync(second.runDir)).toBe(false);
        expect(fs.readdirSync(path.join(reportDir, "runs")).sort()).toEqual(
            [...USERS_RUN_FOLDERS, "index.html", neighbours.runId, third.runId].sort(),
        );
        expect(fs.existsSync(path.join(neighbours.runDir, "harvest.json"))).toBe(true);
        expect(fs.existsSync(path.join(neighbours.runDir, "total", "coverage.json"))).toBe(true);
        // Every file of the user, byte for byte (what the stacks wrote beside them aside).
        const ours = new Set(["runs/" + neighbours.runId, "runs/" + third.runId]);
        // Nothing else of the stacks: each one's rcfile is in its own spy volume, not in the report folder.
        expect(fs.existsSync(path.join(reportDir, ".coverage-spy"))).toBe(false);
        expect(filesUnder(reportDir, (rel) => ours.has(rel))).toEqual(usersFiles);
        // The stack's own volume keeps its last run only too.
        expect(volumeRuns(owner.stack)).toEqual([third.runId]);
    });
});
