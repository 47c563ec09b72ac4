import { installMockEngine, loggedDuring, valueOf } from "../mockEngine";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import {
    COMMAND,
    CONTAINER,
    FakePreparation,
    declarationsSettled,
    fakePrepared,
    parentNamed,
    planOf,
    stepArgs,
} from "./stepInputs";

// A create takes a while, so that a resource declared without waiting for another registers before that one exists.
const engine = installMockEngine({
    createDelayMs: { [CONTAINER]: 60, [COMMAND]: 60 },
    exitCodes: { "bad-harvester": 3, "lost-harvester": 2 },
});

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { harvestRun } =
    require("../../../components/stack/harvestRun") as typeof import("../../../components/stack/harvestRun");
const command = require("@pulumi/command") as typeof import("@pulumi/command");
/* eslint-enable @typescript-eslint/no-require-imports */

/** harvestRun of `args` under a parent named `name`, after a stand-in preparation and a stand-in test run. */
function harvest(name: string, args = stepArgs(tempDir()), fake: FakePreparation = {}) {
    const plan = planOf(args);
    const parent = parentNamed(name);
    const prepared = fakePrepared(parent, name, plan, fake);
    // The test run ends after the preparation, as runSuite's does: after whatever else the harvester waits for.
    const testRun = new command.local.Command(
        `${name}-fake-test-run`,
        { create: "true" },
        { parent, dependsOn: [prepared.preparation, ...prepared.spyReady] },
    );
    return { plan, harvested: harvestRun(parent, name, plan, prepared, testRun) };
}

describe("harvestRun on a local engine", () => {
    let made: ReturnType<typeof harvest>;
    beforeAll(async () => {
        made = harvest("near", stepArgs(tempDir(), { lostProcesses: "fail", keepRuns: 3 }));
        await valueOf(made.harvested.failure);
    });

    it("harvests once the test run ended and the spy is installed", () => {
        const harvester = engine.one(CONTAINER, "near-harvester");
        expect(harvester.registeredAt).toBeGreaterThan(engine.one(COMMAND, "near-fake-test-run").createdAt!);
        expect(harvester.registeredAt).toBeGreaterThan(engine.one(CONTAINER, "near-fake-spy-install").createdAt!);
    });

    it("has the harvester write the reports into the host's report folder itself, and copies nothing", () => {
        const harvester = engine.one(CONTAINER, "near-harvester");
        expect(harvester.inputs.mounts).toEqual([
            {
                type: "bind",
                source: made.plan.resolved.reportDir,
                target: "/opt/coverage-spy/reports",
                readOnly: false,
            },
        ]);
        expect(harvester.inputs.command).toEqual(
            expect.arrayContaining(["--out", `/opt/coverage-spy/reports/runs/${FIXTURE_RUN_ID}`]),
        );
        expect(harvester.inputs.uploads).toBeUndefined();
        expect(engine.ofType(COMMAND).filter((c) => c.name === "near-reports-copy")).toEqual([]);
    });

    it("hands the harvester the run's policies and the measured services of the preparation, on its volumes", () => {
        const harvester = engine.one(CONTAINER, "near-harvester");
        expect(harvester.inputs.command).toEqual(
            expect.arrayContaining(["--lost", "fail", "--keep", "3", "--run-id", FIXTURE_RUN_ID]),
        );
        expect(harvester.inputs.command).toEqual(
            expect.arrayContaining(["--service", "shop=/app", "--service", "worker=/srv/worker"]),
        );
        expect(harvester.inputs.volumes).toEqual([
            expect.objectContaining({ volumeName: "fake-spy-volume", readOnly: true }),
            expect.objectContaining({ volumeName: "fake-data-volume", readOnly: false }),
        ]);
        expect(harvester.inputs.image).toBe(made.plan.spyImage.image);
    });

    it("resolves `failure` to undefined when the harvester exited 0", async () => {
        expect(await valueOf(made.harvested.failure)).toBeUndefined();
    });
});

describe("harvestRun on a remote engine", () => {
    let made: ReturnType<typeof harvest>;
    /** Whether the reports copy was created when `failure` resolved. */
    let copiedWhenResolved: boolean | undefined;
    beforeAll(async () => {
        const args = stepArgs(tempDir(), { remoteEngine: true, serviceHost: "10.9.8.7" });
        made = harvest("far", args, { cliEnv: { DOCKER_HOST: "ssh://builder@10.9.8.7" } });
        // Looked at as `failure` resolves: an output that waits for the harvester alone resolves before the copy
        // (created after the harvester, and taking a while) exists.
        made.harvested.failure.apply(() => {
            const copy = engine.ofType(COMMAND).find((c) => c.name === "far-reports-copy");
            copiedWhenResolved = copy?.createdAt !== undefined;
        });
        await valueOf(made.harvested.failure);
    });

    it("uploads the test run's tar to the harvester, which writes the reports into its own filesystem", () => {
        const harvester = engine.one(CONTAINER, "far-harvester");
        expect(harvester.inputs.uploads).toEqual([
            expect.objectContaining({ source: made.plan.engine.runTar, file: "/tmp/coverage-spy-run.tar" }),
        ]);
        expect(harvester.inputs.mounts).toEqual([]);
        expect(harvester.inputs.command).toEqual(
            expect.arrayContaining(["--out", `/tmp/coverage-spy-reports/runs/${FIXTURE_RUN_ID}`]),
        );
    });

    it("copies the reports out of the harvester into the host's run folder, through the engine's CLI environment", () => {
        const copy = engine.one(COMMAND, "far-reports-copy");
        expect(copy.inputs.environment).toEqual(
            expect.objectContaining({
                DOCKER_HOST: "ssh://builder@10.9.8.7",
                COVERAGE_SPY_FROM: `/tmp/coverage-spy-reports/runs/${FIXTURE_RUN_ID}`,
                COVERAGE_SPY_TO: made.plan.runDir,
                COVERAGE_SPY_HARVESTER: "coverage-spy-unit-harvester",
            }),
        );
        expect(copy.registeredAt).toBeGreaterThan(engine.one(CONTAINER, "far-harvester").createdAt!);
    });

    it("resolves `failure` only once the reports are home, when the summary can read them", () => {
        expect(copiedWhenResolved).toBe(true);
    });
});

describe("harvestRun's failure", () => {
    it("says why when the harvester exits non-zero, with its output, and leaves failing the update to the summary", async () => {
        let failure: string | undefined;
        const { said } = await loggedDuring(async () => {
            failure = await valueOf(harvest("bad").harvested.failure);
            await declarationsSettled();
        });
        const errors = said.filter(([level]) => level === "error");
        expect(failure).toBe("coverage-spy: harvesting coverage failed with exit code 3:\nsimulated failure output");
        expect(errors).toEqual([]);
    });

    it("says why on a remote engine as well, and tells the reports copy how the harvest ended", async () => {
        const { harvested } = harvest("farlost", stepArgs(tempDir(), { remoteEngine: true, serviceHost: "10.9.8.7" }));
        expect(await valueOf(harvested.failure)).toBe(
            "coverage-spy: harvesting coverage failed with exit code 2:\nsimulated failure output",
        );
        expect(engine.one(COMMAND, "farlost-reports-copy").inputs.environment).toEqual(
            expect.objectContaining({ COVERAGE_SPY_HARVEST_EXIT: "2" }),
        );
    });
});
