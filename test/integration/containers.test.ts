import { CoverageSummary } from "../../components/summary/coverageSummary";
import { stackObjectName } from "../../components/naming";
import { DEMO_TEST_COMMAND, DEMO_WORKERS, expectLines } from "./demoExpectations";
import { DemoRun, measureDemo } from "./demoRitual";
import { docker, labelledObjects } from "./engine";

jest.setTimeout(5 * 60 * 1000);

describe.each([
    ["trixie (Python 3.13)", "coverage-spy/demo-app:latest"],
    ["bookworm (Python 3.11)", "coverage-spy/demo-app:bookworm"],
])("the demo on %s, measured by the component's specs on the real engine", (_label, image) => {
    const stack = `itest-ctr-${process.pid}-${image.endsWith("bookworm") ? "b" : "t"}`;
    let imageId: string;
    let demo: DemoRun;
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
        // Each of them left a start record that pairs with its data file.
        expect(summary.lostProcesses).toEqual([]);
        // The graceful stop is quick: the init forwards SIGTERM and every process exits at once.
        expect(summary.services.demo.stopMs).toBeLessThan(3000);
    });

    it("reports exactly the lines the demo's tests reach, file by file", () => {
        const files = summary.files.filter((f) => f.statements > 0).map((f) => f.path).sort();
        expect(files).toEqual(["demo_app/handlers.py", "demo_app/inventory.py", "demo_app/pricing.py", "demo_app/reports.py",
            "demo_app/server.py", "demo_app/worker_task.py"]);
        for (const file of summary.files) expectLines(file);
        expect(summary.totals.missing).toBe(summary.files.reduce((n, f) => n + f.missingLines.length, 0));
    });

    it("leaves the production image unchanged and free of coverage.py", () => {
        expect(docker("image", "inspect", "--format", "{{.Id}}", image)).toBe(imageId);
        expect(docker("run", "--rm", "--entrypoint", "python3", image, "-c",
            "import importlib.util; print(importlib.util.find_spec('coverage') is None)")).toBe("True");
    });

    it("labels every object it made with the stack", () => {
        expect(labelledObjects("volume", stack)).toEqual([demo.volumeName]);
        expect(labelledObjects("network", stack)).toEqual([demo.networkName]);
        expect(labelledObjects("container", stack)).toEqual([stackObjectName(stack, demo.service.name)]);
    });
});

describe("a worker killed during the run", () => {
    let demo: DemoRun;

    // The test command SIGKILLs the worker that serves one /whoami, after the demo's suite passed.
    const killOneWorker = [
        DEMO_TEST_COMMAND,
        `pid=$(python3 -c 'import json, os, urllib.request; print(json.load(urllib.request.urlopen(os.environ["COVERAGE_SPY_DEMO_URL"] + "/whoami", timeout=10))["pid"])')`,
        `docker exec ${stackObjectName(`itest-kill-${process.pid}`, "demo")} sh -c "kill -9 $pid"`,
    ].join(" && ");

    beforeAll(() => {
        demo = measureDemo(`itest-kill-${process.pid}`, "coverage-spy/demo-app:latest", killOneWorker, "warn");
    });
    afterAll(() => demo?.cleanup());

    it("is named in lostProcesses, with its command line, and the others are still measured", () => {
        expect(demo.summary.tests.succeeded).toBe(true);
        expect(demo.summary.lostProcesses).toHaveLength(1);
        expect(demo.summary.lostProcesses[0]).toEqual(expect.objectContaining({
            service: "demo", command: ["python3", "-m", "demo_app.server"],
        }));
        expect(demo.summary.services.demo.dataFiles).toBe(1 + DEMO_WORKERS - 1 + 2);
    });
});
