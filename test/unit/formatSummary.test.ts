import { markdownSummary } from "../../components/summary/markdownSummary";
import * as fs from "fs";
import * as path from "path";
import { formatSummary } from "../../components/summary/formatSummary";
import { readRunSummary } from "../../components/summary/readRunSummary";
import { summarizeRun } from "../../components/gates/gatedSummary";
import { FIXTURE_RUN_ID, reportDirWithFixtureRun, FIXTURE_SERVICES } from "./fixtures";

describe("formatSummary", () => {
    it("shows the total, tests, each service and each file's missing lines as ranges", () => {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        const text = formatSummary(
            summarizeRun(
                {
                    runDir,
                    runId: FIXTURE_RUN_ID,
                    services: FIXTURE_SERVICES,
                },
                { gates: { failUnder: 90 } },
            ),
        );
        const lines = text.split("\n");
        expect(lines).toContain("TOTAL  80.00%  24/30 statements, 6 missing");
        expect(lines).toContain("tests  FAILED with exit code 1 (3 passed, 1 failed) in 1.2 s");
        expect(lines).toContain("gates  FAILED");
        expect(lines).toContain("  - total coverage 80.00% is under failUnder 90%");
        expect(lines.find((l) => l.startsWith("shop "))).toMatch(/^shop\s+86\.67%\s+15\s+2\s+2\s+87 ms$/);
        expect(lines.find((l) => l.startsWith("worker:shop/prices.py"))).toMatch(/62\.50%\s+3, 6, 10$/);
        expect(text).not.toContain("__init__.py");
        expect(text).toContain(`html  ${runDir}/total/html/index.html`);
        expect(text).not.toContain("LOST");
    });

    it("names every process killed before it ended with its host, as pids repeat across pods", () => {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        const harvestFile = path.join(runDir, "harvest.json");
        const harvest = JSON.parse(fs.readFileSync(harvestFile, "utf8")) as Record<string, unknown>;
        const killed = (host: string) => ({
            service: "api",
            pid: 7,
            host,
            command: ["python3", "-m", "api"],
            python: "3.13.5",
            started: 1,
            lastSave: 2,
        });
        harvest.interruptedProcesses = [killed("api-7d9f-a"), killed("api-7d9f-b")];
        fs.writeFileSync(harvestFile, JSON.stringify(harvest));
        const text = formatSummary(readRunSummary({ runDir, runId: FIXTURE_RUN_ID, services: FIXTURE_SERVICES }));
        for (const pod of ["api-7d9f-a", "api-7d9f-b"])
            expect(text).toContain(
                `KILLED api: process 7 on ${pod} (python3 -m api) never ended (data up to 1970-01-01T00:00:02.000Z kept)`,
            );
    });

    it("names every process that saved no data", () => {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        const harvestFile = path.join(runDir, "harvest.json");
        // The harvester's record: written back whole, only its lost processes replaced.
        const harvest = JSON.parse(fs.readFileSync(harvestFile, "utf8")) as {
            lostProcesses: Array<Record<string, unknown>>;
        };
        harvest.lostProcesses = [
            {
                service: "worker",
                pid: 42,
                host: "c0ffee",
                command: ["python3", "-m", "jobs"],
                python: "3.13.5",
                started: 1,
            },
        ];
        fs.writeFileSync(harvestFile, JSON.stringify(harvest));
        const summary = readRunSummary({
            runDir,
            runId: FIXTURE_RUN_ID,
            services: FIXTURE_SERVICES,
        });
        // The record's Unix time becomes ISO 8601 UTC, the summary's one time format.
        expect(summary.lostProcesses).toEqual([{ ...harvest.lostProcesses[0], started: "1970-01-01T00:00:01.000Z" }]);
        expect(formatSummary(summary)).toContain(
            "LOST   worker: process 42 on c0ffee (python3 -m jobs) started measuring but saved no data",
        );
    });

    it("carries the harvester's warnings, with the option that fixes each, to the terminal and Markdown", () => {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        const harvestFile = path.join(runDir, "harvest.json");
        const harvest = JSON.parse(fs.readFileSync(harvestFile, "utf8")) as Record<string, unknown>;
        const message = 'service worker: 2 process(es) ran gevent greenlets; set coverage: { concurrency: ["gevent"] }';
        const warning = {
            service: "worker",
            kind: "concurrency",
            option: "coverage.concurrency",
            value: ["gevent"],
            message,
        };
        fs.writeFileSync(
            harvestFile,
            JSON.stringify({ ...harvest, warnings: [{ ...warning, library: "gevent", processes: [] }] }),
        );
        const summary = readRunSummary({ runDir, runId: FIXTURE_RUN_ID, services: FIXTURE_SERVICES });
        expect(summary.warnings).toEqual([warning]);
        expect(formatSummary(summary)).toContain(`WARN   ${message}`);
        expect(markdownSummary(summary)).toContain(`> [!WARNING]\n> ${message}\n`);
    });

    it("says when a service died during the suite, in the terminal and in Markdown", () => {
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        const testsFile = path.join(runDir, "tests.json");
        const tests = JSON.parse(fs.readFileSync(testsFile, "utf8")) as Record<string, unknown>;
        fs.writeFileSync(
            testsFile,
            JSON.stringify({ ...tests, exitedEarly: { worker: { exitCode: 137, oomKilled: true } } }),
        );
        const summary = readRunSummary({
            runDir,
            runId: FIXTURE_RUN_ID,
            services: FIXTURE_SERVICES,
        });
        expect(summary.services.worker.exitedEarly).toEqual({ exitCode: 137, oomKilled: true });
        expect(summary.services.shop.exitedEarly).toBeUndefined();
        const text = formatSummary(summary);
        expect(text).toContain(
            "EXITED worker: exited during the test suite (exit code 137, killed for lack of memory); only the data it saved before is measured",
        );
        expect(text).toMatch(/\nworker .* exited early\n/);
        expect(markdownSummary(summary)).toContain(
            "> Service **worker** exited during the test suite (exit code 137, killed for lack of memory): only the data it saved before is measured.",
        );
    });
});
