// snapshot: a live snapshot (or reset) of a running stack's services, without stopping them.
import { formatSummary } from "../../components/summary/formatSummary";
import { snapshotCoverage } from "../snapshot/snapshotCoverage";
import { targetEngineEnvironment } from "../project/stackWorkspace";
import { parseCommandArgs } from "./commandArgs";
import { TARGET_OPTIONS, commandTarget, log } from "./target";

const USAGE = "usage: coverage-spy snapshot [--stack NAME] [--cwd DIR] [--reset] [--timeout SECONDS]";
/** Exit code when a measured process did not answer in time. */
export const EXIT_SILENT = 4;

/**
 * snapshot: every measured process saves now and runs on; a report of the run so far is written and printed.
 * --reset: every measured process discards what it collected; what runs next is measured alone. Returns the exit
 * code.
 */
export async function runSnapshot(argv: string[]): Promise<number> {
    const args = parseCommandArgs(argv, { values: [...TARGET_OPTIONS, "--timeout"], flags: ["--reset"] }, USAGE);
    const timeout = Number(args.values.get("--timeout") ?? "10");
    if (!(timeout > 0)) throw new Error(`--timeout needs a positive number of seconds; ${USAGE}`);
    const target = await commandTarget(args);
    // The engine the stack's config names, as up uses it (none named: the environment's, a test run's included).
    Object.assign(process.env, targetEngineEnvironment(target));
    const result = snapshotCoverage({
        stack: target.stackName,
        action: args.flags.has("--reset") ? "reset" : "snapshot",
        timeoutSeconds: timeout,
    });
    if (result.coverage) process.stdout.write(`${formatSummary(result.coverage)}\n`);
    const silent = result.answers.reduce((n, a) => n + a.silent.length, 0);
    if (silent === 0) return 0;
    log(`${silent} process(es) did not answer: their latest lines may be missing`);
    return EXIT_SILENT;
}
