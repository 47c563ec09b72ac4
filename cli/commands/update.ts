// up, preview and destroy: a stack's update with the real engine, through the Automation API.
import { EngineEvent, OutputMap, Stack, UpResult } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { formatSummary } from "../../components/summary/formatSummary";
import { UpdateReport, formatDiagnostics } from "../output/updateReport";
import { OutputsFromEvents, answerReadBackFromEvents } from "../output/outputsFromEvents";
import { cliErrorText } from "../output/commandError";
import { StepTimings } from "../output/stepTimings";
import { ComponentMessages } from "../output/componentMessages";
import { CommandTarget } from "../project/commandTarget";
import { CommandSpelling, commandSpelling } from "../project/commandSpelling";
import { BASE_STACK, stackConfigPath } from "../project/stackConfigFile";
import { describeReportFolder } from "../project/reportFolder";
import { afterDestroy, openTargetStack, targetBackendUrl, targetEngineEnvironment } from "../project/stackWorkspace";
import { interruptTestRun } from "../recovery/interruptTestRun";
import { describeLock, explainLock, removeStaleLocks, stackLockDir } from "../recovery/stackLocks";
import { allLabelledObjects, ownsDockerObjects, recoverStack, removeObjects } from "../recovery/recovery";
import {
    describeEngineProcesses,
    endProcesses,
    engineProcesses,
    markEngineProcesses,
} from "../recovery/engineProcesses";
import { interruptedEnding, isInterruptConsequence } from "../recovery/interruptedUpdate";
import { PATCH_BASE_ENV, patchBaseProblem } from "../../components/options/patchOptions";
import { UsageError, parseCommandArgs } from "./commandArgs";
import { TARGET_OPTIONS, commandTarget, log } from "./target";
import { InterruptedError, UpdateAction } from "./updateActions";

const USAGE =
    "usage: coverage-spy up|preview|destroy [--stack NAME] [--cwd DIR] [--outputs-file FILE] [--timings-file FILE] " +
    "[--no-summary] [--remove-reports] [--patch-base REF]";

interface UpdateOptions {
    action: UpdateAction;
    /** --outputs-file: the stack outputs after an up (also a failed one: a failed gate keeps them), as JSON. */
    outputsFile?: string;
    /** --timings-file: each resource step's milliseconds and when the first started, as JSON. */
    timingsFile?: string;
    /** After an up, the coverage summary for a person (--no-summary: none); a failure's causes come after it. */
    printSummary: boolean;
    /** destroy --remove-reports: also the runs coverage-spy wrote into the stack's default report folder. */
    removeReports: boolean;
    /** --patch-base: the git ref the patch coverage compares with, over the stack's patchBase. */
    patchBase?: string;
}

/** The stack this process works on, once chosen, and the Ctrl-Cs it received (for the signal handler). */
const interrupt = { target: undefined as CommandTarget | undefined, backendUrl: "", count: 0 };

function updateOptions(action: UpdateAction, args: ReturnType<typeof parseCommandArgs>): UpdateOptions {
    if (args.flags.has("--remove-reports") && action !== "destroy")
        throw new Error(`--remove-reports goes with destroy; ${USAGE}`);
    const patchBase = args.values.get("--patch-base");
    if (patchBase !== undefined && action === "destroy")
        throw new UsageError(`--patch-base goes with up and preview; ${USAGE}`);
    const patchBaseProblemText = patchBase === undefined ? undefined : patchBaseProblem("--patch-base", patchBase);
    if (patchBaseProblemText !== undefined) throw new UsageError(`${patchBaseProblemText}; ${USAGE}`);
    return {
        action,
        outputsFile: args.values.get("--outputs-file"),
        timingsFile: args.values.get("--timings-file"),
        // --print-summary is the default; scripts written for the earlier driver still pass it.
        printSummary: action === "up" && !args.flags.has("--no-summary"),
        removeReports: args.flags.has("--remove-reports"),
        ...(patchBase !== undefined ? { patchBase } : {}),
    };
}

/**
 * The outputs this update wrote, or undefined when it wrote none (refused, cancelled, failed before the harvest):
 * the stack then still holds an earlier run's, which must never pass for this one's. A failed gate fails the
 * update after its outputs were written: those are this update's.
 */
async function thisUpdatesOutputs(stack: Stack, events: OutputsFromEvents): Promise<OutputMap | undefined> {
    if (!events.seen()) return undefined;
    // A secret output is masked in the events: read back, and only if the stack's run is this update's.
    const outputs = events.outputMap() ?? (await stack.outputs());
    return outputs.runId?.value === events.value("runId") ? outputs : undefined;
}

/**
 * Writes the update's outputs to --outputs-file and prints the coverage summary: what the component said (its
 * formatted summary, said by the component itself), else the `coverage` output formatted. Without outputs of this
 * update, writes none and removes an --outputs-file an earlier run left, so CI never reads it as this run's.
 */
function reportOutputs(options: UpdateOptions, known: OutputMap | undefined, said: string[]): void {
    const outputs = known && Object.fromEntries(Object.entries(known).map(([k, v]) => [k, v.value]));
    if (options.outputsFile && outputs !== undefined)
        fs.writeFileSync(path.resolve(options.outputsFile), JSON.stringify(outputs, null, 2));
    else if (options.outputsFile && fs.existsSync(options.outputsFile)) {
        fs.rmSync(path.resolve(options.outputsFile));
        log(`removed ${options.outputsFile}, an earlier run's outputs: this update wrote none`);
    }
    if (!options.printSummary) return;
    if (said.length > 0) process.stdout.write(`\n${said.join("\n\n")}\n`);
    else if (outputs?.coverage !== undefined)
        process.stdout.write(`\n${formatSummary(outputs.coverage as CoverageSummary)}\n`);
    if (outputs === undefined) log("no coverage summary: this update ended before it harvested a run");
}

/** The engine's closing advice after a destroy; the demo's stack is removed right after. */
const STACK_RM_ADVICE = /^(The resources in the stack have been deleted|If you want to remove the stack completely)/;

/** Says which stack, and for the demo which of its stacks/ configs, the update runs with. */
function announceTarget(target: CommandTarget, action: UpdateAction): void {
    log(`stack ${target.stack} (${target.stackReason})`);
    if (!target.demo || action === "destroy") return;
    const root = target.project.dir;
    if (!fs.existsSync(stackConfigPath(root, target.stack)))
        log(
            `stack ${target.stack} has no config of its own: using ${path.relative(root, stackConfigPath(root, BASE_STACK))} ` +
                `(write ${path.relative(root, stackConfigPath(root, target.stack))} for one that differs)`,
        );
}

/** The update failed: its causes, said once, as the last lines (the engine's output was streamed already). */
function failureOf(
    err: Error,
    target: CommandTarget,
    backendUrl: string,
    report: UpdateReport,
    action: UpdateAction,
): Error {
    const spell = commandSpelling(target.demo);
    if (backendUrl.startsWith("file://")) {
        const lockDir = stackLockDir(backendUrl, target.project.name, target.stackName);
        const lock = explainLock(err.message, target.stack, lockDir, spell);
        if (lock) return new Error(lock);
    }
    if (interrupt.count > 0) {
        const others = report.summary().filter((d) => d.severity === "error" && !isInterruptConsequence(d.message));
        if (others.length > 0) process.stderr.write(`${formatDiagnostics(others, spell)}\n`);
        return new InterruptedError(interruptedEnding(action));
    }
    const diagnostics = report.summary();
    return new Error(diagnostics.length === 0 ? cliErrorText(err.message) : formatDiagnostics(diagnostics, spell));
}

/** Everything the command follows in one update's events. */
class UpdateWatch {
    readonly timings = new StepTimings();
    readonly outputs = new OutputsFromEvents();
    readonly said = new ComponentMessages();
    constructor(readonly report: UpdateReport) {}

    readonly onEvent = (event: EngineEvent): void => {
        this.timings.onEvent(event);
        this.report.onEvent(event);
        this.outputs.onEvent(event);
        this.said.onEvent(event);
    };
}

/** An up: the raw outputs stay in the stack; a person reads them formatted. */
async function up(stack: Stack, options: UpdateOptions, watch: UpdateWatch): Promise<void> {
    let result: UpResult;
    answerReadBackFromEvents(stack, watch.outputs);
    try {
        result = await stack.up({ onOutput: watch.report.onOutput, onEvent: watch.onEvent, suppressOutputs: true });
    } catch (err) {
        // A failed gate fails the update after the outputs were written: they are kept, and shown. An interrupted
        // update's are not this run's to show.
        if (interrupt.count > 0) reportOutputs(options, undefined, []);
        else reportOutputs(options, await thisUpdatesOutputs(stack, watch.outputs), watch.said.messages);
        throw err;
    }
    // The update read its outputs already: reading them again would start the CLI twice more.
    reportOutputs(options, result.outputs, watch.said.messages);
}

/** A destroy: nothing with the stack's labels outlives it, and its reports are kept unless asked otherwise. */
async function destroy(stack: Stack, target: CommandTarget, options: UpdateOptions, watch: UpdateWatch): Promise<void> {
    const owned = await ownsDockerObjects(stack);
    await stack.destroy({ onOutput: watch.report.onOutput, onEvent: watch.onEvent, suppressOutputs: true });
    // Whatever the state said: nothing with the stack's labels may outlive it (if this stack made any).
    if (owned)
        for (const line of removeObjects(allLabelledObjects(target.project.name, target.stackName)))
            log(`removed ${line}, which the state did not know`);
    log(await afterDestroy(target, stack));
    const reports = describeReportFolder(
        target.project.dir,
        target.stackName,
        options.removeReports,
        commandSpelling(target.demo),
    );
    if (reports) log(reports);
}

/**
 * Runs `action` on the command's stack; throws InterruptedError after a Ctrl-C, an Error with the causes else.
 * `takeInterrupt`: a command that runs the update for its own ends (watch) is asked first what a Ctrl-C means; when
 * it says it ended its part gracefully (true), the update goes on to its end instead of being cancelled.
 */
export async function runUpdate(action: UpdateAction, argv: string[], takeInterrupt?: () => boolean): Promise<void> {
    const args = parseCommandArgs(
        argv,
        {
            values: [...TARGET_OPTIONS, "--outputs-file", "--timings-file", "--patch-base"],
            flags: ["--print-summary", "--no-summary", "--remove-reports"],
        },
        USAGE,
    );
    const options = updateOptions(action, args);
    installInterruptHandlers(takeInterrupt);
    const target = await commandTarget(args);
    interrupt.target = target;
    announceTarget(target, action);
    // The command's own docker calls go to the engine the stack's resources are on.
    Object.assign(process.env, targetEngineEnvironment(target));
    // The program reads it where it runs: in this process (the demo) or the language host, which inherits it.
    if (options.patchBase !== undefined) process.env[PATCH_BASE_ENV] = options.patchBase;
    markEngineProcesses(target.stackName);
    const opening = openTargetStack(target, {
        create: action !== "destroy",
        keepLastConfigOnSyntaxError: action === "destroy",
        warn: (line) => log(`warning: ${line}`),
    });
    // Awaited below: recovery looks at the engine and the backend's folder while the CLI starts for the stack.
    opening.catch(() => undefined);
    const backendUrl = await targetBackendUrl(target, async () => (await opening).workspace);
    interrupt.backendUrl = backendUrl;
    if (action === "up" || action === "destroy") {
        // A killed run leaves a lock, pending operations and objects the state does not know: clear them first.
        for (const line of await recoverStack(target.stack, opening, target.project.name, backendUrl))
            log(`recovered: ${line}`);
    }
    const stack = await opening;
    const report = new UpdateReport((text) => {
        if (!(action === "destroy" && STACK_RM_ADVICE.test(text.trimStart()))) process.stdout.write(text);
    });
    const watch = new UpdateWatch(report);
    try {
        if (action === "preview") await stack.preview({ onOutput: report.onOutput, onEvent: watch.onEvent });
        else if (action === "up") await up(stack, options, watch);
        else await destroy(stack, target, options, watch);
    } catch (err) {
        throw failureOf(err as Error, target, backendUrl, report, action);
    } finally {
        if (options.timingsFile)
            fs.writeFileSync(path.resolve(options.timingsFile), JSON.stringify(watch.timings, null, 2));
    }
    const diagnostics = report.summary();
    const spell = commandSpelling(target.demo);
    // An error the program reported fails the command even when the engine let the update end well (the plain
    // CLI's nodejs host can miss an error logged late): a red run never exits 0.
    if (diagnostics.some((d) => d.severity === "error")) throw new Error(formatDiagnostics(diagnostics, spell));
    if (diagnostics.length > 0) process.stderr.write(`${formatDiagnostics(diagnostics, spell)}\n`);
}

/**
 * Leaves at once (a second Ctrl-C) without leaving anything that blocks the next run: this command's engine (the
 * CLI, which would otherwise sleep on the cancelled update holding the stack's lock, and its plugins) ends now,
 * and the lock it held goes with it. The next run's recovery clears the update's pending operations.
 */
function leaveAtOnce(target: CommandTarget | undefined, backendUrl: string): never {
    if (target !== undefined) {
        const own = engineProcesses(target.stackName).filter((p) => p.driver === process.pid);
        if (own.length > 0) {
            const { stuck } = endProcesses(
                own.map((p) => p.pid),
                true,
            );
            log(
                `left at once: ended ${describeEngineProcesses(own)}${stuck.length ? `; ${stuck.join(", ")} would not end` : ""}`,
            );
        }
        if (backendUrl.startsWith("file://"))
            for (const lock of removeStaleLocks(stackLockDir(backendUrl, target.project.name, target.stackName)))
                log(`left at once: removed the stack's lock (${describeLock(lock)})`);
        const spell: CommandSpelling = commandSpelling(target.demo);
        log(
            `the next \`${spell("up", target.demo ? undefined : `--stack ${target.stack}`)}\` clears what the cancelled update left`,
        );
    }
    process.exit(130);
}

/**
 * Ctrl-C reaches this command and the engine, which cancels the update once its running step ends; the test run,
 * in the engine's plugin process group, is asked to stop now: its suite, then the services, gracefully. Stay, to
 * show how that ends; a second Ctrl-C leaves at once.
 */
function installInterruptHandlers(takeInterrupt?: () => boolean): void {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.on(signal, () => {
            if (interrupt.count === 0 && takeInterrupt?.()) return;
            interrupt.count += 1;
            if (interrupt.count > 1) leaveAtOnce(interrupt.target, interrupt.backendUrl);
            log(`${signal === "SIGINT" ? "Ctrl-C" : signal}: cancelling the update (again to leave at once)`);
            if (interrupt.target === undefined) return;
            const stopped = interruptTestRun(interrupt.target.stackName);
            if (stopped.processes.length > 0)
                log(`interrupted: stopped the test suite (${stopped.processes.length} process(es))`);
            if (stopped.services.length > 0)
                log(`interrupted: stopped ${stopped.services.join(", ")} gracefully, so their data is saved`);
            if (stopped.notStopped)
                log(
                    `interrupted: could not stop ${stopped.notStopped.services.join(", ")} (${stopped.notStopped.cause}): ` +
                        "the next run stops what is left",
                );
        });
    }
}
