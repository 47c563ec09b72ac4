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
// Its config is stacks/Pulumi.<stack>.yaml; a stack without one starts from stacks/Pulumi.dev.yaml's.
// `destroy` removes the stack from the backend too (`pulumi destroy --remove`).
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
import { describeLock, isStale, readStackLocks, stackLockDir } from "../components/stacks/stackLocks";
import { copyBaseStackConfig, stackEngineEnvironment } from "../components/stacks/stackConfigFile";
import { allLabelledObjects, ownsDockerObjects, recoverStack, removeObjects } from "../components/stacks/recovery";
import { OutputsFromEvents, answerReadBackFromEvents } from "../components/stacks/outputsFromEvents";
import { COVERAGE_PROJECT, openCoverageStack, removeCoverageStack } from "../components/stacks/engineWorkspace";

const ACTIONS = ["preview", "up", "destroy", "remove"] as const;
type Action = (typeof ACTIONS)[number];
const log = (line: string) => process.stderr.write(`[coverage-spy] ${line}\n`);

interface Options {
    action: Action;
    stack?: string;
    outputsFile?: string;
    timingsFile?: string;
    printSummary?: boolean;
}

function parseArgs(argv: string[]): Options {
    const [action, ...rest] = argv;
    const usage = `usage: run-stack ${ACTIONS.join("|")} [--stack NAME] [--outputs-file FILE] [--timings-file FILE] [--print-summary]`;
    if (!ACTIONS.includes(action as Action)) throw new Error(usage);
    const options: Options = { action: action as Action };
    for (let i = 0; i < rest.length; i += 2) {
        if (rest[i] === "--print-summary") {
            options.printSummary = true;
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

/** The engine's lock error, said plainly: who holds the lock, and how to clear it if its holder is gone. */
function explainLock(message: string, stack: string): string | null {
    if (!message.includes("the stack is currently locked")) return null;
    const locks = readStackLocks(stackLockDir(process.env.PULUMI_BACKEND_URL ?? "", COVERAGE_PROJECT, stack));
    const stale = locks.filter((l) => isStale(l));
    const unlock = `  npm run coverage:unlock -- --stack ${stack}`;
    const held = locks.map((l) => `  ${describeLock(l)}${isStale(l) ? " (that process is gone)" : ""}  (${l.file})`);
    if (locks.length === 0) return `stack ${stack} was locked by another update, and the lock is gone now: try again`;
    if (stale.length === locks.length) {
        return [
            `stack ${stack} is locked by an update whose process is gone (killed?):`,
            ...held,
            "Clear the stale lock with:",
            unlock,
        ].join("\n");
    }
    return [
        `stack ${stack} is locked by another update:`,
        ...held,
        "Wait for that update to finish. If its process was killed, clear the stale lock with:",
        unlock,
    ].join("\n");
}

/**
 * Writes the stack's outputs to --outputs-file and, with --print-summary, prints the coverage summary. `known`:
 * the outputs the update returned; after a failed update they are read back from the stack.
 */
async function reportOutputs(stack: Stack, args: Options, known?: OutputMap): Promise<void> {
    const outputs = Object.fromEntries(Object.entries(known ?? (await stack.outputs())).map(([k, v]) => [k, v.value]));
    if (args.outputsFile) fs.writeFileSync(path.resolve(args.outputsFile), JSON.stringify(outputs, null, 2));
    if (args.printSummary && outputs.coverage !== undefined)
        process.stdout.write(`\n${formatSummary(outputs.coverage as CoverageSummary)}\n`);
}

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
    if (args.action === "preview" || args.action === "up") {
        const copied = copyBaseStackConfig(root, stackName);
        if (copied)
            log(
                `stack ${stackName} has no config of its own: using a copy of stacks/Pulumi.dev.yaml (${path.relative(root, copied)})`,
            );
    }
    // The driver's own docker calls go to the engine the stack's resources are on.
    Object.assign(process.env, stackEngineEnvironment(root, stackName));
    const stack = await openCoverageStack(root, stackName, () => Promise.resolve(coverageStackProgram(root)));
    if (args.action === "up" || args.action === "destroy") {
        // A killed run leaves a lock, pending operations and objects the state does not know: clear them first.
        const cleared = await recoverStack(stack, COVERAGE_PROJECT, process.env.PULUMI_BACKEND_URL);
        for (const line of cleared) log(`recovered: ${line}`);
    }
    const report = new UpdateReport((text) => process.stdout.write(text));
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
                await reportOutputs(stack, args);
                throw err;
            }
            // The update read its outputs already: reading them again would start the CLI twice more.
            await reportOutputs(stack, args, result.outputs);
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
        }
    } catch (err) {
        const lock = explainLock((err as Error).message, stackName);
        if (lock) throw new Error(lock);
        // The engine's output was streamed already: say only the causes, once, as the last lines.
        const diagnostics = report.summary();
        if (diagnostics.length === 0) throw err;
        throw new Error(formatDiagnostics(diagnostics));
    } finally {
        if (args.timingsFile) fs.writeFileSync(path.resolve(args.timingsFile), JSON.stringify(timings, null, 2));
    }
    const warnings = report.summary();
    if (warnings.length > 0) process.stderr.write(`${formatDiagnostics(warnings)}\n`);
}

// Ctrl-C reaches this driver and the engine, which cancels the update once its running step ends; the test run,
// in the engine's plugin process group, is asked to stop now: its suite, then the services, gracefully. Stay, to
// show how that ends; a second Ctrl-C leaves at once.
let interrupts = 0;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
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
    const message = err.message.startsWith("[coverage-spy]") ? err.message : `[coverage-spy] error: ${err.message}`;
    process.stderr.write(`\n${message}\n`);
    process.exit(1);
});
