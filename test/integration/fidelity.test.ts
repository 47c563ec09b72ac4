import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { DEMO_SOURCE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { DemoRun, measureDemo } from "./demoRitual";
import { REPO_ROOT } from "./engine";

jest.setTimeout(5 * 60 * 1000);

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

async function waitForHealth(url: string, server: ChildProcess): Promise<void> {
    for (let i = 0; i < 100; i++) {
        if (server.exitCode !== null) throw new Error(`the reference server exited with ${server.exitCode}`);
        try {
            if ((await fetch(`${url}/healthz`)).ok) return;
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the reference server did not answer /healthz within 10 s");
}

/**
 * The fidelity oracle: the same demo code and test suite, once on the host under plain `coverage run`
 * (in-process, coverage.py installed by pip: the reference) and once in a container through coverage-spy. The executed lines of every
 * source file must be identical: any difference is a coverage-spy bug, not a tolerance.
 * The host's Python is 3.11, so the container side uses the bookworm image (Python 3.11) too.
 */
describe("fidelity: coverage-spy in a container against plain coverage run on the host", () => {
    let reference: Record<string, number[]>;
    let demo: DemoRun;
    let work: string;

    beforeAll(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-oracle-"));
        const rc = path.join(work, "coveragerc");
        fs.writeFileSync(rc, `[run]\nparallel = true\nsource =\n    ${DEMO_SOURCE}\npatch =\n    subprocess\n`);
        // coverage.py installed by pip in a virtualenv, as a user would run it: its subprocess support works.
        const venv = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "oracle-venv.sh")], { encoding: "utf8" });
        if (venv.status !== 0) throw new Error(`scripts/oracle-venv.sh failed: ${venv.stderr}`);
        const python = venv.stdout.trim().split("\n").pop()!;
        const port = await freePort();
        const env = {
            ...process.env, PYTHONPATH: DEMO_SOURCE, PORT: String(port), DEMO_WORKERS: "3",
            COVERAGE_FILE: path.join(work, ".coverage"),
        };
        const server = spawn(python, ["-m", "coverage", "run", "--rcfile", rc, "-m", "demo_app.server"], { env, stdio: "ignore", cwd: work });
        const url = `http://127.0.0.1:${port}`;
        await waitForHealth(url, server);
        const tests = spawnSync("bash", ["-c", DEMO_TEST_COMMAND], { cwd: REPO_ROOT, env: { ...process.env, COVERAGE_SPY_DEMO_URL: url }, encoding: "utf8" });
        const exited = new Promise((r) => server.once("exit", r));
        server.kill("SIGTERM");
        await exited;
        if (tests.status !== 0) throw new Error(`the demo's tests failed against the reference server:\n${tests.stderr}`);
        const report = path.join(work, "reference.json");
        for (const args of [["combine", "--rcfile", rc, "-q"], ["json", "--rcfile", rc, "-q", "-o", report]]) {
            const r = spawnSync(python, ["-m", "coverage", ...args], { env, cwd: work, encoding: "utf8" });
            if (r.status !== 0) throw new Error(`coverage ${args[0]} failed: ${r.stderr}`);
        }
        const files = JSON.parse(fs.readFileSync(report, "utf8")).files as Record<string, { executed_lines: number[] }>;
        reference = Object.fromEntries(Object.entries(files).map(([file, data]) => [path.relative(DEMO_SOURCE, file), data.executed_lines]));

        demo = measureDemo(`itest-oracle-${process.pid}`, "coverage-spy/demo-app:bookworm", DEMO_TEST_COMMAND, "fail");
    });

    afterAll(() => {
        demo?.cleanup();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("measures exactly the lines plain coverage.py measures, file by file", () => {
        const spied = Object.fromEntries(demo.summary.files.map((f) => [f.path, f.executedLines]));
        expect(Object.keys(reference).sort()).toEqual(Object.keys(spied).sort());
        expect(spied).toEqual(reference);
    });
});
