import * as fs from "fs";
import * as path from "path";
import { Service } from "../../components/options/args";
import { StackRun, measureService } from "./stackRun";
import { REPO_ROOT, docker } from "./engine";

jest.setTimeout(5 * 60 * 1000);

const ZOO = path.join(REPO_ROOT, "test", "fixtures", "process-zoo");
const ZOO_SOURCE = path.join(ZOO, "app");

/** Lines of a zoo file carrying `# zoo: must-run` (1-based). */
function mustRun(file: string): number[] {
    return fs
        .readFileSync(path.join(ZOO_SOURCE, file), "utf8")
        .split("\n")
        .map((line, i) => (/#\s*zoo:\s*must-run\b/.test(line) ? i + 1 : 0))
        .filter((n) => n > 0);
}

/**
 * Every way a process can run code, measured: a thread, multiprocessing with fork and with spawn, a subprocess,
 * a forked child leaving through os._exit and one turning into another program through os.execv.
 */
/** multiprocessing's resource tracker: stdlib only, no app code. Before 3.13 it outlives its parent until the
 * parent's exit closes its pipe, so the container's end kills it before it can save: the spy names it. */
const RESOURCE_TRACKER = "from multiprocessing.resource_tracker import main";

describe.each([
    ["trixie (Python 3.13, sysmon)", "trixie", "SysMonitor", false],
    ["bookworm (Python 3.11, C tracer)", "bookworm", "CTracer", true],
])("the process zoo on %s", (_label, suite, core, trackerKilled) => {
    const image = `coverage-spy/process-zoo:${suite}`;
    let run: StackRun;

    beforeAll(() => {
        docker("build", "-q", "--build-arg", `BASE_IMAGE=coverage-spy/base:${suite}`, "-t", image, ZOO);
        const service: Service = {
            name: "zoo",
            image,
            sourcePath: "/app",
            hostSourcePath: ZOO_SOURCE,
            ports: [{ internal: 8000 }],
            readinessPath: "/healthz",
            stopGraceSeconds: 20,
        };
        run = measureService({
            stack: `itest-zoo-${process.pid}-${suite}`,
            service,
            lostProcesses: "warn",
            testCommand: `python3 ${path.join(ZOO, "check.py")}`,
        });
    });
    afterAll(() => run?.cleanup());

    it("answers every endpoint", () => {
        expect(run.summary.tests).toEqual(expect.objectContaining({ succeeded: true, passed: 6, failed: 0 }));
    });

    it("measures every line that ran in another thread or process", () => {
        for (const file of ["zoo/work.py", "zoo/child.py", "zoo/after_exec.py"]) {
            const measured = run.summary.files.find((f) => f.path === file);
            expect({ file, missing: mustRun(file).filter((n) => !measured?.executedLines.includes(n)) }).toEqual({
                file,
                missing: [],
            });
        }
        // And nothing that did not run.
        const work = run.summary.files.find((f) => f.path === "zoo/work.py")!;
        const neverRun =
            fs.readFileSync(path.join(ZOO_SOURCE, "zoo/work.py"), "utf8").split("\n").indexOf('    return "never"') + 1;
        expect(work.missingLines).toEqual([neverRun]);
    });

    it("pairs every process that started with its saved data, and each app process ended cleanly", () => {
        const zoo = run.summary.services.zoo;
        const notEnded = [...run.summary.lostProcesses, ...run.summary.interruptedProcesses];
        // Only the resource tracker may be cut short, and then it is named with its command line.
        expect(notEnded.map((p) => p.command.join(" "))).toEqual(
            trackerKilled ? [expect.stringContaining(RESOURCE_TRACKER)] : [],
        );
        // server, mp fork child, mp spawn child, its resource tracker, subprocess, os._exit child, execv'd child.
        const started = zoo.processes!.ended + zoo.processes!.interrupted + zoo.processes!.lost;
        expect(started).toBe(7);
        expect(zoo.processes!.ended).toBe(trackerKilled ? 6 : 7);
        expect(zoo.cores).toEqual({ [core]: started });
        // A graceful stop, before the 20 s grace was over (a bound that holds on a busy machine).
        expect(zoo.stopMs).toBeLessThan(20_000);
    });
});
