import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMockEngine } from "../mockEngine";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";
import { declarationsSettled, planOf, stepArgs } from "./stepInputs";

const engine = installMockEngine();

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { CoverageSpyInputError } =
    require("../../../components/options/inputError") as typeof import("../../../components/options/inputError");
const { spyImageTag, coveragePins } =
    require("../../../components/engine/spyImage") as typeof import("../../../components/engine/spyImage");
/* eslint-enable @typescript-eslint/no-require-imports */

/** The error planRun throws for `args`. */
function planError(args: Parameters<typeof planOf>[0]): Error {
    try {
        planOf(args);
    } catch (err) {
        return err as Error;
    }
    throw new Error("planRun accepted the input");
}

/** Runs `body` with DOCKER_HOST set to `host` (unset when undefined), then puts the machine's value back. */
function withDockerHost<T>(host: string | undefined, body: () => T): T {
    const saved = process.env.DOCKER_HOST;
    if (host === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = host;
    try {
        return body();
    } finally {
        if (saved === undefined) delete process.env.DOCKER_HOST;
        else process.env.DOCKER_HOST = saved;
    }
}

describe("planRun's input errors", () => {
    it("throws one CoverageSpyInputError listing every problem of the input, each naming its option", () => {
        const err = planError({ ...stepArgs("/tmp/reports"), testCommand: " ", keepRuns: 0, runId: "no spaces" });
        expect(err).toBeInstanceOf(CoverageSpyInputError);
        // The component makes it a ResourceError of its own; the step says it as the input's, nothing more.
        expect(err).not.toBeInstanceOf(pulumi.ResourceError);
        expect((err as InstanceType<typeof CoverageSpyInputError>).problems).toEqual([
            "testCommand must be a non-empty shell command",
            expect.stringMatching(/^keepRuns /),
            `runId "no spaces" must be 1–64 letters, digits, "_", ".", "-"`,
        ]);
        expect(err.message.split("\n")[0]).toBe("invalid coverage-spy input:");
    });

    it("refuses a run with no service", () => {
        expect(planError({ ...stepArgs("/tmp/reports"), services: [] }).message).toMatch(
            /services: at least one service is required/,
        );
    });
});

describe("planRun's image needs", () => {
    it("names each service's plain image, not one that is still an output (built later), and no spy image of its own", () => {
        const args = stepArgs("/tmp/reports");
        args.services = [
            ...args.services,
            { name: "api", image: pulumi.output("built-in-this-program:1"), sourcePath: "/api" },
        ];
        const plan = planOf(args);
        expect(plan.imageNeeds).toEqual([
            { owner: "service shop", image: "shop:prod" },
            { owner: "service worker", image: "worker:prod" },
        ]);
        // Its own spy image is built when the engine lacks it: looked up, not needed.
        expect(plan.spyImage.need).toBeUndefined();
        expect(plan.spyImage.image).toBe(
            spyImageTag({
                assetsDir: path.join(__dirname, "..", "..", "..", "coverage-spy"),
                baseImage: "python:3.13-slim",
                pins: coveragePins(),
            }),
        );
        expect(plan.spyImage.recipe).toBeDefined();
    });

    it("needs a spy image the user names, after the services' images, and builds none", () => {
        const plan = planOf({ ...stepArgs("/tmp/reports"), spyImage: "registry.example/team/spy:1" });
        expect(plan.imageNeeds).toEqual([
            { owner: "service shop", image: "shop:prod" },
            { owner: "service worker", image: "worker:prod" },
            { owner: "spyImage", image: "registry.example/team/spy:1" },
        ]);
        expect(plan.spyImage).toEqual({
            image: "registry.example/team/spy:1",
            need: { owner: "spyImage", image: "registry.example/team/spy:1" },
        });
    });
});

describe("planRun's labels and run folder", () => {
    it("labels the stack's objects with the stack and project of the context it is given", () => {
        const plan = planOf(stepArgs("/tmp/reports"), { stack: "ci", project: "shop" });
        expect(plan.labels).toEqual({ "coverage-spy.project": "shop", "coverage-spy.stack": "ci" });
        expect([plan.stack, plan.project]).toEqual(["ci", "shop"]);
    });

    it("puts the run's reports in runs/<run id> of the report folder, however the folder is written", () => {
        expect(planOf(stepArgs("/tmp/reports/")).runDir).toBe(`/tmp/reports/runs/${FIXTURE_RUN_ID}`);
    });

    it("defaults the report folder to reports/<stack> of the project folder, and makes a fresh run id", () => {
        const { reportDir: _given, runId: _runId, ...args } = stepArgs("/unused");
        const projectDir = tempDir();
        const plan = planOf(args, { stack: "ci", projectDir });
        expect(plan.resolved.runId).toMatch(/^\d{8}T\d{6}Z-[a-z0-9]+$/);
        expect(plan.runDir).toBe(`${projectDir}/reports/ci/runs/${plan.resolved.runId}`);
        expect(planOf(args).resolved.runId).not.toBe(plan.resolved.runId);
    });
});

describe("planRun's engine", () => {
    it("is the local engine by default: probes where the services are, the harvester writes into the report folder", () => {
        const { engine: local } = withDockerHost(undefined, () => planOf(stepArgs("/tmp/reports")));
        expect(local.remote).toBe(false);
        expect(local.probeHost).toBeUndefined();
        expect(local.runTar).toBeUndefined();
        expect(local.harvestReports).toEqual(expect.objectContaining({ reportDir: "/tmp/reports" }));
    });

    it("is a remote engine with remoteEngine: the services' published ports on serviceHost, a tar for the harvester", () => {
        const { engine: remote } = withDockerHost(undefined, () =>
            planOf({ ...stepArgs("/tmp/reports"), remoteEngine: true, serviceHost: "10.9.8.7" }),
        );
        expect(remote.remote).toBe(true);
        expect(remote.probeHost).toBe("10.9.8.7");
        expect(remote.runTar).toBe("/tmp/reports/engine/run-inputs.tar");
        expect(remote.harvestReports).toEqual({ inputsTar: "/tmp/reports/engine/run-inputs.tar" });
    });

    it("is remote when DOCKER_HOST names an engine over the network, local for a socket, as remoteEngine says", () => {
        const remoteBy = (host: string | undefined, more = {}) =>
            withDockerHost(host, () => planOf({ ...stepArgs("/tmp/reports"), ...more }).engine.remote);
        expect(remoteBy("ssh://builder@engine.example")).toBe(true);
        expect(remoteBy("tcp://engine.example:2376")).toBe(true);
        expect(remoteBy("unix:///var/run/docker.sock")).toBe(false);
        expect(remoteBy("ssh://builder@engine.example", { remoteEngine: false })).toBe(false);
        expect(remoteBy(undefined, { remoteEngine: true })).toBe(true);
    });

    it("reads the default docker provider's host (docker:host) before DOCKER_HOST", () => {
        pulumi.runtime.setConfig("docker:host", "ssh://builder@engine.example");
        try {
            expect(
                withDockerHost("unix:///var/run/docker.sock", () => planOf(stepArgs("/tmp/reports")).engine.remote),
            ).toBe(true);
        } finally {
            // An empty host is no host (engineSettingsFromConfig).
            pulumi.runtime.setConfig("docker:host", "");
        }
    });
});

describe("planRun alone", () => {
    it("declares nothing: every resource comes from a later step", async () => {
        const before = engine.resources.length;
        planOf({ ...stepArgs("/tmp/reports"), perTestContexts: true, baseStack: "main", remoteEngine: true });
        await declarationsSettled();
        expect(engine.resources.slice(before)).toEqual([]);
    });

    it("leaves the arguments it was given as they were", () => {
        const args = stepArgs("/tmp/reports");
        const copy = JSON.parse(JSON.stringify(args)) as unknown;
        planOf(args);
        expect(args).toEqual(copy);
    });
});
