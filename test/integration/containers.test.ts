import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { stackObjectName } from "../../components/shared/naming";
import { DEMO_SOURCE, DEMO_TEST_COMMAND, DEMO_WORKERS, expectLines } from "./demoExpectations";
import { StackRun, measureDemo } from "./stackRun";
import { docker, labelledObjects, imageHasCoverage } from "./engine";

jest.setTimeout(5 * 60 * 1000);

describe.each([
    ["trixie (Python 3.13)", "coverage-spy/demo-app:latest", "SysMonitor", "7.17.4"],
    ["bookworm (Python 3.11)", "coverage-spy/demo-app:bookworm", "CTracer", "7.17.4"],
    ["bullseye (Python 3.9)", "coverage-spy/demo-app:bullseye", "CTracer", "7.10.7"],
])("the demo on %s, measured by a real pulumi up", (_label, image, core, coverageVersion) => {
    const stack = `itest-ctr-${process.pid}-${image.split(":")[1]}`;
    let imageId: string;
    let demo: StackRun;
    let summary: CoverageSummary;

    beforeAll(() => {
        imageId = docker("image", "inspect", "--format", "{{.Id}}", image);
        demo = measureDemo(stack, image, DEMO_TEST_COMMAND, "fail");
        summary = demo.summary;
    });

    afterAll(() => demo?.cleanup());

    it("passes the demo's tests and measures every process", () => {
        expect(summary.tests).toEqual(expect.objectContaining({ exitCode: 0, succeeded: true, failed: 0 }));
        expect(summary.tests.passed).toBe(10);
        // The master, each worker and the two /report subprocesses each saved a data file.
        expect(summary.services.demo.dataFiles).toBe(1 + DEMO_WORKERS + 2);
        // Each of them left a start record that pairs with its data file and an end record.
        expect(summary.lostProcesses).toEqual([]);
        expect(summary.interruptedProcesses).toEqual([]);
        expect(summary.services.demo.processes).toEqual({ ended: 1 + DEMO_WORKERS + 2, interrupted: 0, lost: 0 });
        // sysmon where the Python has it (3.12+), the C tracer of the coverage.py build that fits the Python otherwise.
        expect(summary.services.demo.cores).toEqual({ [core]: 1 + DEMO_WORKERS + 2 });
        // The init forwards SIGTERM and every process exits then (ended above, none killed), well before the default
        // grace of 30 s would have ended with SIGKILL: a bound that holds on a busy machine.
        expect(summary.services.demo.stopMs).toBeLessThan(30_000);
    });

    it("reports exactly the lines the demo's tests reach, file by file", () => {
        const files = summary.files
            .filter((f) => f.statements > 0)
            .map((f) => f.path)
            .sort();
        expect(files).toEqual([
            "demo_app/handlers.py",
            "demo_app/inventory.py",
            "demo_app/pricing.py",
            "demo_app/reports.py",
            "demo_app/server.py",
            "demo_app/worker_task.py",
        ]);
        for (const file of summary.files) expectLines(file);
        expect(summary.totals.missing).toBe(summary.files.reduce((n, f) => n + f.missingLines.length, 0));
    });

    it("runs the coverage.py build that fits the image's Python", () => {
        const record = JSON.parse(
            docker(
                "run",
                "--rm",
                "-v",
                `${demo.volumeName}:/data:ro`,
                "--entrypoint",
                "sh",
                "coverage-spy/harvester:latest",
                "-c",
                `cat /data/runs/${demo.runId}/demo/.start.*.json | head -c 100000 | python3 -c 'import json, sys; d = json.JSONDecoder(); print(json.dumps(d.raw_decode(sys.stdin.read())[0]))'`,
            ),
        ) as { coverage: string };
        expect(record.coverage).toBe(coverageVersion);
    });

    it("changes nothing the app says: no warning or traceback in the measured service's log", () => {
        const logs = spawnSync("docker", ["logs", stackObjectName(stack, "demo")], { encoding: "utf8" });
        expect(logs.status).toBe(0);
        // The demo logs its start, its workers and their stop; 3.13 would warn here of forking with threads.
        expect(`${logs.stdout}${logs.stderr}`).toContain("all workers stopped");
        expect(`${logs.stdout}${logs.stderr}`).not.toMatch(/Warning|Traceback|coverage-spy:/);
    });

    it("leaves the production image unchanged and free of coverage.py", () => {
        expect(docker("image", "inspect", "--format", "{{.Id}}", image)).toBe(imageId);
        expect(imageHasCoverage(image)).toBe(false);
    });

    it("labels every object it made with the stack", () => {
        expect(labelledObjects("volume", stack).sort()).toEqual([demo.volumeName, stackObjectName(stack, "spy")]);
        expect(labelledObjects("network", stack)).toEqual([demo.networkName]);
        expect(labelledObjects("container", stack).sort()).toEqual(
            ["harvester", "prepare", "spy-install", demo.service.name].map((n) => stackObjectName(stack, n)).sort(),
        );
    });
});

/**
 * The test command SIGKILLs the worker that serves one /whoami, after the suite passed: at once, or (`afterASave`)
 * once that worker has saved twice more, so that one whole periodic save began after it served the request.
 */
function killOneWorker(stack: string, afterASave: boolean): string {
    const demo = stackObjectName(stack, "demo");
    // The worker's save count, from its saves record next to its data file (0 before its first save).
    const saves =
        `docker exec ${demo} sh -c 'cat "\${COVERAGE_FILE%/*}"/.saves.*.pid'"$pid"'.json 2>/dev/null || echo "{\\"saves\\": 0}"'` +
        ` | python3 -c 'import json, sys; print(json.load(sys.stdin)["saves"])'`;
    return [
        DEMO_TEST_COMMAND,
        `pid=$(python3 -c 'import json, os, urllib.request; print(json.load(urllib.request.urlopen(os.environ["COVERAGE_SPY_DEMO_URL"] + "/whoami", timeout=10))["pid"])')`,
        ...(afterASave ? [`saved=$(${saves})`, `until [ "$(${saves})" -ge $((saved + 2)) ]; do sleep 0.2; done`] : []),
        `echo "$pid" > "$KILLED_PID_FILE"`,
        `docker exec ${stackObjectName(stack, "demo")} sh -c "kill -9 $pid"`,
    ].join(" && ");
}

describe("a worker killed with SIGKILL, periodic saves off", () => {
    const stack = `itest-kill-${process.pid}`;
    let demo: StackRun;

    beforeAll(() => {
        process.env.KILLED_PID_FILE = `/tmp/${stack}.pid`;
        demo = measureDemo(stack, "coverage-spy/demo-app:latest", killOneWorker(stack, false), "warn", {
            saveIntervalSeconds: 0,
        });
    });
    afterAll(() => demo?.cleanup());

    it("is named in lostProcesses, with its command line, and the others are still measured", () => {
        expect(demo.summary.tests.succeeded).toBe(true);
        expect(demo.summary.lostProcesses).toHaveLength(1);
        expect(demo.summary.lostProcesses[0]).toEqual(
            expect.objectContaining({
                service: "demo",
                command: ["python3", "-m", "demo_app.server"],
            }),
        );
        expect(demo.summary.services.demo.dataFiles).toBe(1 + DEMO_WORKERS - 1 + 2);
        expect(demo.summary.services.demo.processes).toEqual({
            ended: 1 + DEMO_WORKERS - 1 + 2,
            interrupted: 0,
            lost: 1,
        });
    });
});

describe("a worker killed with SIGKILL after a periodic save", () => {
    const stack = `itest-killsave-${process.pid}`;
    let demo: StackRun;
    let killed: number;

    beforeAll(() => {
        process.env.KILLED_PID_FILE = `/tmp/${stack}.pid`;
        // Saves every second; the kill comes once a whole save began after the worker served its last request.
        demo = measureDemo(stack, "coverage-spy/demo-app:latest", killOneWorker(stack, true), "warn", {
            saveIntervalSeconds: 1,
        });
        killed = Number(fs.readFileSync(process.env.KILLED_PID_FILE, "utf8"));
    });
    afterAll(() => demo?.cleanup());

    it("keeps its data up to the last save: it is reported as interrupted, not lost", () => {
        expect(demo.summary.lostProcesses).toEqual([]);
        expect(demo.summary.interruptedProcesses).toHaveLength(1);
        expect(demo.summary.interruptedProcesses[0]).toEqual(
            expect.objectContaining({ service: "demo", command: ["python3", "-m", "demo_app.server"] }),
        );
        // One time format in the outputs: ISO 8601 UTC, as `timestamp`.
        expect(demo.summary.interruptedProcesses[0].lastSave).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(demo.summary.interruptedProcesses[0].started).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(demo.summary.services.demo.dataFiles).toBe(1 + DEMO_WORKERS + 2);
        // The lines are the same as with no kill at all.
        for (const file of demo.summary.files) expectLines(file);
    });

    it("has the lines the killed worker ran in its own data file", () => {
        // The /whoami branch of handlers.route, as saved by the killed process itself.
        const lines = JSON.parse(
            docker(
                "run",
                "--rm",
                "-v",
                `${demo.volumeName}:/data:ro`,
                "coverage-spy/harvester:latest",
                "python3",
                "-c",
                "import coverage, glob, json, sys\n" +
                    `files = glob.glob("/data/runs/${demo.runId}/demo/.coverage.*.pid${killed}.*")\n` +
                    "data = coverage.CoverageData(basename=files[0]); data.read()\n" +
                    "print(json.dumps(sorted(data.lines('/app/demo_app/handlers.py') or [])))",
            ),
        ) as number[];
        const source = fs.readFileSync(path.join(DEMO_SOURCE, "demo_app", "handlers.py"), "utf8").split("\n");
        const whoami = source.findIndex((l) => l.includes('{"pid": os.getpid()}')) + 1;
        expect(lines).toEqual(expect.arrayContaining([whoami - 1, whoami]));
    });
});
