import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FileCoverage } from "../../components/summary/coverageSummary";
import { DEMO_IMAGE, DEMO_TEST_COMMAND, expectLines } from "./demoExpectations";
import { coveragePins, spyImageTag } from "../../components/engine/spyImage";
import { REPO_ROOT, docker, spyBaseImage, startSecondEngine } from "./engine";
import { StackInput, StackRun, demoService, destroyStack, measureService, runStack } from "./stackRun";

/** The spy's assets, the spy image's build context. */
const ASSETS = path.join(REPO_ROOT, "coverage-spy");

jest.setTimeout(20 * 60 * 1000);

/** docker against the second engine (`docker` of ./engine against this machine's). */
function onSecond(host: string, ...args: string[]): string {
    const result = spawnSync("docker", args, { encoding: "utf8", env: { ...process.env, DOCKER_HOST: host } });
    if (result.status !== 0) throw new Error(`docker ${args.join(" ")} on ${host} failed: ${result.stderr}`);
    return result.stdout.trim();
}

/** The stack's containers, volumes and networks on the second engine (`host`) or on this machine's. */
function objectsOf(host: string | undefined, stack: string): string[] {
    const filter = ["--filter", `label=coverage-spy.stack=${stack}`];
    const list = (args: string[]) => (host === undefined ? docker(...args) : onSecond(host, ...args));
    return [
        list(["ps", "-a", "-q", ...filter]),
        list(["volume", "ls", "-q", ...filter]),
        list(["network", "ls", "-q", ...filter]),
    ]
        .join("\n")
        .split("\n")
        .filter((line) => line !== "");
}

const lineSets = (files: FileCoverage[]) =>
    Object.fromEntries(files.map((f) => [f.path, { executed: f.executedLines, missing: f.missingLines }]));

describe("the demo on a second Docker engine, which cannot see this machine's folders", () => {
    const local: StackInput = {
        stack: `itest-local-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        testCommand: DEMO_TEST_COMMAND,
    };
    let remote: StackInput;
    let host: string;
    let localRun: StackRun;
    let remoteRun: StackRun;

    beforeAll(() => {
        // The spy image's base, not the spy image: the component builds that through the second engine itself
        // (its builds reach the package index as this machine's do).
        const second = startSecondEngine([DEMO_IMAGE, spyBaseImage()]);
        host = second.host;
        remote = {
            stack: `itest-remote-${process.pid}`,
            service: demoService(DEMO_IMAGE),
            // A live snapshot after the suite: its harvest too must go through the engine.
            testCommand: `${DEMO_TEST_COMMAND} && node bin/cli/main.js snapshot`,
            config: { serviceHost: second.address },
            otherConfig: { "docker:host": host },
        };
        // The folder bind mounts would name must not exist on the second engine: nothing may rely on them.
        expect(onSecond(host, "run", "--rm", "-v", `${REPO_ROOT}:/probe:ro`, DEMO_IMAGE, "ls", "/probe")).toBe("");
    });

    afterAll(() => {
        for (const input of [local, remote]) if (input) destroyStack(input.stack);
    });

    it("measures exactly the lines the local engine measures, with the reports on this machine", () => {
        localRun = measureService(local);
        remoteRun = measureService(remote);
        expect(remoteRun.summary.tests).toEqual(expect.objectContaining({ succeeded: true, passed: 10, failed: 0 }));
        expect(remoteRun.summary.services.demo.processes).toEqual(localRun.summary.services.demo.processes);
        expect(lineSets(remoteRun.summary.files)).toEqual(lineSets(localRun.summary.files));
        for (const file of remoteRun.summary.files) expectLines(file);
        for (const report of Object.values(remoteRun.summary.reports).filter((r) => typeof r === "string"))
            expect(fs.existsSync(report)).toBe(true);
        expect(fs.existsSync(path.join(remoteRun.runDir, "total", "html", "index.html"))).toBe(true);
        // The snapshot's report came back too: what ran before it, nothing the final report lacks.
        const snapshots = fs.readdirSync(path.join(remoteRun.runDir, "snapshots"));
        expect(snapshots).toHaveLength(1);
        const snapshot = JSON.parse(
            fs.readFileSync(path.join(remoteRun.runDir, "snapshots", snapshots[0], "total", "coverage.json"), "utf8"),
        ) as { files: Record<string, { executed_lines: number[] }> };
        const final = lineSets(remoteRun.summary.files);
        expect(Object.keys(snapshot.files).length).toBeGreaterThan(0);
        for (const [file, report] of Object.entries(snapshot.files)) {
            const name = file.replace(/^demo\//, "");
            expect(final[name]).toBeDefined();
            for (const line of report.executed_lines) expect(final[name].executed).toContain(line);
        }
        // The services ran on the second engine, none on this one.
        expect(
            onSecond(
                host,
                "ps",
                "-a",
                "--format",
                "{{.Names}}",
                "--filter",
                `label=coverage-spy.stack=${remote.stack}`,
            ),
        ).toContain(`coverage-spy-${remote.stack}-demo`);
        expect(objectsOf(undefined, remote.stack)).toEqual([]);
        // The spy image that ran there was built there, through the engine, from the base loaded into it.
        const spyImage = spyImageTag({ assetsDir: ASSETS, baseImage: spyBaseImage(), pins: coveragePins() });
        expect(onSecond(host, "image", "inspect", "--format", "{{.Id}}", spyImage)).toMatch(/^sha256:/);
        expect(
            onSecond(host, "inspect", "--format", "{{.Config.Image}}", `coverage-spy-${remote.stack}-harvester`),
        ).toBe(spyImage);
    });

    it("fills the spy volume once: a second run keeps it, and measures the same lines", () => {
        const installId = () =>
            onSecond(host, "inspect", "--format", "{{.Id}}", `coverage-spy-${remote.stack}-spy-install`);
        const before = installId();
        const second = measureService(remote);
        expect(second.runId).not.toBe(remoteRun.runId);
        expect(installId()).toBe(before);
        expect(lineSets(second.summary.files)).toEqual(lineSets(remoteRun.summary.files));
    });

    it("records which test ran each line on the second engine as on the local one (per-test contexts)", () => {
        const contexts = (input: StackInput): StackInput => ({
            ...input,
            stack: `${input.stack}-ctx`,
            testCommand: `python3 -m coverage_spy_runner unittest discover -s examples/demo/tests -v`,
            config: { ...input.config, perTestContexts: true },
        });
        const index = (run: StackRun) => fs.readFileSync(path.join(run.runDir, "total", "contexts.json"), "utf8");
        const here = measureService(contexts(local));
        const there = measureService(contexts(remote));
        try {
            expect(Object.keys(there.summary.perTest!.tests)).toHaveLength(10);
            expect(there.summary.perTest!.boundaries.failed).toBe(0);
            expect(JSON.parse(index(there))).toEqual(JSON.parse(index(here)));
        } finally {
            here.cleanup();
            there.cleanup();
        }
    });

    it("leaves nothing on either engine after destroy", () => {
        const result = runStack("destroy", remote.stack);
        expect(result.status).toBe(0);
        expect(objectsOf(host, remote.stack)).toEqual([]);
        expect(objectsOf(undefined, remote.stack)).toEqual([]);
    });
});
