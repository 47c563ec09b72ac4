// The Node helpers the shell scripts run (scripts/helpers/*.js): what package.json pins, and questions about the
// JSON that go, jest and pulumi print. The Python helpers have their own tests (scripts/helpers/tests).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
// Plain JavaScript, typed by the .d.ts beside each.
import * as jsonQuery from "../../scripts/helpers/json-query";
import * as packageJson from "../../scripts/helpers/package-json";
import { tempDir } from "./fixtures";

const HELPERS = path.join(__dirname, "..", "..", "scripts", "helpers");
/** What the tests read of the repo's package.json. */
const REPO_PACKAGE = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    config: { coveragePyLegacy: string };
};

function helper(script: string, args: string[], input = ""): { status: number | null; stdout: string; stderr: string } {
    const done = spawnSync(process.execPath, [path.join(HELPERS, script), ...args], { input, encoding: "utf8" });
    return { status: done.status, stdout: done.stdout, stderr: done.stderr };
}

const PKG = {
    dependencies: { "@pulumi/pulumi": "3.259.0", yaml: "^2.8.1" },
    devDependencies: { jest: "29.7.0" },
    config: {
        coveragePy: "7.17.4",
        upstreamArchives: { _comment: "not an archive", "a-v1.tar.gz": "aaa", "b-v2.tar.gz": "bbb" },
    },
};

describe("scripts/helpers/package-json.js", () => {
    it("answers the exact pin of a dependency or devDependency", () => {
        expect(packageJson.pinnedVersion(PKG, "@pulumi/pulumi")).toBe("3.259.0");
        expect(packageJson.pinnedVersion(PKG, "jest")).toBe("29.7.0");
    });

    it("refuses a range or a missing dependency", () => {
        expect(() => packageJson.pinnedVersion(PKG, "yaml")).toThrow("no exact pin for yaml");
        expect(() => packageJson.pinnedVersion(PKG, "left-pad")).toThrow("no exact pin for left-pad");
        expect(() => packageJson.pinnedVersion({}, "jest")).toThrow("no exact pin for jest");
    });

    it("answers a config key, or says it is missing", () => {
        expect(packageJson.configValue(PKG, "coveragePy")).toBe("7.17.4");
        expect(() => packageJson.configValue(PKG, "coveragePyLegacy")).toThrow(
            "package.json has no config.coveragePyLegacy",
        );
        expect(() => packageJson.configValue({}, "coveragePy")).toThrow("package.json has no config.coveragePy");
    });

    it("lists the pinned upstream archives, not the comment", () => {
        expect(packageJson.upstreamArchives(PKG)).toEqual([
            ["a-v1.tar.gz", "aaa"],
            ["b-v2.tar.gz", "bbb"],
        ]);
        expect(packageJson.upstreamArchives({})).toEqual([]);
    });

    it("runs its commands on the file given", () => {
        const file = path.join(tempDir(), "package.json");
        fs.writeFileSync(file, JSON.stringify(PKG));
        expect(packageJson.run(["--file", file, "pin", "jest"])).toEqual(["29.7.0"]);
        expect(packageJson.run(["--file", file, "config", "coveragePy"])).toEqual(["7.17.4"]);
        expect(packageJson.run(["--file", file, "archives"])).toEqual(["a-v1.tar.gz aaa", "b-v2.tar.gz bbb"]);
        expect(() => packageJson.run(["--file", file, "pin"])).toThrow("usage: package-json.js");
        expect(() => packageJson.run(["--file", file, "version"])).toThrow("usage: package-json.js");
    });

    it("reads the repo's package.json by default, as scripts/lib.sh calls it", () => {
        expect(helper("package-json.js", ["pin", "@pulumi/pulumi"])).toEqual({
            status: 0,
            stdout: `${REPO_PACKAGE.dependencies["@pulumi/pulumi"]}\n`,
            stderr: "",
        });
        expect(helper("package-json.js", ["config", "coveragePyLegacy"]).stdout).toBe(
            `${REPO_PACKAGE.config.coveragePyLegacy}\n`,
        );
        const archives = helper("package-json.js", ["archives"]).stdout.trim().split("\n");
        expect(archives.length).toBeGreaterThan(0);
        for (const line of archives) expect(line).toMatch(/^\S+\.tar\.gz [0-9a-f]{64}$/);
    });

    it("fails with the reason on stderr", () => {
        expect(helper("package-json.js", ["pin", "left-pad"])).toEqual({
            status: 1,
            stdout: "",
            stderr: "no exact pin for left-pad\n",
        });
    });
});

describe("scripts/helpers/json-query.js", () => {
    it("prints a top-level field: strings bare, other values as JSON", () => {
        expect(jsonQuery.field('{"Path": "m", "Dir": "/go/mod/m@v1"}', "Dir")).toBe("/go/mod/m@v1");
        expect(jsonQuery.field('{"numPassedTests": 42}', "numPassedTests")).toBe("42");
        expect(jsonQuery.field('{"a": [1, 2]}', "a")).toBe("[1,2]");
    });

    it("fails on a missing field or a document that is no object", () => {
        expect(() => jsonQuery.field('{"Dir": null}', "Dir")).toThrow("the JSON has no field Dir");
        expect(() => jsonQuery.field("{}", "Dir")).toThrow("the JSON has no field Dir");
        expect(() => jsonQuery.field("3", "Dir")).toThrow("the JSON has no field Dir");
        expect(() => jsonQuery.field("not json", "Dir")).toThrow();
    });

    const PLUGINS = JSON.stringify([
        { name: "docker", kind: "resource", version: "4.11.1" },
        { name: "nodejs", kind: "language", version: "3.259.0" },
    ]);

    it("finds a plugin by kind, name and exact version", () => {
        expect(jsonQuery.hasPlugin(PLUGINS, "resource", "docker", "4.11.1")).toBe(true);
        expect(jsonQuery.hasPlugin(PLUGINS, "resource", "docker", "4.11.0")).toBe(false);
        expect(jsonQuery.hasPlugin(PLUGINS, "language", "docker", "4.11.1")).toBe(false);
        expect(jsonQuery.hasPlugin(PLUGINS, "resource", "command", "1.2.1")).toBe(false);
    });

    it("takes empty output for no plugins", () => {
        expect(jsonQuery.hasPlugin("", "resource", "docker", "4.11.1")).toBe(false);
        expect(jsonQuery.hasPlugin("\n", "resource", "docker", "4.11.1")).toBe(false);
        expect(jsonQuery.hasPlugin("null", "resource", "docker", "4.11.1")).toBe(false);
    });

    it("reads the field's document from a file or stdin", () => {
        const file = path.join(tempDir(), "unit.json");
        fs.writeFileSync(file, JSON.stringify({ numPassedTests: 7, numFailedTests: 0 }));
        expect(helper("json-query.js", ["field", "numPassedTests", file])).toEqual({
            status: 0,
            stdout: "7\n",
            stderr: "",
        });
        expect(helper("json-query.js", ["field", "Dir"], '{"Dir": "/m"}')).toEqual({
            status: 0,
            stdout: "/m\n",
            stderr: "",
        });
        expect(helper("json-query.js", ["field", "Dir"], "{}")).toEqual({
            status: 1,
            stdout: "",
            stderr: "the JSON has no field Dir\n",
        });
    });

    it("answers has-plugin with its exit status", () => {
        expect(helper("json-query.js", ["has-plugin", "resource", "docker", "4.11.1"], PLUGINS).status).toBe(0);
        expect(helper("json-query.js", ["has-plugin", "resource", "docker", "9.9.9"], PLUGINS)).toEqual({
            status: 1,
            stdout: "",
            stderr: "",
        });
        expect(helper("json-query.js", ["has-plugin", "resource", "docker", "4.11.1"], "").status).toBe(1);
    });

    // The shape of jest's --json result: a file whose tests ran (one failed), and a file that could not run.
    const JEST_RESULT = JSON.stringify({
        numFailedTests: 1,
        testResults: [
            {
                name: "/repo/test/integration/a.test.ts",
                status: "failed",
                message: "",
                assertionResults: [
                    { fullName: "a works", status: "passed", failureMessages: [] },
                    {
                        fullName: "a runs its stack",
                        status: "failed",
                        failureMessages: [
                            "Error: pulumi up of itest-a-1 failed (exit 1):\n  lcov  /tmp/x\n\n    [coverage-spy] error (coverage): the test suite failed (exit code 1).\n\n  > 205 |  throw new Error(up.output)\n    at stackRun (test/integration/stackRun.ts:205:15)",
                        ],
                    },
                    {
                        fullName: "a says why",
                        status: "failed",
                        failureMessages: [
                            "\u001b[2mexpect(\u001b[22mreceived).toBe(expected)\n\nExpected: 1\nReceived: 0",
                        ],
                    },
                ],
            },
            { name: "/repo/test/integration/b.test.ts", status: "passed", message: "", assertionResults: [] },
            {
                name: "/elsewhere/c.test.ts",
                status: "failed",
                message: "\n  \u001b[1m● \u001b[22mTest suite failed to run\n\n    Cannot find module",
                assertionResults: [],
            },
        ],
    });

    it("lists the failed tests of a jest result, a line each, without the terminal's colours", () => {
        expect(jsonQuery.failedTests(JEST_RESULT, "/repo")).toEqual([
            "test/integration/a.test.ts › a runs its stack: Error: pulumi up of itest-a-1 failed (exit 1): … " +
                "[coverage-spy] error (coverage): the test suite failed (exit code 1).",
            "test/integration/a.test.ts › a says why: expect(received).toBe(expected)",
            "/elsewhere/c.test.ts: ● Test suite failed to run",
        ]);
        expect(jsonQuery.failedTests(JSON.stringify({ testResults: [] }), "/repo")).toEqual([]);
    });

    it("refuses an unknown command", () => {
        expect(() => jsonQuery.run(["keys"], () => "{}")).toThrow("usage: json-query.js");
        expect(() => jsonQuery.run(["failed-tests", "a", "b"], () => "{}")).toThrow("usage: json-query.js");
        expect(() => jsonQuery.run(["has-plugin", "resource"], () => "[]")).toThrow("usage: json-query.js");
        expect(helper("json-query.js", ["field"]).status).toBe(1);
    });
});
