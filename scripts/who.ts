// Which tests ran a line of a measured service, in the newest run of a stack that recorded per-test contexts:
//   npm run coverage:who -- FILE:LINE|FILE [--stack NAME] [--report-dir DIR]
// FILE: as in the total report ("demo/demo_app/pricing.py"), within its service ("demo_app/pricing.py") or in the
// checkout ("examples/demo/app/demo_app/pricing.py"). Without a line: each test that ran the file, with its lines.
// The stack: --stack, else $COVERAGE_SPY_STACK, else the git branch; its reports in <project>/reports/<stack>
// unless --report-dir names the stack's reportDir.
import * as fs from "fs";
import * as path from "path";
import {
    ContextIndex,
    formatWhoRan,
    latestIndex,
    parseWhoQuery,
    stacksWithContexts,
} from "../components/contexts/whoRan";
import { projectRoot } from "../components/programConfig";
import { chooseStack } from "../components/stacks/stackName";

const USAGE = "usage: npm run coverage:who -- FILE:LINE|FILE [--stack NAME] [--report-dir DIR]";

function main(argv: string[]): void {
    let query: string | undefined;
    let stack: string | undefined;
    let reportDir: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack" || argv[i] === "--report-dir") {
            const value = argv[++i];
            if (value === undefined) throw new Error(`${argv[i - 1]} needs a value; ${USAGE}`);
            if (argv[i - 1] === "--stack") stack = value;
            else reportDir = path.resolve(value);
        } else if (query === undefined && !argv[i].startsWith("--")) query = argv[i];
        else throw new Error(`unexpected ${argv[i]}; ${USAGE}`);
    }
    if (query === undefined) throw new Error(USAGE);
    const root = projectRoot(process.cwd());
    let folder = reportDir;
    if (folder === undefined) {
        const chosen = chooseStack(stack, process.env, root);
        folder = path.join(root, "reports", chosen.stack);
        process.stderr.write(`[coverage-spy] stack ${chosen.stack} (${chosen.reason}): reports in ${folder}\n`);
    }
    let runId: string, file: string;
    try {
        [runId, file] = latestIndex(folder);
    } catch (err) {
        // Without --stack the branch's stack is asked: name the stacks that could answer instead.
        const others = stacksWithContexts(path.join(root, "reports")).filter(
            (s) => path.join(root, "reports", s) !== folder,
        );
        if (stack !== undefined || reportDir !== undefined || others.length === 0) throw err;
        throw new Error(
            `${(err as Error).message}\nStacks whose runs recorded them: ${others.join(", ")} ` +
                `(npm run coverage:who -- ${query} --stack ${others[0]})`,
        );
    }
    const index = JSON.parse(fs.readFileSync(file, "utf8")) as ContextIndex;
    process.stdout.write(formatWhoRan(index, parseWhoQuery(query), runId) + "\n");
}

try {
    main(process.argv.slice(2));
} catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
}
