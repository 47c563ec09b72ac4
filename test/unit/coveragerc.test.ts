import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { generateCoveragerc } from "../../components/config/coveragerc";
import { tempDir } from "./fixtures";

/** Reads the generated file with coverage.py's own config reader (the spy's mounted coverage.py). */
function readWithCoverage(rc: string): Record<string, unknown> {
    const lib = process.env.COVERAGE_SPY_LIB;
    if (!lib) throw new Error("set COVERAGE_SPY_LIB (scripts/spy-lib.sh prints it)");
    const file = path.join(tempDir(), "coveragerc");
    fs.writeFileSync(file, rc);
    const script = [
        "import coverage, json, sys",
        "c = coverage.Coverage(config_file=sys.argv[1])",
        "keys = ['run:parallel','run:sigterm','run:branch','run:source','run:patch','run:omit','run:concurrency','run:core','report:exclude_also','paths']",
        "print(json.dumps({k: c.get_option(k) for k in keys}))",
    ].join("\n");
    const result = spawnSync("python3", ["-c", script, file], { env: { ...process.env, PYTHONPATH: lib }, encoding: "utf8" });
    if (result.status !== 0) throw new Error(result.stderr);
    return JSON.parse(result.stdout);
}

describe("generateCoveragerc", () => {
    it("defaults: parallel, save on SIGTERM, exit paths patched (not fork), every service's source", () => {
        const options = readWithCoverage(generateCoveragerc({ options: {}, sourcePaths: ["/app", "/srv/worker"] }));
        expect(options).toEqual(expect.objectContaining({
            "run:parallel": true,
            "run:sigterm": true,
            "run:branch": false,
            "run:source": ["/app", "/srv/worker"],
            "run:patch": ["_exit", "execv", "subprocess"],
            "run:core": null,
        }));
    });

    it("writes typed options in configparser syntax coverage.py reads back exactly", () => {
        const rc = generateCoveragerc({
            options: {
                branch: true, core: "sysmon", source: ["mypkg"], omit: ["*/tests/*"], concurrency: ["thread", "multiprocessing"],
                excludeLines: ["# pragma: no cover", "if TYPE_CHECKING:", ";weird"], patch: ["subprocess"],
                paths: { source: ["/home/me/src", "/app"] },
            },
            sourcePaths: ["/app"],
        });
        expect(rc).not.toMatch(/= .*#/); // no inline comments after values
        expect(readWithCoverage(rc)).toEqual(expect.objectContaining({
            "run:branch": true,
            "run:core": "sysmon",
            "run:source": ["/app", "mypkg"],
            "run:omit": ["*/tests/*"],
            "run:concurrency": ["thread", "multiprocessing"],
            "run:patch": ["subprocess"],
            "report:exclude_also": ["[#] pragma: no cover", "if TYPE_CHECKING:", "[;]weird"],
            paths: { source: ["/home/me/src", "/app"] },
        }));
    });
});
