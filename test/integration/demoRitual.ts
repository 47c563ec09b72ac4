import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CoverageOptions, ServiceArgs } from "../../components/args";
import { generateCoveragerc } from "../../components/config/coveragerc";
import { HarvesterInput, harvesterContainerSpec, prepareContainerSpec, runReportDir } from "../../components/harvester/harvester";
import {
    LABEL_HARVESTER_IMAGE, LABEL_PROJECT, LABEL_REPORT_DIR, LABEL_STACK, newRunId, serviceUrlEnvName, stackObjectName,
} from "../../components/naming";
import { pythonPathFromImageEnv } from "../../components/service/imagePythonPath";
import { instrumentedContainerArgs, serviceEnvList } from "../../components/service/instrumentedService";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { readRunSummary } from "../../components/summary/readRunSummary";
import { scriptServices } from "../../components/testRun/scriptServices";
import { TEST_COMMAND_ENV, testRunScript } from "../../components/testRun/testRunScript";
import { DEMO_SOURCE } from "./demoExpectations";
import { dockerRunFlags } from "./dockerRun";
import { REPO_ROOT, devStackConfig, docker } from "./engine";

export interface DemoRun {
    /** Milliseconds per phase of the ritual. */
    phasesMs: Record<string, number>;
    summary: CoverageSummary;
    service: ServiceArgs;
    volumeName: string;
    networkName: string;
    /** Host folder of this run's reports. */
    runDir: string;
    runId: string;
    cleanup(): void;
}

export interface MeasureInput {
    stack: string;
    service: ServiceArgs;
    testCommand: string;
    lostProcesses: "warn" | "fail";
    coverage?: CoverageOptions;
}

/** The demo service (stacks/Pulumi.dev.yaml) on another image. */
export function demoService(image: string): ServiceArgs {
    const configured = (devStackConfig()["coverage-spy:services"] as ServiceArgs[])[0];
    return { ...configured, image, hostSourcePath: DEMO_SOURCE };
}

/**
 * Runs the demo through the component's own container specs, test-run script and harvester on the real
 * Docker engine with the Docker CLI: the whole ritual minus the Pulumi engine.
 */
export function measureDemo(stack: string, image: string, testCommand: string, lostProcesses: "warn" | "fail", coverage?: CoverageOptions): DemoRun {
    return measureService({ stack, service: demoService(image), testCommand, lostProcesses, coverage });
}

/**
 * The ritual for one service. Runs of one stack share its data volume, as `pulumi up`s of one stack do;
 * call `cleanup` of the last one.
 */
export function measureService(input: MeasureInput): DemoRun {
    const { stack, service, testCommand, lostProcesses } = input;
    const runId = newRunId();
    const labels = { [LABEL_PROJECT]: "coverage-spy", [LABEL_STACK]: stack };
    const labelFlags = Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    const volumeName = stackObjectName(stack, "data");
    const networkName = stackObjectName(stack, "net");
    const container = stackObjectName(stack, service.name);
    const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-ctr-"));
    const cleanup = () => {
        spawnSync("docker", ["rm", "-f", container]);
        spawnSync("docker", ["volume", "rm", volumeName]);
        spawnSync("docker", ["network", "rm", networkName]);
        fs.rmSync(reportDir, { recursive: true, force: true });
    };

    const phasesMs: Record<string, number> = {};
    let clock = Date.now();
    const phase = (name: string) => { const now = Date.now(); phasesMs[name] = now - clock; clock = now; };
    spawnSync("docker", ["rm", "-f", container]);
    docker("volume", "create", ...labelFlags, volumeName);
    if (spawnSync("docker", ["network", "inspect", networkName]).status !== 0) docker("network", "create", ...labelFlags, networkName);
    const configDir = path.join(reportDir, "config");
    fs.mkdirSync(configDir);
    fs.writeFileSync(path.join(configDir, "coveragerc"), generateCoveragerc({ options: input.coverage ?? {}, sourcePaths: [service.sourcePath] }));

    const assetsDir = path.join(REPO_ROOT, "coverage-spy");
    const oneShot: HarvesterInput = {
        stack, runId, image: "coverage-spy/harvester:latest", labels, volumeName, assetsDir, keepRuns: 5,
        services: [{ name: service.name, sourcePath: service.sourcePath }], configDir, reportDir,
        reportOwner: `${process.getuid!()}:${process.getgid!()}`, lostProcesses,
    };
    docker("run", "--rm", ...labelFlags, ...dockerRunFlags({ ...prepareContainerSpec(oneShot), image: oneShot.image } as never));
    phase("prepare");

    const image = String(service.image);
    const imagePythonPath = pythonPathFromImageEnv(docker("image", "inspect", "--format", "{{json .Config.Env}}", image));
    const spec = instrumentedContainerArgs({
        service, stack, runId, volumeName, networkName, imagePythonPath,
        labels: { ...labels, [LABEL_REPORT_DIR]: reportDir, [LABEL_HARVESTER_IMAGE]: oneShot.image },
        spyMounts: { assetsDir, coverageLibDir: process.env.COVERAGE_SPY_LIB!, configDir },
    });
    docker("run", "-d", ...dockerRunFlags({
        ...spec, envs: serviceEnvList(service, runId, imagePythonPath), destroyGraceSeconds: undefined, mustRun: undefined,
    } as never));

    phase("startService");
    const port = docker("port", container, `${service.ports![0].internal}/tcp`).split(":").pop();
    const runDir = runReportDir(reportDir, runId);
    const script = testRunScript({ runDir, testWorkingDir: REPO_ROOT, testTimeoutSeconds: 120, services: scriptServices([service], stack, () => true) });
    const run = spawnSync("bash", ["-c", script], {
        encoding: "utf8", cwd: REPO_ROOT,
        env: { ...process.env, COVERAGE_SPY_STACK: stack, [serviceUrlEnvName(service.name)]: `http://127.0.0.1:${port}`, [TEST_COMMAND_ENV]: testCommand },
    });
    if (run.status !== 0) throw new Error(`test run failed (status ${run.status}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);

    phase("testRunAndStop");
    docker("run", "--rm", ...labelFlags, ...dockerRunFlags({ ...harvesterContainerSpec(oneShot), image: oneShot.image } as never));
    phase("harvest");
    return { summary: readRunSummary({ runDir, runId, services: [service] }), phasesMs, service, volumeName, networkName, runDir, runId, cleanup };
}
