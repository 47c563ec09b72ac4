// Runs the coverage stack program with the real Pulumi engine through the Automation API, as an inline program:
// the same program index.ts runs, without needing the pulumi-language-nodejs plugin.
//
//   node bin/scripts/run-stack.js preview|up|destroy [--stack NAME] [--outputs-file FILE] [--timings-file FILE]
// [--print-summary]
//
// --outputs-file: the stack outputs after an up (also a failed one: a failed gate keeps them), as JSON.
// --print-summary: after an up, the coverage summary for a person; a failure's causes come after it, last.
// --timings-file: how long each resource step took
// (milliseconds from the engine's step start to its outputs) and when the first step started, as JSON.
//
// The stack: --stack, else $COVERAGE_SPY_STACK, else the git branch (components/stacks/stackName.ts).
// Its config is stacks/Pulumi.<stack>.yaml; a stack without one runs with stacks/Pulumi.dev.yaml's.
// `destroy` removes the stack from the backend too (`pulumi destroy --remove`); with --remove-reports also the
// runs coverage-spy wrote into the stack's default report folder.
// The backend and secrets come from scripts/pulumi-env.sh.
import { EngineEvent, OutputMap, Stack, UpResult } from "@pulumi/pulumi/automation";
import { CoverageSummary } from "../components/summary/coverageSummary";
import { formatSummary } from "../components/summary/formatSummary";
import { UpdateReport, formatDiagnostics } from "../components/stacks/updateReport";
import { interruptTestRun } from "../components/testRun/interruptTestRun";
import * as fs from "fs";
import * as path from "path";
import { coverageStackProgram } from "../components/stackProgram";
import { projectRoot } from "../components/programConfig";
import { chooseStack } from "../components/stacks/stackName";
import { describeLock, explainLock, removeStaleLocks, stackLockDir } from "../components/stacks/stackLocks";
import { BASE_STACK, stackConfigPath, stackEngineEnvironment } from "../components/stacks/stackConfigFile";
import { allLabelledObjects, ownsDockerObjects, recoverStack, removeObjects } from "../components/stacks/recovery";
import { OutputsFromEvents, answerReadBackFromEvents } from "../components/stacks/outputsFromEvents";
import { COVERAGE_PROJECT, openCoverageStack, removeCoverageStack } from "../components/stacks/engineWorkspace";
import {
    describeEngineProcesses,
    endProcesses,
    engineProcesses,
    markEngineProcesses,
} from "../components/stacks/engineProcesses";
import { interruptedEnding, isInterruptConsequence } from "../components/stacks/interruptedUpdate";
import { describeReportFolder } from "../components/stacks/reportFolder";
import { cliErrorText } from "../components/stacks/commandError";

const ACTIONS = ["preview", "up", "destroy", "remove"] as const;
type Action = (typeof ACTIONS)[number];
const log = (line: string) => process.stderr.write(`[coverage-spy] ${line}\n`);

interface Options {
    action: Action;
    stack?: string;
    outputsFile?: string;
    timingsFile?: string;
    printSummary?: boolean;
    removeReports?: boolean;
}

function parseArgs(argv: string[]): Options {
    const [action, ...rest] = argv;
    const usage = `usage: run-stack ${ACTIONS.join("|")} [--stack NAME] [--outputs-file FILE] [--timings-file FILE] [--print-summary] [--remove-reports]`;
    if (!ACTIONS.includes(action as Action)) throw new Error(usage);
    const options: Options = { action: action as Action };
    for (let i = 0; i < rest.length; i += 2) {
        if (rest[i] === "--print-summary" || rest[i] === "--remove-reports") {
            if (rest[i] === "--print-summary") options.printSummary = true;
            else options.removeReports = true;
            i -= 1;
            continue;
        }
        const value = rest[i + 1];
        if (value === undefined) throw new Error(`${rest[i]} needs a value; ${usage}`);
        if (rest[i] === "--stack") options.stack = value;
        else if (rest[i] === "--outputs-file") options.outputsFile = value;
        else if (rest[i] === "--timings-file") options.timingsFile = value;
        else throw new Error(`unknown option ${rest[i]}; ${usage}`);
    }
    return options;
}

/** Resource step timings from the engine's events: each step from its start to its outputs. */
class StepTimings {
    private readonly started = Date.now();
    private firstStepAt?: number;
    private readonly open = new Map<string, number>();
    readonly steps: Array<{ name: string; type: string; op: string; ms: number }> = [];

    onEvent = (event: EngineEvent): void => {
        const now = Date.now();
        const pre = event.resourcePreEvent?.metadata;
        const done = event.resOutputsEvent?.metadata;
        if (pre) {
            this.firstStepAt ??= now;
            this.open.set(`${pre.urn}|${pre.op}`, now);
        } else if (done) {
            const began = this.open.get(`${done.urn}|${done.op}`);
            if (began !== undefined)
                this.steps.push({ name: done.urn.split("::").pop()!, type: done.type, op: done.op, ms: now - began });
        }
    };

    toJSON() {
        return {
            engineStartMs: (this.firstStepAt ?? Date.now()) - this.started,
            totalMs: Date.now() - this.started,
            steps: this.steps,
        };
    }
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
 * Writes the update's outputs to --outputs-file and, with --print-summary, prints the coverage summary. Without
 * outputs of this update, writes none and removes an --outputs-file an earlier run left, so CI never reads it as
 * this run's.
 */
function reportOutputs(args: Options, known: OutputMap | undefined): void {
    if (known === undefined) {
        if (args.outputsFile && fs.existsSync(args.outputsFile)) {
            fs.rmSync(path.resolve(args.outputsFile));
            log(`removed ${args.outputsFile}, an earlier run's outputs: this update wrote none`);
        }
        if (args.printSummary) log("no coverage summary: this update ended before it harvested a run");
        return;
    }
    const outputs = Object.fromEntries(Object.entries(known).map(([k, v]) => [k, v.value]));
    if (args.outputsFile) fs.writeFileSync(path.resolve(args.outputsFile), JSON.stringify(outputs, null, 2));
    if (args.printSummary && outputs.coverage !== undefined)
        process.stdout.write(`\n${formatSummary(outputs.coverage as CoverageSummary)}\n`);
}

/** The engine's closing advice after a destroy; this driver removes the stack itself right after. */
const STACK_RM_ADVICE = /^(The resources in the stack have been deleted|If you want to remove the stack completely)/;

/** The stack this run works on, once chosen (for the interrupt handler). */
let chosenStack: string | undefined;

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    if (!process.env.PULUMI_BACKEND_URL)
        throw new Error("source scripts/pulumi-env.sh first (PULUMI_BACKEND_URL is unset)");
    const root = projectRoot(__dirname);
    const { stack: stackName, reason } = chooseStack(args.stack, process.env, root);
    chosenStack = stackName;
    log(`stack ${stackName} (${reason})`);
    if ((args.action === "preview" || args.action === "up") && !fs.existsSync(stackConfigPath(root, stackName)))
        log(
            `stack ${stackName} has no config of its own: using ${path.relative(root, stackConfigPath(root, BASE_STACK))} ` +
                `(write ${path.relative(root, stackConfigPath(root, stackName))} for one that differs)`,
        );
    // The driver's own docker calls go to the engine the stack's resources are on.
    Object.assign(process.env, stackEngineEnvironment(root, stackName));
    markEngineProcesses(stackName);
    const stack = await openCoverageStack(root, stackName, () => Promise.resolve(coverageStackProgram(root)), {
        keepLastConfigOnSyntaxError: args.action === "destroy",
        warn: (line) => log(`warning: ${line}`),
    });
    if (args.action === "up" || args.action === "destroy") {
        // A killed run leaves a lock, pending operations and objects the state does not know: clear them first.
        const cleared = await recoverStack(stack, COVERAGE_PROJECT, process.env.PULUMI_BACKEND_URL);
        for (const line of cleared) log(`recovered: ${line}`);
    }
    const report = new UpdateReport((text) => {
        if (!(args.action === "destroy" && STACK_RM_ADVICE.test(text.trimStart()))) process.stdout.write(text);
    });
    const onOutput = report.onOutput;
    const timings = new StepTimings();
    const outputsFromEvents = new OutputsFromEvents();
    const onEvent = (event: EngineEvent) => {
        timings.onEvent(event);
        report.onEvent(event);
        outputsFromEvents.onEvent(event);
    };
    try {
        if (args.action === "preview") {
            await stack.preview({ onOutput, onEvent });
        } else if (args.action === "up") {
            // The raw outputs stay in the stack; a person reads them formatted, below.
            let result: UpResult;
            answerReadBackFromEvents(stack, outputsFromEvents);
            try {
                result = await stack.up({ onOutput, onEvent, suppressOutputs: true });
            } catch (err) {
                // A failed gate fails the update after the outputs were written: they are kept, and shown.
                reportOutputs(args, interrupts > 0 ? undefined : await thisUpdatesOutputs(stack, outputsFromEvents));
                throw err;
            }
            // The update read its outputs already: reading them again would start the CLI twice more.
            reportOutputs(args, result.outputs);
        } else {
            const owned = await ownsDockerObjects(stack);
            await stack.destroy({ onOutput, onEvent, suppressOutputs: true });
            // Whatever the state said: nothing with the stack's labels may outlive it (if this stack made any).
            if (owned)
                for (const line of removeObjects(allLabelledObjects(COVERAGE_PROJECT, stackName)))
                    log(`removed ${line}, which the state did not know`);
            const removed = await removeCoverageStack(root, stack);
            log(
                `stack ${stackName} destroyed and removed from the backend${removed ? `; removed its copied config ${path.relative(root, removed)}` : ""}`,
            );
            const reports = describeReportFolder(root, stackName, args.removeReports ?? false);
            if (reports) log(reports);
        }
    } catch (err) {
        const lock = explainLock(
            (err as Error).message,
            stackName,
            stackLockDir(process.env.PULUMI_BACKEND_URL ?? "", COVERAGE_PROJECT, stackName),
        );
        if (lock) throw new Error(lock);
        // The engine's output was streamed already: say only the causes, once, as the last lines.
        if (interrupts > 0) {
            const others = report.summary().filter((d) => d.severity === "error" && !isInterruptConsequence(d.message));
            if (others.length > 0) process.stderr.write(`${formatDiagnostics(others)}\n`);
            throw new InterruptedError(interruptedEnding(args.action));
        }
        const diagnostics = report.summary();
        if (diagnostics.length === 0) throw new Error(cliErrorText((err as Error).message));
        throw new Error(formatDiagnostics(diagnostics));
    } finally {
        if (args.timingsFile) fs.writeFileSync(path.resolve(args.timingsFile), JSON.stringify(timings, null, 2));
    }
    const warnings = report.summary();
    if (warnings.length > 0) process.stderr.write(`${formatDiagnostics(warnings)}\n`);
}

/** The run ended because the user interrupted it: said in one line, exit code 130. */
class InterruptedError extends Error {}

/**
 * Leaves at once (a second Ctrl-C) without leaving anything that blocks the next run: this driver's engine (the
 * CLI, which would otherwise sleep on the cancelled update holding the stack's lock, and its plugins) ends now,
 * and the lock it held goes with it. The next run's recovery clears the update's pending operations.
 */
function leaveAtOnce(stack: string | undefined): never {
    if (stack !== undefined) {
        const own = engineProcesses(stack).filter((p) => p.driver === process.pid);
        if (own.length > 0) {
            const { stuck } = endProcesses(
                own.map((p) => p.pid),
                true,
            );
            log(
                `left at once: ended ${describeEngineProcesses(own)}${stuck.length ? `; ${stuck.join(", ")} would not end` : ""}`,
            );
        }
        if (process.env.PULUMI_BACKEND_URL?.startsWith("file://"))
            for (const lock of removeStaleLocks(stackLockDir(process.env.PULUMI_BACKEND_URL, COVERAGE_PROJECT, stack)))
                log(`left at once: removed the stack's lock (${describeLock(lock)})`);
        log("the next `npm run coverage` clears what the cancelled update left");
    }
    process.exit(130);
}

// Ctrl-C reaches this driver and the engine, which cancels the update once its running step ends; the test run,
// in the engine's plugin process group, is asked to stop now: its suite, then the services, gracefully. Stay, to
// show how that ends; a second Ctrl-C leaves at once.
let interrupts = 0;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
        interrupts += 1;
        if (interrupts > 1) leaveAtOnce(chosenStack);
        log(`${signal === "SIGINT" ? "Ctrl-C" : signal}: cancelling the update (again to leave at once)`);
        if (chosenStack === undefined) return;
        const stopped = interruptTestRun(chosenStack);
        if (stopped.processes.length > 0)
            log(`interrupted: stopped the test suite (${stopped.processes.length} process(es))`);
        if (stopped.services.length > 0)
            log(`interrupted: stopped ${stopped.services.join(", ")} gracefully, so their data is saved`);
    });
}

main().catch((err: Error) => {
    if (err instanceof InterruptedError) {
        log(err.message);
        process.exit(130);
    }
    const message = err.message.startsWith("[coverage-spy]") ? err.message : `[coverage-spy] error: ${err.message}`;
    process.stderr.write(`\n${message}\n`);
    process.exit(1);
});
