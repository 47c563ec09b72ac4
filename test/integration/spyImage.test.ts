import { spawnSync } from "child_process";
import * as path from "path";
import { stackObjectName } from "../../components/shared/naming";
import { spyBuildNotice } from "../../components/engine/spyDelivery";
import { coveragePins, spyImageTag } from "../../components/engine/spyImage";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { REPO_ROOT, docker, labelledObjects, spyBaseImage } from "./engine";
import { StackInput, configure, demoService, destroyStack, runStack, stackRun } from "./stackRun";
import { say } from "./secondEngine";

jest.setTimeout(15 * 60 * 1000);

/** This test's own tags: its spy image is its own, so no other test sees it missing or built. */
const OWN_BASE = `coverage-spy/spy-base:itest-${process.pid}`;
const NO_PYTHON_BASE = `coverage-spy/spy-base:itest-nopython-${process.pid}`;
const ASSETS = path.join(REPO_ROOT, "coverage-spy");
const spyTag = spyImageTag({ assetsDir: ASSETS, baseImage: OWN_BASE, pins: coveragePins() });

function imageId(image: string): string | undefined {
    const result = spawnSync("docker", ["image", "inspect", "--format", "{{.Id}}", image], { encoding: "utf8" });
    return result.status === 0 ? result.stdout.trim() : undefined;
}

function containerId(name: string): string {
    return docker("container", "inspect", "--format", "{{.Id}}", name);
}

/** Builds `tag` from a Dockerfile given as text (no build context). */
function buildImage(tag: string, dockerfile: string): void {
    const built = spawnSync("docker", ["build", "--quiet", "--tag", tag, "-"], { input: dockerfile, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`building ${tag} failed: ${built.stderr}`);
}

function removeImage(image: string): void {
    spawnSync("docker", ["image", "rm", "--force", image], { encoding: "utf8" });
}

describe("the spy image, built through the engine once", () => {
    const input: StackInput = {
        stack: `itest-spyimage-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        testCommand: DEMO_TEST_COMMAND,
        lostProcesses: "fail",
        config: { spyBaseImage: OWN_BASE },
    };
    const install = stackObjectName(input.stack, "spy-install");

    beforeAll(() => {
        // An image of its own (not a tag of the shared base): Docker's build cache has none of its layers, so the
        // first up pays a real first build (the wheels downloaded), as on an engine that never saw coverage-spy.
        buildImage(OWN_BASE, `FROM ${spyBaseImage()}\nLABEL coverage-spy.itest=${process.pid}\n`);
        removeImage(spyTag);
        configure(input);
    });

    afterAll(() => {
        destroyStack(input.stack);
        removeImage(spyTag);
        removeImage(OWN_BASE);
    });

    it("says at preview that the update builds it, and builds nothing then", () => {
        const preview = runStack("preview", input.stack);
        expect(preview.status).toBe(0);
        expect(preview.output).toContain(spyBuildNotice(spyTag, OWN_BASE));
        expect(imageId(spyTag)).toBeUndefined();
    });

    it("builds it on the first up, and every container of the stack runs from it", () => {
        const started = Date.now();
        const run = stackRun(input, runStack("up", input.stack));
        say(
            `first up with the spy image build: ${Date.now() - started} ms (build step ${run.phasesMs["coverage-spy-image"]} ms)`,
        );
        expect(imageId(spyTag)).toBeDefined();
        expect(run.summary.totals.covered).toBeGreaterThan(0);
        for (const role of ["spy-install", "prepare", "harvester"])
            expect(
                docker("container", "inspect", "--format", "{{.Config.Image}}", stackObjectName(input.stack, role)),
            ).toBe(spyTag);
    });

    it("builds nothing and fills no volume on a warm up", () => {
        const image = imageId(spyTag);
        const installed = containerId(install);
        const up = runStack("up", input.stack);
        stackRun(input, up);
        expect(up.output).not.toContain(spyBuildNotice(spyTag, OWN_BASE));
        expect(imageId(spyTag)).toBe(image);
        expect(containerId(install)).toBe(installed);
    });

    it("builds it again when it was deleted", () => {
        removeImage(spyTag);
        const up = runStack("up", input.stack);
        stackRun(input, up);
        expect(up.output).toContain(spyBuildNotice(spyTag, OWN_BASE));
        expect(imageId(spyTag)).toBeDefined();
    });
});

describe("a spy image that cannot be built", () => {
    const stack = `itest-spyimage-bad-${process.pid}`;

    beforeAll(() => {
        // Its label is inherited by the containers of the spy build's steps: the failed step's must not be left.
        buildImage(
            NO_PYTHON_BASE,
            `FROM ${spyBaseImage()}\nLABEL coverage-spy.itest-nopython=${process.pid}\nRUN rm -f /usr/bin/python3*\n`,
        );
        configure({
            stack,
            service: demoService(DEMO_IMAGE),
            testCommand: DEMO_TEST_COMMAND,
            config: { spyBaseImage: NO_PYTHON_BASE },
        });
    });

    afterAll(() => {
        destroyStack(stack);
        removeImage(NO_PYTHON_BASE);
    });

    it("fails the up naming the cause and the fix, before any service starts", () => {
        const up = runStack("up", stack);
        expect(up.status).not.toBe(0);
        expect(up.output).toContain(
            "coverage-spy: the base image has no python3: name one that has (spyBaseImage), e.g. python:3.13-slim",
        );
        expect(up.output).toContain(`coverage-spy: building the spy image coverage-spy/spy:`);
        expect(up.output).toContain(`from ${NO_PYTHON_BASE} failed (Docker's output above)`);
        expect(labelledObjects("container", stack)).toEqual([]);
        const leftByBuild = docker(
            "ps",
            "--all",
            "--quiet",
            "--filter",
            `label=coverage-spy.itest-nopython=${process.pid}`,
        );
        expect(leftByBuild).toBe("");
    });
});
