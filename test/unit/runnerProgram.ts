import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const RUNNER_SOURCES = path.join(__dirname, "..", "..", "components", "testRun", "runner");
let compiled: string | undefined;

/**
 * The runner's programs (components/testRun/runner/), as JavaScript Node runs: each module transpiled alone (types
 * are the type check's part), once per test file, into a folder of its own. The runner imports nothing from outside
 * its folder, so the folder runs as it is.
 */
export function runnerProgram(entry: "testRunMain" | "waitReadyMain" | "copyReportsMain"): string {
    if (compiled === undefined) {
        compiled = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-runner-"));
        for (const file of fs.readdirSync(RUNNER_SOURCES).filter((f) => f.endsWith(".ts"))) {
            const source = fs.readFileSync(path.join(RUNNER_SOURCES, file), "utf8");
            const { outputText } = ts.transpileModule(source, {
                compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
                fileName: file,
            });
            fs.writeFileSync(path.join(compiled, file.replace(/\.ts$/, ".js")), outputText);
        }
        const dir = compiled;
        afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    }
    return path.join(compiled, `${entry}.js`);
}
