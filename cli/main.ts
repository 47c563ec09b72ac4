#!/usr/bin/env node
// coverage-spy: the command that runs a coverage stack of a Pulumi project with the real engine.
//
//   coverage-spy up|preview|destroy|watch|snapshot|who|unlock|prune|summary [options]
//
// The project: the folder holding Pulumi.yaml (the current one or the nearest above it, or --cwd DIR). The stack:
// --stack NAME, else $COVERAGE_SPY_STACK, else the stack selected there (`pulumi stack select`); in this package's
// own checkout (the bundled demo), the git branch's. The backend: PULUMI_BACKEND_URL, else the Pulumi CLI's login;
// secrets as the CLI reads them (PULUMI_CONFIG_PASSPHRASE for a passphrase stack).
import { exitAfterOutput } from "../components/testRun/runner/exit";
import { UsageError } from "./commands/commandArgs";
import { InterruptedError, UPDATE_ACTIONS, UpdateAction } from "./commands/updateActions";
import { log } from "./commands/target";

export const USAGE = `usage: coverage-spy COMMAND [options]

  up        run the test suite against the measured services, print the coverage summary
  preview   show what up would create, and refuse bad options before anything exists
  destroy   remove the stack's containers, volume and network (--remove-reports: also its reports)
  watch     start the services once, run the suite on Enter or a change of the tests, print each cycle's coverage
  snapshot  save the running services' coverage now and print it (--reset: discard it)
  who       which tests ran a line: who FILE:LINE, or the checkout's changes: who --changed (per-test contexts)
  unlock    clear the lock a killed update left (file backend)
  prune     remove the stacks whose git branch is gone (dry run without --yes)
  summary   format the coverage output: pulumi stack output coverage --json | coverage-spy summary

Every command takes --stack NAME (default: the selected stack) and --cwd DIR (default: the folder holding
Pulumi.yaml, here or above).`;

/**
 * Runs one command; resolves to its exit code. Each command's module is loaded when it runs: the updates' Automation
 * API takes most of a second to load, which `who --changed` in a pipeline and `summary` should not wait for.
 */
async function run(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    if (UPDATE_ACTIONS.includes(command as UpdateAction)) {
        await (await import("./commands/update")).runUpdate(command as UpdateAction, rest);
        return 0;
    }
    switch (command) {
        case "watch":
            await (await import("./commands/watch")).runWatch(rest);
            return 0;
        case "snapshot":
            return (await import("./commands/snapshot")).runSnapshot(rest);
        case "who":
            await (await import("./commands/who")).runWho(rest);
            return 0;
        case "unlock":
            return (await import("./commands/unlock")).runUnlock(rest);
        case "prune":
            await (await import("./commands/prune")).runPrune(rest);
            return 0;
        case "summary":
            (await import("./commands/summary")).runSummary(rest);
            return 0;
        case "help":
        case "--help":
        case "-h":
            process.stdout.write(`${USAGE}\n`);
            return 0;
        default:
            throw new UsageError(command === undefined ? "which command?" : `unknown command ${command}`);
    }
}

/** The exit code of a failure, said as the last lines: the causes, nothing after them. */
function reportFailure(err: Error): number {
    if (err instanceof InterruptedError) {
        log(err.message);
        return 130;
    }
    if (err instanceof UsageError) {
        process.stderr.write(`[coverage-spy] ${err.message}\n${err.message.includes("usage:") ? "" : `${USAGE}\n`}`);
        return 2;
    }
    // Messages of the library's modules start with "coverage-spy: " already: said once.
    const text = err.message.replace(/^coverage-spy: /, "");
    const message = text.startsWith("[coverage-spy]") ? text : `[coverage-spy] error: ${text}`;
    process.stderr.write(`\n${message}\n`);
    return 1;
}

// Exits once the output is taken: a pipe (`who --changed --format json | ...`) is written to later, and
// process.exit would cut it off.
run(process.argv.slice(2)).then(
    (code) => exitAfterOutput(code),
    (err: Error) => exitAfterOutput(reportFailure(err)),
);
