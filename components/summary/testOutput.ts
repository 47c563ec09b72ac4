/** Test counts read from a runner's closing lines; null where the output names none. */
export interface TestCounts {
    passed: number | null;
    failed: number | null;
}

function num(match: RegExpMatchArray | null, group: number): number {
    return match ? Number(match[group]) : 0;
}

/**
 * Understands pytest ("3 passed, 1 failed in 0.1s"), unittest ("Ran 4 tests" + "FAILED (failures=1, errors=1)"),
 * jest ("Tests: 1 failed, 3 passed, 4 total") and the plain "N passed, N failed" line. The last summary wins.
 */
export function parseTestCounts(log: string): TestCounts {
    const lines = log.split(/\r?\n/).reverse();
    for (const line of lines) {
        const jest = line.match(/^Tests:\s+(.*\d+ total)/);
        if (jest) {
            return { passed: num(jest[1].match(/(\d+) passed/), 1), failed: num(jest[1].match(/(\d+) failed/), 1) };
        }
        if (
            /(\d+) passed|(\d+) failed/.test(line) &&
            /^[=\s]*(\w+:\s*)?\d+ (passed|failed)/.test(line.replace(/^=+\s*/, ""))
        ) {
            return {
                passed: num(line.match(/(\d+) passed/), 1),
                failed: num(line.match(/(\d+) failed/), 1) + num(line.match(/(\d+) errors?/), 1),
            };
        }
    }
    const ran = log.match(/^Ran (\d+) tests? in /m);
    if (ran) {
        const total = Number(ran[1]);
        const verdict = log.match(/^(OK|FAILED)\b(.*)$/m);
        const failures =
            num(verdict?.[2]?.match(/failures=(\d+)/) ?? null, 1) + num(verdict?.[2]?.match(/errors=(\d+)/) ?? null, 1);
        const skipped = num(verdict?.[2]?.match(/skipped=(\d+)/) ?? null, 1);
        return { passed: total - failures - skipped, failed: failures };
    }
    return { passed: null, failed: null };
}
