// What a watch session watches for a change that reruns the suite: the test files the test command names, else what
// the user names with --watch, else the test working folder; never what a run writes itself.
import * as fs from "fs";
import * as path from "path";
import { shellWords } from "../../components/compose/shellWords";

/**
 * The files and folders the test command names (`-s examples/demo/tests`, `tests/test_app.py`), resolved in its
 * working folder; the working folder itself when it names none (then every change there counts, but ignoredChange's).
 */
export function watchedPaths(testCommand: string, workingDir: string): string[] {
    const named = shellWords(testCommand)
        .filter((word) => !word.startsWith("-") && !word.includes("="))
        .map((word) => path.resolve(workingDir, word))
        .filter((p) => p !== path.resolve(workingDir) && fs.existsSync(p) && !isProgram(p));
    return named.length > 0 ? [...new Set(named)] : [path.resolve(workingDir)];
}

/** A program the command runs (an executable file), not a test file it reads. */
function isProgram(p: string): boolean {
    try {
        const stat = fs.statSync(p);
        return stat.isFile() && (stat.mode & 0o111) !== 0;
    } catch {
        return false;
    }
}

/**
 * What a run writes itself (Python's bytecode caches, a dot-folder such as .pytest_cache, the report folder: one of
 * `written`), or an editor's scratch: no change of the tests. `file` is absolute, inside the watched path `root`.
 */
export function ignoredChange(root: string, file: string, written: string[]): boolean {
    if (written.some((dir) => file === dir || file.startsWith(`${dir}${path.sep}`))) return true;
    return path
        .relative(root, file)
        .split(path.sep)
        .some(
            (part) =>
                part === "__pycache__" ||
                (part.startsWith(".") && part !== "." && part !== "..") ||
                part.endsWith(".pyc") ||
                part.endsWith("~") ||
                part.endsWith(".swp"),
        );
}
