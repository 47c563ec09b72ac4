// who: which tests ran a line of a measured service, in the newest run of a stack that recorded per-test contexts.
import * as fs from "fs";
import * as path from "path";
import { ContextIndex, formatWhoRan, latestIndex, parseWhoQuery, stacksWithContexts } from "../contexts/whoRan";
import { CHANGED_FORMATS, ChangedFormat, formatChangedTests } from "../contexts/formatChangedTests";
import { readChangedTests } from "../contexts/readChangedTests";
import { patchBaseProblem } from "../../components/options/patchOptions";
import { commandSpelling } from "../project/commandSpelling";
import { defaultReportFolder } from "../project/reportFolder";
import { CommandArgs, UsageError, parseCommandArgs } from "./commandArgs";
import { TARGET_OPTIONS, commandTarget, log } from "./target";

const USAGE =
    "usage: coverage-spy who FILE:LINE|FILE|--changed [--base REF] [--format text|pytest|unittest|json] " +
    "[--stack NAME] [--cwd DIR] [--report-dir DIR]";

/**
 * FILE: as in the total report ("demo/demo_app/pricing.py"), within its service ("demo_app/pricing.py") or in the
 * checkout ("examples/demo/app/demo_app/pricing.py"). Without a line: each test that ran the file, with its lines.
 * With --changed: the tests that executed the lines the checkout changed since --base (readChangedTests).
 * The reports: the stack's default report folder (<project>/reports/<stack>) unless --report-dir names the stack's
 * reportDir.
 */
export async function runWho(argv: string[]): Promise<void> {
    const args = parseCommandArgs(
        argv,
        { values: [...TARGET_OPTIONS, "--report-dir", "--base", "--format"], flags: ["--changed"], positional: 1 },
        USAGE,
    );
    const ask = whoQuestion(args);
    const explicitDir = args.values.get("--report-dir");
    if (explicitDir !== undefined) return ask(path.resolve(explicitDir));
    const target = await commandTarget(args);
    const folder = defaultReportFolder(target.project.dir, target.stackName);
    log(`stack ${target.stack} (${target.stackReason}): reports in ${folder}`);
    try {
        ask(folder);
    } catch (err) {
        // Without --stack the selected or the branch's stack is asked: name the stacks that could answer instead.
        const reports = path.dirname(folder);
        const others = stacksWithContexts(reports).filter((s) => path.join(reports, s) !== folder);
        // For --changed only a missing index is one another stack could answer.
        const noIndex = !args.flags.has("--changed") || /recorded per-test contexts/.test((err as Error).message);
        if (args.values.has("--stack") || others.length === 0 || !noIndex) throw err;
        const spell = commandSpelling(target.demo);
        const again = args.flags.has("--changed") ? "--changed" : args.positional[0];
        throw new Error(
            `${(err as Error).message}\nStacks whose runs recorded them: ${others.join(", ")} ` +
                `(${spell("who", `${again} --stack ${others[0]}`)})`,
        );
    }
}

/**
 * The question the arguments ask, as a function of the report folder: FILE:LINE (or FILE), or --changed, whose
 * --base and --format are checked here, before any stack is looked up.
 */
function whoQuestion(args: CommandArgs): (folder: string) => void {
    const [query] = args.positional;
    const base = args.values.get("--base");
    const format = args.values.get("--format") ?? "text";
    if (!args.flags.has("--changed")) {
        if (base !== undefined || args.values.has("--format"))
            throw new UsageError(`--base and --format go with --changed; ${USAGE}`);
        if (query === undefined) throw new Error(`which line? ${USAGE}`);
        return (folder) => answer(folder, query);
    }
    if (query !== undefined) throw new UsageError(`--changed asks about the changed lines, not ${query}; ${USAGE}`);
    const baseProblem = base === undefined ? undefined : patchBaseProblem("--base", base);
    if (baseProblem !== undefined) throw new UsageError(`${baseProblem}; ${USAGE}`);
    if (!(CHANGED_FORMATS as readonly string[]).includes(format))
        throw new UsageError(`--format ${format}: expected one of ${CHANGED_FORMATS.join(", ")}; ${USAGE}`);
    return (folder) => {
        const text = formatChangedTests(readChangedTests(folder, base), format as ChangedFormat);
        process.stdout.write(text === "" ? "" : `${text}\n`);
    };
}

/** Prints who ran the query's line (or file) in the newest run with contexts in a report folder. */
function answer(folder: string, query: string): void {
    const [runId, file] = latestIndex(folder);
    const index = JSON.parse(fs.readFileSync(file, "utf8")) as ContextIndex;
    process.stdout.write(formatWhoRan(index, parseWhoQuery(query), runId) + "\n");
}
