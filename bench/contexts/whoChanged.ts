// Benchmark: what `who --changed` costs on a large index. A generated checkout (FILES modules of LINES statements)
// with a branch that changes every fourth line of a quarter of them, and a report folder with one indexed run of
// TESTS tests (each line run by CONTEXTS of them), as the harvest and the component leave it. Times the package's
// command as a user runs it (a new node process: `who --changed --format json`), and the answer alone in this process
// (readChangedTests: index, summary, git diff, the comparison with the run's source). Goal: under 1 s.
// Prints a Markdown section (medians with their range) on stdout, progress on stderr.
//
//   npx tsc -p tsconfig.json && node bin/bench/contexts/whoChanged.js [rounds] [tests] [baseline main.js]
// Defaults: 7 rounds, 2000 tests. Needs nothing but git and node; its temporary folders are removed at the end.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readChangedTests } from "../../cli/contexts/readChangedTests";
import { git, writeFiles } from "../../test/unit/fixtures";
import { medianRange } from "../median";

const FILES = 200;
const LINES = 200;
const CONTEXTS = 5;
const RUN = "20261206T000000Z-bench1";
const log = (line: string) => process.stderr.write(`[bench-who-changed] ${line}\n`);

const moduleText = (file: number, changed: boolean) =>
    Array.from({ length: LINES }, (_, i) => `v${i} = ${changed && i % 4 === 0 ? -file : file}\n`).join("");
const name = (file: number) => `pkg/mod_${String(file).padStart(3, "0")}.py`;

/** main with every module, then branch feature changing every fourth line of each fourth module. */
function checkout(dir: string): void {
    git(dir, "init", "-q", "-b", "main");
    writeFiles(
        dir,
        Object.fromEntries(Array.from({ length: FILES }, (_, f) => [`app/${name(f)}`, moduleText(f, false)])),
    );
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "base");
    git(dir, "checkout", "-q", "-b", "feature");
    for (let f = 0; f < FILES; f += 4) writeFiles(dir, { [`app/${name(f)}`]: moduleText(f, true) });
    git(dir, "commit", "-q", "-am", "change");
}

/** One indexed run of the branch: every line a statement run by CONTEXTS of `tests` pytest-named tests. */
function indexedRun(reportDir: string, repo: string, tests: number): number {
    const run = path.join(reportDir, "runs", RUN);
    const testName = (t: number) => `tests/test_${String(t % 50).padStart(2, "0")}.py::test_case_${t}`;
    const files: Record<string, Record<string, string[]>> = {};
    const sources: Record<string, string> = {};
    for (let f = 0; f < FILES; f++) {
        const lines: Record<string, string[]> = {};
        for (let l = 1; l <= LINES; l++)
            lines[String(l)] = Array.from({ length: CONTEXTS }, (_, c) =>
                testName((f * 131 + l * 17 + c * 401) % tests),
            );
        files[`shop/${name(f)}`] = lines;
        sources[`sources/shop/${name(f)}`] = moduleText(f, f % 4 === 0);
    }
    const all = Array.from({ length: LINES }, (_, i) => i + 1);
    writeFiles(run, {
        ...sources,
        "harvest.json": JSON.stringify({
            reports: { html: "h", json: "j", xml: "x", lcov: "l", text: "t" },
            services: { shop: { dataFiles: 1, reportRoot: "shop", report: "shop.json" } },
            perTest: { index: "total/contexts.json" },
        }),
        "summary.json": JSON.stringify({
            files: Array.from({ length: FILES }, (_, f) => ({
                service: "shop",
                path: name(f),
                hostPath: path.join(repo, "app", name(f)),
                executedLines: all,
                missingLines: [],
            })),
        }),
        "total/contexts.json": JSON.stringify({ outside: "(no test)", files }),
    });
    return fs.statSync(path.join(run, "total", "contexts.json")).size;
}

function timed(action: () => void): number {
    const start = process.hrtime.bigint();
    action();
    return Number(process.hrtime.bigint() - start) / 1e6;
}

const figure = (values: number[]) => medianRange(values, 0);

function main(): void {
    const rounds = Number(process.argv[2] ?? 7);
    const tests = Number(process.argv[3] ?? 2000);
    // Another checkout's bin/cli/main.js, timed in the same rounds: a change's effect, side by side.
    const baseline = process.argv[4];
    const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-bench-who-")));
    try {
        const repo = path.join(work, "repo");
        const reportDir = path.join(work, "reports");
        fs.mkdirSync(repo);
        checkout(repo);
        const indexBytes = indexedRun(reportDir, repo, tests);
        const cli = path.join(__dirname, "..", "..", "cli", "main.js");
        const whoArgs = ["who", "--changed", "--base", "main", "--format", "json", "--report-dir", reportDir];
        const command: number[] = [];
        const baselineCommand: number[] = [];
        const inProcess: number[] = [];
        let selected = 0;
        const runCommand = (main: string) => {
            const who = spawnSync("node", [main, ...whoArgs], {
                cwd: repo,
                encoding: "utf8",
                maxBuffer: 256 * 1024 * 1024,
            });
            if (who.status !== 0) throw new Error(`who --changed failed: ${who.stderr}`);
            selected = (JSON.parse(who.stdout) as { tests: unknown[] }).tests.length;
        };
        for (let r = 0; r < rounds; r++) {
            command.push(timed(() => runCommand(cli)));
            // Interleaved with this checkout's, so both see the same load.
            if (baseline) baselineCommand.push(timed(() => runCommand(baseline)));
            inProcess.push(timed(() => readChangedTests(reportDir, "main")));
            const then = baseline ? `, baseline ${baselineCommand[r].toFixed(0)} ms` : "";
            log(`round ${r + 1}: command ${command[r].toFixed(0)} ms${then}, in process ${inProcess[r].toFixed(0)} ms`);
        }
        const changed = (FILES / 4) * (LINES / 4);
        console.log(
            [
                `### \`who --changed\` on an index of ${tests} tests (\`node bin/bench/contexts/whoChanged.js ${rounds} ${tests}\`)`,
                "",
                `${FILES} measured files of ${LINES} statements, each run by ${CONTEXTS} tests (index ${(indexBytes / 1e6).toFixed(1)} MB);`,
                `the branch changes ${changed} lines in ${FILES / 4} files; ${selected} tests selected. Milliseconds, median (range) of ${rounds}:`,
                "",
                "| | ms |",
                "| --- | --- |",
                `| the command (\`who --changed --format json\`, a new node process) | ${figure(command)} |`,
                ...(baseline ? [`| the same command of ${baseline} | ${figure(baselineCommand)} |`] : []),
                `| the answer in process (readChangedTests) | ${figure(inProcess)} |`,
            ].join("\n"),
        );
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

main();
