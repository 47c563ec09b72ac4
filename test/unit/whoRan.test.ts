import * as fs from "fs";
import * as path from "path";
import {
    ContextIndex,
    formatWhoRan,
    latestIndex,
    matchIndexFile,
    parseWhoQuery,
    stacksWithContexts,
} from "../../cli/contexts/whoRan";
import { runnerEnvironment } from "../../components/contexts/runnerEnvironment";
import { tempDir } from "./fixtures";

const INDEX: ContextIndex = {
    outside: "(no test)",
    files: {
        "demo/demo_app/pricing.py": {
            "1": ["(no test)"],
            "5": ["test_demo.DemoTest.test_price", "test_demo.DemoTest.test_bulk_discount"],
            "9": ["test_demo.DemoTest.test_bulk_discount"],
        },
        "demo/demo_app/handlers.py": { "3": ["(no test)", "test_demo.DemoTest.test_health"] },
        "api/demo_app/pricing.py": { "2": ["t"] },
    },
};

describe("coverage:who", () => {
    it("parses FILE:LINE and FILE", () => {
        expect(parseWhoQuery("demo_app/pricing.py:12")).toEqual({ file: "demo_app/pricing.py", line: 12 });
        expect(parseWhoQuery("./x.py")).toEqual({ file: "x.py" });
        expect(() => parseWhoQuery(":3")).toThrow(/expected FILE:LINE/);
    });

    it("finds a file by its report name, its path in the service or its path in the checkout", () => {
        expect(matchIndexFile(INDEX, "demo/demo_app/handlers.py")).toBe("demo/demo_app/handlers.py");
        expect(matchIndexFile(INDEX, "demo_app/handlers.py")).toBe("demo/demo_app/handlers.py");
        expect(matchIndexFile(INDEX, "examples/demo/app/demo_app/handlers.py")).toBe("demo/demo_app/handlers.py");
        expect(() => matchIndexFile(INDEX, "demo_app/pricing.py")).toThrow(/matches several.*name one of them/);
        expect(() => matchIndexFile(INDEX, "other/handlers.py")).toThrow(/files with that name: demo\/demo_app/);
    });

    it("lists the tests that ran a line, the outside context last, and says when a line did not run", () => {
        expect(formatWhoRan(INDEX, { file: "demo/demo_app/pricing.py", line: 5 }, "r1")).toBe(
            [
                "demo/demo_app/pricing.py:5 ran in 2 test(s) of run r1:",
                "  test_demo.DemoTest.test_bulk_discount",
                "  test_demo.DemoTest.test_price",
            ].join("\n"),
        );
        expect(formatWhoRan(INDEX, { file: "demo_app/handlers.py", line: 3 }, "r1")).toBe(
            "demo/demo_app/handlers.py:3 ran in 1 test(s) of run r1:\n  test_demo.DemoTest.test_health\n  (no test)",
        );
        expect(formatWhoRan(INDEX, { file: "demo/demo_app/pricing.py", line: 7 }, "r1")).toBe(
            "demo/demo_app/pricing.py:7 did not run in run r1",
        );
    });

    it("for a whole file, counts each test's lines", () => {
        expect(formatWhoRan(INDEX, { file: "demo/demo_app/pricing.py" }, "r1")).toBe(
            [
                "demo/demo_app/pricing.py ran in 2 test(s) of run r1:",
                "  test_demo.DemoTest.test_bulk_discount  (2 lines)",
                "  test_demo.DemoTest.test_price  (1 lines)",
                "  (no test)  (1 lines)",
            ].join("\n"),
        );
    });

    it("reads the newest run that wrote an index, where its harvest.json says, and says how to get one when none did", () => {
        const dir = tempDir();
        expect(() => latestIndex(dir)).toThrow(/set perTestContexts: true/);
        const harvest = (perTest: boolean) => ({
            reports: { html: "total/html/index.html", json: "total/coverage.json" },
            services: {},
            lostProcesses: [],
            warnings: [],
            ...(perTest ? { perTest: { index: "total/contexts.json" } } : {}),
        });
        // Newest first: one whose harvest failed (no harvest.json), one without per-test contexts, one with them.
        const runs = {
            "20261103T000000Z-cccccc": undefined,
            "20261102T000000Z-bbbbbb": false,
            "20261101T000000Z-aaaaaa": true,
        };
        for (const [run, perTest] of Object.entries(runs)) {
            fs.mkdirSync(path.join(dir, "runs", run, "total"), { recursive: true });
            if (perTest !== undefined)
                fs.writeFileSync(path.join(dir, "runs", run, "harvest.json"), JSON.stringify(harvest(perTest)));
        }
        expect(latestIndex(dir)).toEqual([
            "20261101T000000Z-aaaaaa",
            path.join(dir, "runs", "20261101T000000Z-aaaaaa", "total", "contexts.json"),
        ]);
    });
});

describe("runnerEnvironment", () => {
    it("puts the runner folder after the suite's own PYTHONPATH", () => {
        expect(runnerEnvironment("/opt/assets", "/src:/lib")).toEqual({
            COVERAGE_SPY_RUNNER_DIR: "/opt/assets/runner",
            PYTHONPATH: "/src:/lib:/opt/assets/runner",
        });
        expect(runnerEnvironment("/opt/assets", undefined).PYTHONPATH).toBe("/opt/assets/runner");
    });

    it("names the stacks whose runs recorded an index (for a query that asked the branch's stack)", () => {
        const reports = tempDir();
        const run = (stack: string, perTest: boolean) => {
            const dir = path.join(reports, stack, "runs", "20261101T000000Z-aaaaaa");
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(
                path.join(dir, "harvest.json"),
                JSON.stringify({
                    reports: { json: "total/coverage.json" },
                    services: {},
                    lostProcesses: [],
                    warnings: [],
                    ...(perTest ? { perTest: { index: "total/contexts.json" } } : {}),
                }),
            );
        };
        run("feature-x", false);
        run("example-contexts", true);
        fs.mkdirSync(path.join(reports, "empty"));
        expect(stacksWithContexts(reports)).toEqual(["example-contexts"]);
        expect(stacksWithContexts(path.join(reports, "none"))).toEqual([]);
    });
});
