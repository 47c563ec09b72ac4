// The harvest on a cluster is one `kubectl exec` into the collector's container: the run's results in as a tar, the
// harvester run there, the reports out as a tar into the host's run folder. Run here by a real sh, with a kubectl
// stand-in that runs the collector's part on this machine, as exec runs it in the container.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tempDir } from "../fixtures";
import { KUBECTL_WITH_CONTEXT } from "../../../components/stack/kubernetes/clusterCommand";
import { CLUSTER_HARVEST_SCRIPT, argumentLines } from "../../../components/stack/kubernetes/kubernetesHarvest";

/** A kubectl that records its arguments (NUL-separated) and runs what follows "--" here, stdin and stdout passed on. */
function kubectlStandIn(dir: string): string {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(
        path.join(bin, "kubectl"),
        '#!/bin/sh\nprintf "%s\\0" "$@" > "$KUBECTL_LOG"\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n',
        { mode: 0o755 },
    );
    return bin;
}

/** A run's results as the test run packs them: tests.json and one service's source. */
function resultsTar(dir: string): string {
    const results = path.join(dir, "results");
    fs.mkdirSync(path.join(results, "sources", "shop", "pkg"), { recursive: true });
    fs.writeFileSync(path.join(results, "tests.json"), '{"passed": 3}');
    fs.writeFileSync(path.join(results, "sources", "shop", "pkg", "a b.py"), "x = 1\n");
    const tar = path.join(dir, "run inputs.tar");
    childProcess.execFileSync("tar", ["-C", results, "-cf", tar, "tests.json", "sources"]);
    return tar;
}

interface Harvested {
    status: number | null;
    stderr: string;
    /** The kubectl stand-in's arguments. */
    kubectlArgs: string[];
    /** The host's run folder. */
    home: string;
    /** The run's report folder on the "claim". */
    claimDir: string;
}

/**
 * Runs the harvest script as the component's command runs it; the harvester's argument lines are made knowing the
 * claim's run folder, which the real harvester is given as --out.
 */
function harvest(harvester: (claimDir: string) => string[]): Harvested {
    const dir = tempDir();
    const log = path.join(dir, "kubectl.log");
    const claimDir = path.join(dir, "claim's reports", "runs", "r1");
    const home = path.join(dir, "home run");
    const ran = childProcess.spawnSync("/bin/sh", ["-c", `${KUBECTL_WITH_CONTEXT}\n${CLUSTER_HARVEST_SCRIPT}`], {
        encoding: "utf8",
        env: {
            ...process.env,
            PATH: `${kubectlStandIn(dir)}:${process.env.PATH}`,
            KUBECTL_LOG: log,
            COVERAGE_SPY_NAMESPACE: "ns $(x)",
            COVERAGE_SPY_CLAIM_DIR: claimDir,
            COVERAGE_SPY_TAR: resultsTar(dir),
            COVERAGE_SPY_TO: home,
            COVERAGE_SPY_HARVEST_COMMAND: argumentLines(harvester(claimDir)),
        },
    });
    const kubectlArgs = fs.readFileSync(log, "utf8").split("\0").slice(0, -1);
    return { status: ran.status, stderr: ran.stderr, kubectlArgs, home, claimDir };
}

/** A stand-in harvester: writes a report into the folder it is given (as --out) and says so on stdout. */
function writesAReport(claimDir: string): string[] {
    return [
        "sh",
        "-c",
        'mkdir -p "$0/total" && cat "$0/tests.json" > "$0/total/coverage.json" && echo harvested',
        claimDir,
    ];
}

describe("the harvest in the collector", () => {
    it("unpacks the results into the claim, harvests there and brings the report folder home, in one exec", () => {
        const run = harvest(writesAReport);
        // The harvester's stdout goes to stderr: stdout carries the reports' tar alone.
        expect([run.status, run.stderr]).toEqual([0, "harvested\n"]);
        expect(fs.readFileSync(path.join(run.claimDir, "sources", "shop", "pkg", "a b.py"), "utf8")).toBe("x = 1\n");
        expect(fs.readdirSync(run.home).sort()).toEqual(["sources", "tests.json", "total"]);
        expect(fs.readFileSync(path.join(run.home, "total", "coverage.json"), "utf8")).toBe('{"passed": 3}');
        expect(fs.readFileSync(path.join(run.home, "sources", "shop", "pkg", "a b.py"), "utf8")).toBe("x = 1\n");
        expect(run.kubectlArgs.slice(0, 9)).toEqual([
            "--namespace",
            "ns $(x)",
            "exec",
            "-i",
            "deployment/coverage-spy-collector",
            "-c",
            "collector",
            "--",
            "sh",
        ]);
    });

    it("gives the harvester each argument line as one argument, whatever it holds", () => {
        const odd = ["--out", "/a b/c", "it's", '"$(touch pwned)"', "*", "-", "", "--service", "shop=/app"];
        const run = harvest(() => ["true", ...odd]);
        expect(run.status).toBe(0);
        const afterDashes = run.kubectlArgs.slice(run.kubectlArgs.indexOf("--") + 1);
        expect(afterDashes).toEqual(["sh", "-c", expect.any(String), "sh", run.claimDir, "true", ...odd]);
        expect(fs.existsSync(path.join(process.cwd(), "pwned"))).toBe(false);
    });

    it("fails with the harvester's code and words, then where to look, and leaves no tar behind", () => {
        const run = harvest(() => ["sh", "-c", "echo 'coverage-spy harvest failed: no data' >&2; exit 3"]);
        expect(run.status).toBe(3);
        expect(run.stderr).toBe(
            "coverage-spy harvest failed: no data\n" +
                "coverage-spy: the harvest in the collector of namespace ns $(x) failed (exit code 3): its own words " +
                "are above; more in: kubectl --namespace ns $(x) logs deployment/coverage-spy-collector " +
                "-c collector\n",
        );
        expect(fs.readdirSync(run.home)).toEqual([]);
    });
});

describe("the harvester's argument lines", () => {
    it("refuse an argument holding a line break, which would become two", () => {
        expect(() => argumentLines(["--stack", "a\nb"])).toThrow(/line break.*"a\\nb"/);
        expect(argumentLines(["a b", "c"])).toBe("a b\nc");
    });
});
