// A live snapshot (or reset) of a running coverage stack's services, without stopping them.
//
//   node bin/scripts/snapshot.js [--stack NAME] [--reset] [--timeout SECONDS]
//
// snapshot: every measured process saves now and runs on; a report of the run so far is written and printed.
// --reset:  every measured process discards what it collected; what runs next is measured alone.
// The stack: --stack, else $COVERAGE_SPY_STACK, else the git branch's (as for npm run coverage).
import { projectRoot } from "../components/programConfig";
import { snapshotCoverage } from "../components/snapshot/snapshotCoverage";
import { chooseStack } from "../components/stacks/stackName";
import { stackEngineEnvironment } from "../components/stacks/stackConfigFile";
import { formatSummary } from "../components/summary/formatSummary";

function parseArgs(argv: string[]): { stack: string; reset: boolean; timeout: number } {
    let explicit: string | undefined;
    let reset = false;
    let timeout = 10;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") explicit = argv[++i];
        else if (argv[i] === "--reset") reset = true;
        else if (argv[i] === "--timeout") timeout = Number(argv[++i]);
        else
            throw new Error(`unknown option ${argv[i]} (usage: snapshot [--stack NAME] [--reset] [--timeout SECONDS])`);
    }
    if (!(timeout > 0)) throw new Error("--timeout needs a positive number of seconds");
    return { stack: chooseStack(explicit, process.env, projectRoot(__dirname)).stack, reset, timeout };
}

try {
    const { stack, reset, timeout } = parseArgs(process.argv.slice(2));
    // The engine the stack's config names, as run-stack uses it (none named: the environment's, a test run's included).
    Object.assign(process.env, stackEngineEnvironment(projectRoot(__dirname), stack));
    const result = snapshotCoverage({ stack, action: reset ? "reset" : "snapshot", timeoutSeconds: timeout });
    if (result.coverage) process.stdout.write(`${formatSummary(result.coverage)}\n`);
    const silent = result.answers.reduce((n, a) => n + a.silent.length, 0);
    if (silent > 0) {
        process.stderr.write(
            `[coverage-spy] ${silent} process(es) did not answer: their latest lines may be missing\n`,
        );
        process.exit(4);
    }
} catch (err) {
    process.stderr.write(`[coverage-spy] ${(err as Error).message}\n`);
    process.exit(1);
}
