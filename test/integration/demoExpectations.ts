import * as path from "path";
import { FileCoverage } from "../../components/summary/coverageSummary";
import { REPO_ROOT, markedLines } from "./engine";

export const DEMO_IMAGE = "coverage-spy/demo-app:latest";
export const DEMO_SOURCE = path.join(REPO_ROOT, "examples", "demo", "app");
export const DEMO_WORKERS = 3;
export const DEMO_TEST_COMMAND = "python3 -m unittest discover -s examples/demo/tests -v";

/** Lines per file the demo's tests must execute or miss, from the `# demo: not-hit` markers in its source. */
export function expectLines(file: FileCoverage): void {
    const marked = markedLines(path.join(DEMO_SOURCE, file.path));
    const statements = [...file.executedLines, ...file.missingLines].sort((a, b) => a - b);
    // Each marker stands on a statement coverage.py counts, and exactly the marked statements are missed.
    expect({ file: file.path, missing: file.missingLines }).toEqual({ file: file.path, missing: marked });
    expect(statements.filter((n) => marked.includes(n))).toEqual(marked);
    expect(file.covered).toBe(statements.length - marked.length);
}
