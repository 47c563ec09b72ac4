import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ServiceArgs } from "../../components/args";
import { generateCoveragerc } from "../../components/config/coveragerc";
import { HarvesterInput, harvesterContainerSpec, prepareContainerSpec, runReportDir } from "../../components/harvester/harvester";
import { LABEL_PROJECT, LABEL_STACK, newRunId, serviceUrlEnvName, stackObjectName } from "../../components/naming";
import { pythonPathFromImageEnv } from "../../components/service/imagePythonPath";
import { instrumentedContainerArgs, serviceEnvList } from "../../components/service/instrumentedService";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { readRunSummary } from "../../components/summary/readRunSummary";
import { scriptServices } from "../../components/testRun/scriptServices";
import { TEST_COMMAND_ENV, testRunScript } from "../../components/testRun/testRunScript";
import { DEMO_SOURCE, DEMO_TEST_COMMAND, DEMO_WORKERS, expectLines } from "./demoExpectations";
import { dockerRunFlags } from "./dockerRun";
import { REPO_ROOT, devStackConfig, docker, labelledObjects } from "./engine";

jest.setTimeout(5 * 60 * 1000);

interface DemoRun {
    summary: CoverageSummary;
    service: ServiceArgs;
    volumeName: string;
    networkName: string;
    cleanup(): void;
}

/**
 * Runs the demo through the component's own container specs, test-run script and harvester on the real
 * Docker engine with the Docker CLI: the whole ritual minus the Pulumi engine.
 */
function measureDemo(stack: string, image: string, testCommand: string, lostProcesses: "warn" | "fail"): DemoRun {
    const runId = newRunId();
    const labels = { [LABEL_PROJECT]: "coverage-spy", [LABEL_STACK]: stack };
    const labelFlags = Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    const volumeName = stackObjectName(stack, "data");
    const networkName = stackObjectName(stack, "net");
    const configured = (devStackConfig()["coverage-spy:services"] as ServiceArgs[])[0];
    const service: ServiceArgs = { ...configured, image, hostSourcePath: DEMO_SOURCE };
    const container = stackObjectName(stack, service.name);
    const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-ctr-"));
    const cleanup = () => {
        spawnSync("docker", ["rm", "-f", container]);
        spawnSync("docker", ["volume", "rm", volumeName]);
        spawnSync("docker", ["network", "rm", networkName]);
        fs.rmSync(reportDir, { recursive: true, force: true });
    };

    docker("volume", "create", ...labelFlags, volumeName);
    docker("network", "create", ...labelFlags, networkName);
    const configDir = path.join(reportDir, "config");
    fs.mkdirSync(configDir);
    fs.writeFileSync(path.join(configDir, "coveragerc"), generateCoveragerc({ options: {}, sourcePaths: [service.sourcePath] }));

    const assetsDir = path.join(REPO_ROOT, "coverage-spy");
    const oneShot: HarvesterInput = {
        stack, runId, image: "coverage-spy/harvester:latest", labels, volumeName, assetsDir, keepRuns: 5,
        services: [{ name: service.name, sourcePath: service.sourcePath }], configDir, reportDir,
        reportOwner: `${process.getuid!()}:${process.getgid!()}`, lostProcesses,
    };
    docker("run", "--rm", ...labelFlags, ...dockerRunFlags({ ...prepareContainerSpec(oneShot), image: oneShot.image } as never));

    const imagePythonPath = pythonPathFromImageEnv(docker("image", "inspect", "--format", "{{json .Config.Env}}", image));
    const spec = instrumentedContainerArgs({
        service, stack, runId, labels, volumeName, networkName, imagePythonPath,
        spyMounts: { assetsDir, coverageLibDir: process.env.COVERAGE_SPY_LIB!, configDir },
    });
    docker("run", "-d", ...dockerRunFlags({
        ...spec, envs: serviceEnvList(service, runId, imagePythonPath), destroyGraceSeconds: undefined, mustRun: undefined,
    } as never));

    const port = docker("port", container, `${service.ports![0].internal}/tcp`).split(":").pop();
    const runDir = runReportDir(reportDir, runId);
    const script = testRunScript({ runDir, testWorkingDir: REPO_ROOT, testTimeoutSeconds: 120, services: scriptServices([service], stack, () => true) });
    const run = spawnSync("bash", ["-c", script], {
        encoding: "utf8", cwd: REPO_ROOT,
        env: { ...process.env, [serviceUrlEnvName(service.name)]: `http://127.0.0.1:${port}`, [TEST_COMMAND_ENV]: testCommand },
    });
    if (run.status !== 0) throw new Error(`test run failed (status ${run.status}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);

    docker("run", "--rm", ...labelFlags, ...dockerRunFlags({ ...harvesterContainerSpec(oneShot), image: oneShot.image } as never));
    return { summary: readRunSummary({ runDir, runId, services: [service] }), service, volumeName, networkName, cleanup };
}

describe.each([
    ["trixie (Python 3.13)", "coverage-spy/demo-app:latest"],
    ["bookworm (Python 3.11)", "coverage-spy/demo-app:bookworm"],
])("the demo on %s, measured by the component's specs on the real engine", (_label, image) => {
    const stack = `itest-ctr-${process.pid}-${image.endsWith("bookworm") ? "b" : "t"}`;
    let imageId: string;
    let demo: DemoRun;
    let summary: CoverageSummary;

    beforeAll(() => {
        imageId = docker("image", "inspect", "--format", "{{.Id}}", image);
        demo = measureDemo(stack, image, DEMO_TEST_COMMAND, "fail");
        summary = demo.summary;
    });

    afterAll(() => demo?.cleanup());

    it("passes the demo's tests and measures every process", () => {
        expect(summary.tests).toEqual(expect.objectContaining({ exitCode: 0, succeeded: true, failed: 0 }));
        expect(summary.tests.passed).toBe(10);
        // The master, each worker and the two /report subprocesses each saved a data file.
        expect(summary.services.demo.dataFiles).toBe(1 + DEMO_WORKERS + 2);
        // Each of them left a start record that pairs with its data file.
        expect(summary.lostProcesses).toEqual([]);
        // The graceful stop is quick: the init forwards SIGTERM and every process exits at once.
        expect(summary.services.demo.stopMs).toBeLessThan(3000);
    });

    it("reports exactly the lines the demo's tests reach, file by file", () => {
        const files = summary.files.filter((f) => f.statements > 0).map((f) => f.path).sort();
        expect(files).toEqual(["demo_app/handlers.py", "demo_app/inventory.py", "demo_app/pricing.py", "demo_app/reports.py",
            "demo_app/server.py", "demo_app/worker_task.py"]);
        for (const file of summary.files) expectLines(file);
        expect(summary.totals.missing).toBe(summary.files.reduce((n, f) => n + f.missingLines.length, 0));
    });

    it("leaves the production image unchanged and free of coverage.py", () => {
        expect(docker("image", "inspect", "--format", "{{.Id}}", image)).toBe(imageId);
        expect(docker("run", "--rm", "--entrypoint", "python3", image, "-c",
            "import importlib.util; print(importlib.util.find_spec('coverage') is None)")).toBe("True");
    });

    it("labels every object it made with the stack", () => {
        expect(labelledObjects("volume", stack)).toEqual([demo.volumeName]);
        expect(labelledObjects("network", stack)).toEqual([demo.networkName]);
        expect(labelledObjects("container", stack)).toEqual([stackObjectName(stack, demo.service.name)]);
    });
});

describe("a worker killed during the run", () => {
    let demo: DemoRun;

    // The test command SIGKILLs the worker that serves one /whoami, after the demo's suite passed.
    const killOneWorker = [
        DEMO_TEST_COMMAND,
        `pid=$(python3 -c 'import json, os, urllib.request; print(json.load(urllib.request.urlopen(os.environ["COVERAGE_SPY_DEMO_URL"] + "/whoami", timeout=10))["pid"])')`,
        `docker exec ${stackObjectName(`itest-kill-${process.pid}`, "demo")} sh -c "kill -9 $pid"`,
    ].join(" && ");

    beforeAll(() => {
        demo = measureDemo(`itest-kill-${process.pid}`, "coverage-spy/demo-app:latest", killOneWorker, "warn");
    });
    afterAll(() => demo?.cleanup());

    it("is named in lostProcesses, with its command line, and the others are still measured", () => {
        expect(demo.summary.tests.succeeded).toBe(true);
        expect(demo.summary.lostProcesses).toHaveLength(1);
        expect(demo.summary.lostProcesses[0]).toEqual(expect.objectContaining({
            service: "demo", command: ["python3", "-m", "demo_app.server"],
        }));
        expect(demo.summary.services.demo.dataFiles).toBe(1 + DEMO_WORKERS - 1 + 2);
    });
});
