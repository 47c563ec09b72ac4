import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { DEMO_SOURCE } from "./demoExpectations";
import { REPO_ROOT } from "./engine";

/** Executed lines per demo source file (relative path → sorted line numbers). */
export type ExecutedLines = Record<string, number[]>;

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

async function waitForHealth(url: string, server: ChildProcess): Promise<void> {
    for (let i = 0; i < 600; i++) {
        if (server.exitCode !== null) throw new Error(`the reference server exited with ${server.exitCode}`);
        try {
            if ((await fetch(`${url}/healthz`)).ok) return;
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the reference server did not answer /healthz within 60 s");
}

/**
 * The reference: the demo started on the host under plain `coverage run` (coverage.py installed by pip, as a
 * user would run it), the test command run against it, the server stopped, and coverage.py's own JSON report read.
 */
export async function referenceRun(testCommand: string): Promise<ExecutedLines> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-oracle-"));
    try {
        const rc = path.join(work, "coveragerc");
        fs.writeFileSync(rc, `[run]\nparallel = true\nsource =\n    ${DEMO_SOURCE}\npatch =\n    subprocess\n`);
        // coverage.py installed by pip in a virtualenv, as a user would run it: its subprocess support works.
        const venv = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "oracle-venv.sh")], { encoding: "utf8" });
        if (venv.status !== 0) throw new Error(`scripts/oracle-venv.sh failed: ${venv.stderr}`);
        const python = venv.stdout.trim().split("\n").pop()!;
        const port = await freePort();
        const env = {
            ...process.env,
            PYTHONPATH: DEMO_SOURCE,
            PORT: String(port),
            DEMO_WORKERS: "3",
            COVERAGE_FILE: path.join(work, ".coverage"),
        };
        const server = spawn(python, ["-m", "coverage", "run", "--rcfile", rc, "-m", "demo_app.server"], {
            env,
            stdio: "ignore",
            cwd: work,
        });
        const url = `http://127.0.0.1:${port}`;
        await waitForHealth(url, server);
        const tests = spawnSync("bash", ["-c", testCommand], {
            cwd: REPO_ROOT,
            env: { ...process.env, COVERAGE_SPY_DEMO_URL: url },
            encoding: "utf8",
        });
        const exited = new Promise((r) => server.once("exit", r));
        server.kill("SIGTERM");
        await exited;
        if (tests.status !== 0)
            throw new Error(`the demo's tests failed against the reference server:\n${tests.stderr}`);
        const report = path.join(work, "reference.json");
        for (const args of [
            ["combine", "--rcfile", rc, "-q"],
            ["json", "--rcfile", rc, "-q", "-o", report],
        ]) {
            const r = spawnSync(python, ["-m", "coverage", ...args], { env, cwd: work, encoding: "utf8" });
            if (r.status !== 0) throw new Error(`coverage ${args[0]} failed: ${r.stderr}`);
        }
        const { files } = JSON.parse(fs.readFileSync(report, "utf8")) as {
            files: Record<string, { executed_lines: number[] }>;
        };
        return Object.fromEntries(
            Object.entries(files).map(([file, data]) => [path.relative(DEMO_SOURCE, file), data.executed_lines]),
        );
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}
