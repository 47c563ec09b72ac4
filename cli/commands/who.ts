// who: which tests ran a line of a measured service, in the newest run of a stack that recorded per-test contexts.
import * as fs from "fs";
import * as path from "path";
import { ContextIndex, formatWhoRan, latestIndex, parseWhoQuery, stacksWithContexts } from "../contexts/whoRan";
import { commandSpelling } from "../project/commandSpelling";
import { defaultReportFolder } from "../project/reportFolder";
import { parseCommandArgs } from "./commandArgs";
import { TARGET_OPTIONS, commandTarget, log } from "./target";

const USAGE = "usage: coverage-spy who FILE:LINE|FILE [--stack NAME] [--cwd DIR] [--report-dir DIR]";

/**
 * FILE: as in the total report ("demo/demo_app/pricing.py"), within its service ("demo_app/pricing.py") or in the
 * checkout ("examples/demo/app/demo_app/pricing.py"). Without a line: each test that ran the file, with its lines.
 * The reports: the stack's default report folder (<project>/reports/<stack>) unless --report-dir names the stack's
 * reportDir.
 */
export async function runWho(argv: string[]): Promise<void> {
    const args = parseCommandArgs(argv, { values: [...TARGET_OPTIONS, "--report-dir"], positional: 1 }, USAGE);
    const [query] = args.positional;
    if (query === undefined) throw new Error(`which line? ${USAGE}`);
    const explicitDir = args.values.get("--report-dir");
    if (explicitDir !== undefined) return answer(path.resolve(explicitDir), query);
    const target = await commandTarget(args);
    const folder = defaultReportFolder(target.project.dir, target.stackName);
    log(`stack ${target.stack} (${target.stackReason}): reports in ${folder}`);
    try {
        answer(folder, query);
    } catch (err) {
        // Without --stack the selected or the branch's stack is asked: name the stacks that could answer instead.
        const reports = path.dirname(folder);
        const others = stacksWithContexts(reports).filter((s) => path.join(reports, s) !== folder);
        if (args.values.has("--stack") || others.length === 0) throw err;
        const spell = commandSpelling(target.demo);
        throw new Error(
            `${(err as Error).message}\nStacks whose runs recorded them: ${others.join(", ")} ` +
                `(${spell("who", `${query} --stack ${others[0]}`)})`,
        );
    }
}

/** Prints who ran the query's line (or file) in the newest run with contexts in a report folder. */
function answer(folder: string, query: string): void {
    const [runId, file] = latestIndex(folder);
    const index = JSON.parse(fs.readFileSync(file, "utf8")) as ContextIndex;
    process.stdout.write(formatWhoRan(index, parseWhoQuery(query), runId) + "\n");
}
