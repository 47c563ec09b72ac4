import * as path from "path";
import { RUNNER_FOLDER } from "../shared/layout";

/** The variable that names the runner side's folder, for runners that load it by path (jest, a shell loop). */
export const RUNNER_DIR_ENV = "COVERAGE_SPY_RUNNER_DIR";

/**
 * What the test command gets with per-test contexts: the runner folder (coverage-spy/runner) after the suite's
 * own PYTHONPATH, so `pytest -p coverage_spy_runner` and `python3 -m coverage_spy_runner` work with no install
 * and no module of the user's is shadowed, and its path for runners in other languages.
 */
export function runnerEnvironment(assetsDir: string, pythonPath: string | undefined): Record<string, string> {
    const runnerDir = path.join(assetsDir, RUNNER_FOLDER);
    return {
        [RUNNER_DIR_ENV]: runnerDir,
        PYTHONPATH: [pythonPath, runnerDir].filter((p) => p !== undefined && p !== "").join(":"),
    };
}
