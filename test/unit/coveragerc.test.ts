import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { generateCoveragerc } from "../../components/config/coveragerc";
import { resolveCoverageOptions } from "../../components/options/resolveArgs";
import { tempDir } from "./fixtures";

/** Reads the generated file with coverage.py's own config reader (the spy's mounted coverage.py) and the spy's. */
function readWithCoverage(rc: string): Record<string, unknown> {
    const lib = process.env.COVERAGE_SPY_LIB;
    if (!lib) throw new Error("set COVERAGE_SPY_LIB (scripts/spy-lib.sh prints it)");
    const file = path.join(tempDir(), "coveragerc");
    fs.writeFileSync(file, rc);
    const script = [
        "import coverage, json, sys",
        "c = coverage.Coverage(config_file=sys.argv[1])",
        "keys = ['run:parallel','run:sigterm','run:branch','run:source','run:patch','run:omit','run:concurrency','run:core','report:exclude_also','paths','run:disable_warnings','html:show_contexts','json:show_contexts']",
        "out = {k: c.get_option(k) for k in keys}",
        "import _coverage_spy",
        "spy = _coverage_spy.Settings(sys.argv[1])",
        "out['spy'] = {'core': spy.core, 'save_interval': spy.save_interval, 'snapshot': spy.snapshot_signal, 'reset': spy.reset_signal, 'contexts': spy.contexts}",
        "print(json.dumps(out))",
    ].join("\n");
    const site = path.join(__dirname, "..", "..", "coverage-spy", "site");
    const result = spawnSync("python3", ["-W", "error", "-c", script, file], {
        env: { ...process.env, PYTHONPATH: `${lib}:${site}` },
        encoding: "utf8",
    });
    // -W error: a warning from coverage.py about the file (an unknown option, say) fails the test.
    if (result.status !== 0 || result.stderr !== "") throw new Error(result.stderr);
    return JSON.parse(result.stdout) as Record<string, unknown>;
}

function rtmin(): number {
    return Number(
        spawnSync("python3", ["-c", "import signal; print(int(signal.SIGRTMIN))"], { encoding: "utf8" }).stdout,
    );
}

describe("generateCoveragerc", () => {
    it("defaults: parallel, save on SIGTERM, exit paths patched (not fork), every service's source", () => {
        const options = readWithCoverage(
            generateCoveragerc({
                options: resolveCoverageOptions({}),
                sourcePaths: ["/app", "/srv/worker"],
                perTestContexts: false,
            }),
        );
        expect(options).toEqual(
            expect.objectContaining({
                "run:parallel": true,
                "run:sigterm": true,
                "run:branch": false,
                "run:source": ["/app", "/srv/worker"],
                "run:patch": ["_exit", "execv", "subprocess"],
                "run:core": null,
                // The spy's own section: sysmon where it fits, saves every 5 s, SIGRTMIN+4 / +5 (this host's numbers).
                spy: { core: "auto", save_interval: 5, snapshot: rtmin() + 4, reset: rtmin() + 5, contexts: false },
                "run:disable_warnings": [],
                "html:show_contexts": false,
            }),
        );
    });

    it("writes typed options in configparser syntax coverage.py reads back exactly", () => {
        const rc = generateCoveragerc({
            options: resolveCoverageOptions({
                branch: true,
                core: "sysmon",
                saveIntervalSeconds: 0.5,
                snapshotSignal: "SIGUSR2",
                resetSignal: "off",
                source: ["mypkg"],
                omit: ["*/tests/*"],
                concurrency: ["thread", "multiprocessing"],
                excludeLines: ["# pragma: no cover", "if TYPE_CHECKING:", ";weird"],
                patch: ["subprocess"],
                paths: { source: ["/home/me/src", "/app"] },
            }),
            sourcePaths: ["/app"],
            perTestContexts: false,
        });
        expect(rc).not.toMatch(/= .*#/); // no inline comments after values
        expect(readWithCoverage(rc)).toEqual(
            expect.objectContaining({
                "run:branch": true,
                // The core is the spy's to choose per process, never coverage.py's [run] core.
                "run:core": null,
                spy: { core: "sysmon", save_interval: 0.5, snapshot: 12, reset: null, contexts: false },
                "run:source": ["/app", "mypkg"],
                "run:omit": ["*/tests/*"],
                "run:concurrency": ["thread", "multiprocessing"],
                "run:patch": ["subprocess"],
                "report:exclude_also": ["[#] pragma: no cover", "if TYPE_CHECKING:", "[;]weird"],
                paths: { source: ["/home/me/src", "/app"] },
            }),
        );
    });

    it("per-test contexts: the spy switches, the reports show them, sysmon's warning is off", () => {
        const rc = generateCoveragerc({
            options: resolveCoverageOptions({}),
            sourcePaths: ["/app"],
            perTestContexts: true,
        });
        expect(readWithCoverage(rc)).toEqual(
            expect.objectContaining({
                spy: expect.objectContaining({ contexts: true }) as unknown,
                "run:disable_warnings": ["no-sysmon-context"],
                "html:show_contexts": true,
                "json:show_contexts": true,
            }),
        );
    });
});
