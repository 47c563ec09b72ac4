import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CoverageOptions, Service } from "../../components/options/args";
import { stackObjectName } from "../../components/shared/naming";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_SOURCE } from "./demoExpectations";
import {
    REPO_ROOT,
    devStackConfig,
    labelledObjects,
    removeStackConfig,
    spyBaseImage,
    writeStackConfig,
} from "./engine";

const RUN_STACK = path.join(REPO_ROOT, "bin", "cli", "main.js");

/** One coverage stack of the tests: its services and the options that differ from the defaults. */
export interface StackInput {
    stack: string;
    service: Service;
    testCommand: string;
    lostProcesses?: "warn" | "fail";
    coverage?: CoverageOptions;
    /** More stack config (without the `coverage-spy:` prefix), e.g. gates. */
    config?: Record<string, unknown>;
    /** Stack config of other packages, keys as written (e.g. `docker:host`). */
    otherConfig?: Record<string, unknown>;
}

/** What a real `pulumi up` of a coverage stack printed and exported. */
export interface UpResult {
    status: number | null;
    /** What the engine and the driver printed. */
    output: string;
    /** The stack's outputs (also after a failed update: the engine keeps the ones written). */
    outputs?: Record<string, unknown>;
    /** Milliseconds per resource step (by resource name), engine start and total, from the engine's events. */
    phasesMs: Record<string, number>;
}

/** A finished run of a coverage stack, as the tests look at it. */
export interface StackRun {
    summary: CoverageSummary;
    service: Service;
    volumeName: string;
    networkName: string;
    /** Host folder of this run's reports. */
    runDir: string;
    runId: string;
    phasesMs: Record<string, number>;
    /** Destroys the stack, removes its config and reports. Runs of one stack share it: call it once. */
    cleanup(): void;
}

/** The demo service (stacks/Pulumi.dev.yaml) on another image. */
export function demoService(image: string): Service {
    const configured = (devStackConfig()["coverage-spy:services"] as Service[])[0];
    return { ...configured, image, hostSourcePath: DEMO_SOURCE };
}

const reportDirs = new Map<string, string>();
/** Stacks this process configured and has not destroyed yet. */
const liveStacks = new Set<string>();

/** The stack's report folder: one temporary folder per stack, kept across its ups. */
function reportDirOf(stack: string): string {
    if (!reportDirs.has(stack)) reportDirs.set(stack, fs.mkdtempSync(path.join(os.tmpdir(), `coverage-spy-${stack}-`)));
    return reportDirs.get(stack)!;
}

/**
 * Marks a stack a test configures itself as live (destroyStack then removes it, its config and its report
 * folder); returns its report folder.
 */
export function trackStack(stack: string): string {
    liveStacks.add(stack);
    return reportDirOf(stack);
}

/** Writes stacks/Pulumi.<stack>.yaml for the input (git-ignored). */
export function configure(input: StackInput): void {
    const values: Record<string, unknown> = {
        services: [input.service],
        testCommand: input.testCommand,
        testWorkingDir: REPO_ROOT,
        testTimeoutSeconds: 300,
        reportDir: reportDirOf(input.stack),
        spyBaseImage: spyBaseImage(),
        lostProcesses: input.lostProcesses ?? "fail",
        ...(input.coverage ? { coverage: input.coverage } : {}),
        ...(input.config ?? {}),
    };
    liveStacks.add(input.stack);
    writeStackConfig(input.stack, {
        ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`coverage-spy:${k}`, v])),
        ...(input.otherConfig ?? {}),
    });
}

function runStackArgs(action: string, stack: string, work: string): string[] {
    return [
        RUN_STACK,
        action,
        "--stack",
        stack,
        "--outputs-file",
        path.join(work, "outputs.json"),
        "--timings-file",
        path.join(work, "timings.json"),
        ...(action === "up" ? ["--print-summary"] : []),
    ];
}

function collect(status: number | null, output: string, work: string): UpResult {
    const read = (file: string): unknown =>
        fs.existsSync(path.join(work, file)) ? JSON.parse(fs.readFileSync(path.join(work, file), "utf8")) : undefined;
    const timings = read("timings.json") as
        | { engineStartMs: number; totalMs: number; steps: Array<{ name: string; ms: number }> }
        | undefined;
    const phasesMs: Record<string, number> = {};
    if (timings) {
        phasesMs.engineStart = timings.engineStartMs;
        // A replaced resource has several steps (create-replacement, then a short delete-replaced): its longest.
        for (const step of timings.steps) phasesMs[step.name] = Math.max(phasesMs[step.name] ?? 0, step.ms);
        phasesMs.total = timings.totalMs;
    }
    const result: UpResult = {
        status,
        output,
        outputs: read("outputs.json") as Record<string, unknown> | undefined,
        phasesMs,
    };
    fs.rmSync(work, { recursive: true, force: true });
    return result;
}

/**
 * Runs the coverage-spy command (cli/main.ts, compiled) in its own process, as `npm run coverage` does. Needs
 * scripts/pulumi-env.sh's environment.
 */
export function runStack(
    action: "preview" | "up" | "destroy",
    stack: string,
    env: NodeJS.ProcessEnv = process.env,
): UpResult {
    if (!process.env.PULUMI_BACKEND_URL)
        throw new Error("source scripts/pulumi-env.sh first (PULUMI_BACKEND_URL is unset)");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-run-"));
    const result = spawnSync("node", runStackArgs(action, stack, work), {
        cwd: REPO_ROOT,
        env,
        encoding: "utf8",
        timeout: 15 * 60 * 1000,
        maxBuffer: 64 * 1024 * 1024,
    });
    return collect(result.status, `${result.stdout}\n${result.stderr}`, work);
}

/** A real `pulumi up` of the stack with the input's config; the result whether it succeeded or not. */
export function upStack(input: StackInput): UpResult {
    configure(input);
    return runStack("up", input.stack);
}

/** The same, in the background, so that two stacks can be up at once. */
export function upStackAsync(input: StackInput): Promise<UpResult> {
    configure(input);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-run-"));
    return new Promise((resolve) => {
        const child = spawn("node", runStackArgs("up", input.stack, work), {
            cwd: REPO_ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("exit", (code) => resolve(collect(code, output, work)));
    });
}

/** Destroys the stack, removes its config file and report folder; anything labelled that survives is an error. */
export function destroyStack(stack: string): void {
    if (!liveStacks.delete(stack)) return;
    const result = runStack("destroy", stack);
    removeStackConfig(stack);
    const reports = reportDirs.get(stack);
    if (reports) fs.rmSync(reports, { recursive: true, force: true });
    reportDirs.delete(stack);
    const left = (["container", "volume", "network"] as const).flatMap((kind) =>
        labelledObjects(kind, stack).map((n) => `${kind} ${n}`),
    );
    if (result.status !== 0 || left.length > 0) {
        throw new Error(
            `destroying stack ${stack} failed (exit ${result.status}; left: ${left.join(", ") || "nothing"}):\n${result.output.slice(-3000)}`,
        );
    }
}

/** The run a successful up produced; throws with the engine's last lines otherwise. */
export function stackRun(input: StackInput, up: UpResult): StackRun {
    if (up.status !== 0 || !up.outputs)
        throw new Error(`pulumi up of ${input.stack} failed (exit ${up.status}):\n${up.output.slice(-6000)}`);
    const summary = up.outputs.coverage as CoverageSummary;
    return {
        summary,
        service: input.service,
        volumeName: stackObjectName(input.stack, "data"),
        networkName: stackObjectName(input.stack, "net"),
        runDir: up.outputs.reportDir as string,
        runId: up.outputs.runId as string,
        phasesMs: up.phasesMs,
        cleanup: () => destroyStack(input.stack),
    };
}

/**
 * A real `pulumi up` of one service's coverage stack. Ups of one stack share its volume; cleaning up once is
 * enough. A failed up destroys the stack before it throws, so a failing test leaves nothing behind.
 */
export function measureService(input: StackInput): StackRun {
    const up = upStack(input);
    try {
        return stackRun(input, up);
    } catch (err) {
        try {
            destroyStack(input.stack);
        } catch (cleanupError) {
            throw new Error(
                `${(err as Error).message}\n\nand the cleanup failed too: ${(cleanupError as Error).message}`,
            );
        }
        throw err;
    }
}

/** A real `pulumi up` of the demo on an image, with a test command. */
export function measureDemo(
    stack: string,
    image: string,
    testCommand: string,
    lostProcesses: "warn" | "fail",
    coverage?: CoverageOptions,
): StackRun {
    return measureService({ stack, service: demoService(image), testCommand, lostProcesses, coverage });
}
