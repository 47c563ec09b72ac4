// The answer of `who --changed` for a person (text), for a test runner (pytest, unittest) and for a pipeline (json).
import { ranges } from "../../components/summary/formatSummary";
import { ChangedTests, FileLines } from "./changedTests";

export const CHANGED_FORMATS = ["text", "pytest", "unittest", "json"] as const;
export type ChangedFormat = (typeof CHANGED_FORMATS)[number];

/** A pytest node id, as pytest's runtest hooks name a test: "tests/test_x.py::test_a[1]". */
const isPytestId = (name: string) => /^[^\s:][^:]*\.py::\S/.test(name);
/** A unittest id, as TestCase.id() names it and `python -m unittest` takes it: "test_demo.DemoTest.test_price". */
const isUnittestId = (name: string) => /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(name);

function fileList<T extends FileLines>(files: T[], indent: string, suffix?: (f: T) => string): string[] {
    return files.map((f) => `${indent}${f.gitPath}: ${ranges(f.lines)}${suffix?.(f) ?? ""}`);
}

function asText(answer: ChangedTests): string {
    const base = answer.base ? ` since ${answer.base.ref} (${answer.base.commit.slice(0, 12)})` : "";
    const out = [`changed lines${base}, by the tests of run ${answer.run} that executed them:`];
    if (answer.tests.length === 0) out.push("  no test executed a changed line");
    for (const t of answer.tests) out.push(`  ${t.test}`, ...fileList(t.files, "    "));
    if (answer.outsideTests.length > 0)
        out.push("executed only outside tests (start-up, between tests):", ...fileList(answer.outsideTests, "  "));
    if (answer.untested.length > 0) out.push("executed by no test:", ...fileList(answer.untested, "  "));
    if (answer.unknown.length > 0)
        out.push("unknown to the run's index:", ...fileList(answer.unknown, "  ", (f) => `  (${f.why})`));
    for (const note of answer.notes) out.push(`note: ${note}`);
    return out.join("\n");
}

/** The tests' names as a runner takes them, one a line; refused when a name is not of that runner. */
function asTestIds(answer: ChangedTests, runner: "pytest" | "unittest"): string {
    const fits = runner === "pytest" ? isPytestId : isUnittestId;
    const other = answer.tests.find((t) => !fits(t.test));
    if (other !== undefined) {
        const instead = isUnittestId(other.test) ? "unittest" : isPytestId(other.test) ? "pytest" : "text or json";
        throw new Error(
            `coverage-spy: run ${answer.run} named its tests otherwise than ${runner} does ("${other.test}"): ` +
                `use --format ${instead}`,
        );
    }
    return answer.tests.map((t) => t.test).join("\n");
}

/** The answer in `format`; empty for a runner's format when no test executed a changed line. */
export function formatChangedTests(answer: ChangedTests, format: ChangedFormat): string {
    switch (format) {
        case "text":
            return asText(answer);
        case "json":
            return JSON.stringify(answer, null, 2);
        default:
            return asTestIds(answer, format);
    }
}
