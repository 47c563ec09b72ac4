/** Test counts read from the runners' closing lines; null, with the reason, where they cannot be read. */
export interface TestCounts {
    passed: number | null;
    failed: number | null;
    /** Why passed and failed are null: what in the output could not be read. */
    unknown?: string;
}

/** One runner's closing lines, or the reason they cannot be counted. */
type RunnerCounts = { passed: number; failed: number } | { unreadable: string };

/** The number before `word` in "N word" items ("3 passed, 1 failed"), 0 when absent. */
function countOf(items: string, word: RegExp): number {
    const match = items.match(new RegExp(`(\\d+) ${word.source}`));
    return match ? Number(match[1]) : 0;
}

/** Jest: "Tests:       1 failed, 3 passed, 4 total" ("Test Suites:" counts files, not tests). */
function jestLine(line: string): RunnerCounts | null {
    const match = line.match(/^Tests:\s+(.*\d+ total)\s*$/);
    if (!match) return null;
    return { passed: countOf(match[1], /passed/), failed: countOf(match[1], /failed/) };
}

const PYTEST_ITEM = /^\d+ (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|rerun)$/;

/**
 * pytest ("==== 5 passed, 2 failed, 1 error in 1.20s ====", "2 errors in 0.3s" with -q) and the plain
 * "[label: ]N passed, N failed": every item a count of a known outcome, at least one of them a test's.
 */
function pytestOrPlainLine(line: string): RunnerCounts | null {
    const body = line
        .replace(/^[=\s]+|[=\s]+$/g, "")
        .replace(/^[\w ]+:\s*/, "")
        .replace(/ in [\d.]+ ?s\b.*$/, "");
    const items = body.split(/,\s*/);
    if (!items.every((item) => PYTEST_ITEM.test(item))) return null;
    if (!/\d+ (passed|failed|errors?)\b/.test(body)) return null;
    return { passed: countOf(body, /passed/), failed: countOf(body, /failed/) + countOf(body, /errors?/) };
}

const UNITTEST_RAN = /^Ran (\d+) tests? in /;
/** unittest's verdict: "OK", "OK (skipped=1)", "FAILED (failures=1, errors=2)", "NO TESTS RAN". */
const UNITTEST_VERDICT = /^(OK|FAILED|NO TESTS RAN)(?: \(([^)]*)\))?\s*$/;

/** One unittest run: "Ran N tests" and the verdict below it. */
function unittestCounts(ran: number, verdict: string): RunnerCounts {
    const details = verdict.match(UNITTEST_VERDICT)?.[2] ?? "";
    const count = (key: string) => Number(details.match(new RegExp(`${key}=(\\d+)`))?.[1] ?? 0);
    // Unexpected successes fail the run; expected failures are neither passed nor failed, as pytest's xfailed.
    const failed = count("failures") + count("errors") + count("unexpected successes");
    return { passed: ran - failed - count("skipped") - count("expected failures"), failed };
}

/** Without colours: a runner forced to colour its output (pytest --color=yes) writes escape codes in the log. */
function plainText(log: string): string {
    // eslint-disable-next-line no-control-regex -- the escape codes are control bytes: matching them is the point.
    return log.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Every runner's closing lines in the log, in order. */
function runnersIn(log: string): RunnerCounts[] {
    const runners: RunnerCounts[] = [];
    let ran: { tests: number; line: string } | null = null;
    const unfinished = (r: { line: string }) => ({
        unreadable: `a unittest run said "${r.line}" but no verdict after it`,
    });
    for (const raw of plainText(log).split(/\r?\n/)) {
        const line = raw.trimEnd();
        const ranMatch = line.match(UNITTEST_RAN);
        if (ranMatch) {
            if (ran) runners.push(unfinished(ran));
            ran = { tests: Number(ranMatch[1]), line: line.replace(/ in .*$/, "") };
            continue;
        }
        if (UNITTEST_VERDICT.test(line)) {
            if (ran) runners.push(unittestCounts(ran.tests, line));
            // A verdict with no "Ran" line cannot be counted; only a failing one changes what the counts say.
            else if (line.startsWith("FAILED")) runners.push({ unreadable: `"${line}" follows no "Ran N tests" line` });
            ran = null;
            continue;
        }
        const counts = jestLine(line) ?? pytestOrPlainLine(line);
        if (counts) runners.push(counts);
    }
    if (ran) runners.push(unfinished(ran));
    return runners;
}

/**
 * Sums every runner's closing lines in a test command's output: pytest ("3 passed, 1 failed in 0.1s"), unittest
 * ("Ran 4 tests" + "FAILED (failures=1, errors=1)"), jest ("Tests: 1 failed, 3 passed, 4 total") and the plain
 * "N passed, N failed" line. A command may run several. Where one cannot be read, the counts are unknown, and why.
 */
export function parseTestCounts(log: string): TestCounts {
    const runners = runnersIn(log);
    if (runners.length === 0)
        return {
            passed: null,
            failed: null,
            unknown: 'no test runner\'s closing lines (pytest, unittest, jest or "N passed, N failed") in the output',
        };
    const unreadable = runners.find((r): r is { unreadable: string } => "unreadable" in r);
    if (unreadable) return { passed: null, failed: null, unknown: unreadable.unreadable };
    const counted = runners as Array<{ passed: number; failed: number }>;
    return {
        passed: counted.reduce((sum, r) => sum + r.passed, 0),
        failed: counted.reduce((sum, r) => sum + r.failed, 0),
    };
}

/**
 * The counts as the summary gives them: a suite that failed while its runners name no failed test has counts that
 * miss what failed (a runner killed before its summary, a command that is no runner), so they are unknown.
 */
export function suiteTestCounts(log: string, exitCode: number, timedOut = false): TestCounts {
    const counts = parseTestCounts(log);
    if (exitCode === 0 || counts.failed !== 0) return counts;
    const unknown = timedOut
        ? `the suite was killed at its time limit before its runners ended (${counts.passed} passed before)`
        : `the suite failed (exit code ${exitCode}) but its runners' closing lines name no failed test ` +
          `(${counts.passed} passed): a runner stopped before its summary, or a command that is no runner failed`;
    return { passed: null, failed: null, unknown };
}
