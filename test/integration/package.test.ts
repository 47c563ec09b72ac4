import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labelledObjects } from "../../cli/recovery/recovery";
import { LABEL_STACK } from "../../components/shared/naming";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { formatSummary } from "../../components/summary/formatSummary";
import { DEMO_IMAGE } from "./demoExpectations";
import { coveragePins, spyImageTag } from "../../components/engine/spyImage";
import { docker, spyBaseImage, startSecondEngine } from "./engine";
import {
    FRESH_PROJECT,
    FRESH_SUITE,
    FreshProject,
    createFreshProject,
    expectDemoLines,
    userFiles,
} from "./freshProject";

jest.setTimeout(40 * 60 * 1000);

/** The stack's `coverage` output, read with the plain CLI in the project. */
function summaryOutput(project: FreshProject, stack: string): CoverageSummary {
    const out = project.succeed("pulumi", ["stack", "output", "coverage", "--json", "--stack", stack]);
    return JSON.parse(out) as CoverageSummary;
}

/**
 * coverage-spy as a team uses it: the packed package installed into a fresh Pulumi project outside this checkout,
 * the README's program, the plain `pulumi up` and the package's own command, in an environment that holds only the
 * Pulumi CLI with its plugins, a backend and a passphrase: no variable of ours, no script of ours run first.
 */
describe("the packed package in a fresh Pulumi project", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-package-"));
    const stack = `itest-pkg-${process.pid}`;
    // A base image under a tag of this test's own: the spy image is named by a hash of its base, so this test builds
    // (and removes) a spy image no other test uses, on an engine where it was never built.
    const base = `coverage-spy/spy-base:itest-pkg-${process.pid}`;
    let project: FreshProject;
    let committed: Record<string, string>;

    /** The spy image the installed package builds from `base`. */
    function builtSpyImage(): string {
        const assetsDir = path.join(project.dir, "node_modules", "coverage-spy", "coverage-spy");
        return spyImageTag({ assetsDir, baseImage: base, pins: coveragePins(assetsDir) });
    }

    beforeAll(() => {
        docker("tag", spyBaseImage(), base);
        project = createFreshProject(work, stack, { spyBaseImage: base });
        // The package is a copy, not a link into this checkout.
        expect(fs.lstatSync(path.join(project.dir, "node_modules", "coverage-spy")).isSymbolicLink()).toBe(false);
        committed = userFiles(project.dir);
    });

    afterAll(() => {
        project?.run("pulumi", ["destroy", "--yes", "--stack", stack, "--non-interactive"]);
        spawnSync("docker", ["image", "rm", "--force", base, ...(project ? [builtSpyImage()] : [])]);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("measures the demo with the plain pulumi up, printing the formatted summary", () => {
        expect(Object.keys(project.env).filter((k) => k.startsWith("COVERAGE_SPY_"))).toEqual([]);
        // Never built on this engine: the first up builds it.
        expect(spawnSync("docker", ["image", "inspect", builtSpyImage()]).status).not.toBe(0);
        const up = project.run("pulumi", ["up", "--yes", "--skip-preview", "--stack", stack, "--non-interactive"]);
        if (up.status !== 0) throw new Error(`pulumi up failed (exit ${up.status}):\n${up.out.slice(-8000)}`);
        const summary = summaryOutput(project, stack);
        expectDemoLines(summary);
        expect(summary.tests).toEqual(expect.objectContaining({ succeeded: true }));
        expect(spawnSync("docker", ["image", "inspect", builtSpyImage()]).status).toBe(0);
        // The formatted summary, line by line, as the component's message (Pulumi indents it).
        const expected = formatSummary(summary)
            .split("\n")
            .map((l) => l.trim());
        const lines = up.stdout.split("\n").map((l) => l.trim());
        const first = lines.indexOf(expected[0]);
        expect(first).toBeGreaterThan(0);
        expect(lines.slice(first, first + expected.length)).toEqual(expected);
    });

    it("measures it again with npx coverage-spy up, the summary printed last", () => {
        const up = project.run("npx", ["--no-install", "coverage-spy", "up", "--stack", stack]);
        if (up.status !== 0) throw new Error(`coverage-spy up failed (exit ${up.status}):\n${up.out.slice(-8000)}`);
        const summary = summaryOutput(project, stack);
        expectDemoLines(summary);
        // The last lines are the formatted summary, exactly.
        const printed = up.stdout.trimEnd().split("\n");
        const first = printed.lastIndexOf(
            `coverage-spy run ${summary.runId} (coverage.py ${summary.coveragePyVersion})`,
        );
        expect(first).toBeGreaterThanOrEqual(0);
        expect(printed.slice(first).join("\n")).toBe(formatSummary(summary));
    });

    it("fails a red suite's update by default, with the reports written", () => {
        project.writeProgram(`${FRESH_SUITE} && exit 3`);
        committed = userFiles(project.dir);
        const up = project.run("npx", ["--no-install", "coverage-spy", "up", "--stack", stack]);
        expect(up.status).not.toBe(0);
        expect(up.out).toContain("the test suite failed (exit code 3)");
        const summary = summaryOutput(project, stack);
        expect(summary.tests).toEqual(expect.objectContaining({ succeeded: false, exitCode: 3 }));
        expectDemoLines(summary);
        for (const report of [summary.reports.json, summary.reports.html, summary.reports.summary])
            expect({ report, written: fs.existsSync(report) }).toEqual({ report, written: true });
    });

    it("destroys everything it made with npx coverage-spy destroy, the user's files unchanged", () => {
        const destroy = project.run("npx", ["--no-install", "coverage-spy", "destroy", "--stack", stack]);
        if (destroy.status !== 0)
            throw new Error(`coverage-spy destroy failed (exit ${destroy.status}):\n${destroy.out.slice(-8000)}`);
        for (const kind of ["container", "volume", "network"] as const)
            expect({ kind, left: labelledObjects(kind, FRESH_PROJECT, stack) }).toEqual({ kind, left: [] });
        expect(userFiles(project.dir)).toEqual(committed);
    });
});

describe("the packed package in a fresh Pulumi project, on a second engine that cannot see this machine's folders", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-package-remote-"));
    const stack = `itest-pkgremote-${process.pid}`;
    let project: FreshProject;
    let host: string;

    /** The stack's containers, volumes and networks on the second engine. */
    function objectsOnSecondEngine(): string[] {
        const filter = ["--filter", `label=${LABEL_STACK}=${stack}`];
        return [
            ["ps", "-a", "-q", ...filter],
            ["volume", "ls", "-q", ...filter],
            ["network", "ls", "-q", ...filter],
        ]
            .flatMap((args) => {
                const listed = spawnSync("docker", args, {
                    encoding: "utf8",
                    env: { ...process.env, DOCKER_HOST: host },
                });
                if (listed.status !== 0) throw new Error(`docker ${args.join(" ")} on ${host}: ${listed.stderr}`);
                return listed.stdout.split("\n");
            })
            .filter((line) => line !== "");
    }

    beforeAll(() => {
        // The spy image's base, not the spy image: the component builds that through the second engine itself.
        const second = startSecondEngine([DEMO_IMAGE, spyBaseImage()]);
        host = second.host;
        project = createFreshProject(work, stack, {
            spyBaseImage: spyBaseImage(),
            args: { serviceHost: second.address },
            env: { DOCKER_HOST: second.host },
        });
    });

    afterAll(() => {
        project?.run("pulumi", ["destroy", "--yes", "--stack", stack, "--non-interactive"]);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("measures the demo's lines with the plain pulumi up, the reports on this machine, and destroys it all", () => {
        const up = project.run("pulumi", ["up", "--yes", "--skip-preview", "--stack", stack, "--non-interactive"]);
        if (up.status !== 0) throw new Error(`pulumi up failed (exit ${up.status}):\n${up.out.slice(-8000)}`);
        const summary = summaryOutput(project, stack);
        expectDemoLines(summary);
        expect(summary.tests).toEqual(expect.objectContaining({ succeeded: true }));
        for (const report of [summary.reports.json, summary.reports.html, summary.reports.summary])
            expect({ report, written: fs.existsSync(report) }).toEqual({ report, written: true });
        expect(objectsOnSecondEngine()).not.toEqual([]);
        project.succeed("pulumi", ["destroy", "--yes", "--stack", stack, "--non-interactive"]);
        expect(objectsOnSecondEngine()).toEqual([]);
    });
});
