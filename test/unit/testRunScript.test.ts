import { ChildProcess, SpawnSyncReturns, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { TEST_RUN_ENTRY, runnerEntryPath } from "../../components/shared/runnerPath";
import {
    ScriptService,
    TestRunScriptInput,
    readinessDescription,
    testRunDescription,
} from "../../components/testRun/testRunScript";
import { tempDir } from "./fixtures";
import { installMockEngine, valueOf } from "./mockEngine";
import { runnerProgram, scriptService } from "./runnerProgram";

/** What the script writes to tests.json (and prints), as far as these tests read it. */
interface TestsJson {
    exitCode: number;
    stopMs: Record<string, number>;
}

function readTestsJson(runDir: string): TestsJson {
    return JSON.parse(fs.readFileSync(path.join(runDir, "tests.json"), "utf8")) as TestsJson;
}
const SCRIPT = runnerProgram("testRunMain");
const WAIT_READY = runnerProgram("waitReadyMain");
const COMMAND = "command:local:Command";

/**
 * A stand-in `docker` that logs its calls: the real engine is exercised by the integration tests.
 * DOCKER_ARGV_LOG gets each call's exact arguments, between unit and record separators (no test value holds
 * one). DOCKER_STOP_FAIL (a container name or "*") and DOCKER_CP_FAIL make those commands fail.
 */
const FAKE_DOCKER = `#!/bin/bash
echo "$*" >> "$DOCKER_LOG"
[ -n "\${DOCKER_ARGV_LOG:-}" ] && { printf '%s\\037' "$@"; printf '\\036'; } >> "$DOCKER_ARGV_LOG"
case "$1" in
  inspect)
    case "$*" in
      *Networks*) echo "127.0.0.1 " ;;
      *) [ -e "$DOCKER_STATE/stopped-\${@: -1}" ] && echo false || echo true ;;
    esac ;;
  stop)
    if [ "\${DOCKER_STOP_FAIL:-}" = "*" ] || [ "\${DOCKER_STOP_FAIL:-}" = "\${@: -1}" ]; then
      echo "Error response from daemon: cannot stop container" >&2; exit 1
    fi
    sleep "\${DOCKER_STOP_DELAY:-0.1}"; touch "$DOCKER_STATE/stopped-\${@: -1}"; echo "stopped \${@: -1}" >> "$DOCKER_LOG" ;;
  cp) [ -n "\${DOCKER_CP_FAIL:-}" ] && exit 1; mkdir -p "$3" && echo "print(1)" > "$3/app.py" ;;
  logs) echo "fake logs of \${@: -1}" ;;
esac
`;

/**
 * An HTTP server in its own process (spawnSync blocks this one) that answers 200 and records each request whole.
 * A request may come in several writes (bash's printf flushes at each newline a value holds): it is recorded, and
 * answered, only once its blank line has come, so the probe's "ready" means the log has the whole request. Each
 * client gets its own thread: one that connects and never writes cannot stall the others.
 */
const RECORDING_SERVER = `
import socket, sys, threading
log_lock = threading.Lock()

def record(conn):
    with conn:
        request = b""
        try:
            while b"\\r\\n\\r\\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return  # hung up before the request ended: nothing to record
                request += chunk
            with log_lock, open(sys.argv[1], "ab") as log:
                log.write(request)
            conn.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n")
        except OSError:
            pass

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen()
print(server.getsockname()[1], flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=record, args=(conn,), daemon=True).start()
`;

/**
 * Values that run a command if a shell parses them as code (each escapes one kind of quoting); each would create
 * $MARKER.
 */
const HOSTILE: Record<string, string> = {
    "single quotes": `it's; touch "$MARKER"; echo '`,
    "double quotes": `"hi" x"; touch "$MARKER"; echo "y`,
    "command substitution": `$(touch "$MARKER")`,
    backticks: '`touch "$MARKER"`',
    "spaces and semicolons": `a b ; touch "$MARKER" ; c`,
    newlines: `one\ntouch "$MARKER"\nthree`,
};

const engine = installMockEngine();

/** Serves the folder argv[1] over HTTP on a port of its choosing, which it prints once it listens. */
const FILE_SERVER = `
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
handler.log_message = lambda *args: None
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()
`;

/**
 * Starts a server that prints its port once it listens, and resolves with that port: from then on it answers.
 * Rejects, with what it said on stderr, when it exits first.
 */
function startServer(program: string, arg: string): Promise<{ server: ChildProcess; port: number }> {
    const server = spawn("python3", ["-c", program, arg], { stdio: ["ignore", "pipe", "pipe"] });
    return new Promise((resolve, reject) => {
        let out = "";
        let err = "";
        server.stderr.on("data", (d) => (err += d));
        server.stdout.on("data", (d) => {
            out += d;
            if (out.includes("\n")) resolve({ server, port: Number(out.slice(0, out.indexOf("\n"))) });
        });
        server.once("exit", (code) => reject(new Error(`the test server exited (${code}) before it listened: ${err}`)));
    });
}

function service(
    name: string,
    containerName: string,
    sourcePath: string,
    more: Partial<ScriptService> = {},
): ScriptService {
    return scriptService(name, { containerName, sourcePath, readinessTimeoutSeconds: 20, ...more });
}

/** The script's error line: the one line that states the cause. */
function errorLine(stderr: string): string {
    return stderr.split("\n").find((l) => l.startsWith("[coverage-spy] error: ")) ?? `(no error line in: ${stderr})`;
}

describe("the test run (components/testRun/runner, run by Node)", () => {
    let work: string;
    let port: number;
    let http: ChildProcess;
    let recorderPort: number;
    let recorder: ChildProcess;
    let requestLog: string;

    beforeAll(async () => {
        work = tempDir();
        fs.mkdirSync(path.join(work, "bin"));
        fs.mkdirSync(path.join(work, "state"));
        fs.writeFileSync(path.join(work, "bin", "docker"), FAKE_DOCKER, { mode: 0o755 });
        ({ server: http, port } = await startServer(FILE_SERVER, work));
        requestLog = path.join(work, "requests.log");
        ({ server: recorder, port: recorderPort } = await startServer(RECORDING_SERVER, requestLog));
    });
    afterAll(() => {
        http.kill();
        recorder.kill();
    });

    /** Runs the test run with Node, as the Command does, with the fake docker and fresh container state. */
    function runScript(input: TestRunScriptInput, testCommand: string, env: Record<string, string> = {}) {
        fs.rmSync(path.join(work, "state"), { recursive: true, force: true });
        fs.mkdirSync(path.join(work, "state"));
        const id = Math.random().toString(36).slice(2);
        const log = path.join(work, `docker-${id}.log`);
        const argvLog = path.join(work, `docker-${id}.argv`);
        const environment: Record<string, string> = {
            PATH: `${path.join(work, "bin")}:${process.env.PATH}`,
            DOCKER_LOG: log,
            DOCKER_ARGV_LOG: argvLog,
            DOCKER_STATE: path.join(work, "state"),
            COVERAGE_SPY_API_URL: `http://127.0.0.1:${port}`,
            ...env,
        };
        const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [SCRIPT], {
            encoding: "utf8",
            cwd: work,
            env: {
                ...process.env,
                ...environment,
                [TEST_RUN_VARIABLE]: JSON.stringify(testRunDescription({ ...input, testCommand }, environment)),
            },
        });
        const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
        return {
            result,
            dockerCalls: read(log)
                .trim()
                .split("\n")
                .filter((l) => l !== ""),
            /** Each docker call's exact arguments, newlines and all. */
            dockerArgv: read(argvLog)
                .split("\x1e")
                .filter((r) => r !== "")
                .map((r) => r.split("\x1f").slice(0, -1)),
        };
    }

    function run(testCommand: string, readinessTimeoutSeconds = 20) {
        const runDir = path.join(work, `run-${Math.random().toString(36).slice(2)}`);
        const { result, dockerCalls } = runScript(
            {
                runDir,
                testWorkingDir: work,
                testTimeoutSeconds: 30,
                services: [
                    {
                        name: "api",
                        containerName: "cs-unit-api",
                        sourcePath: "/app/",
                        urlEnvName: "COVERAGE_SPY_API_URL",
                        readinessPath: "/",
                        readinessTimeoutSeconds,
                        hasHealthcheck: false,
                        stopGraceSeconds: 7,
                        stopWave: 0,
                    },
                    {
                        name: "jobs",
                        containerName: "cs-unit-jobs",
                        sourcePath: "/srv",
                        readinessPath: "/",
                        readinessTimeoutSeconds,
                        hasHealthcheck: false,
                        stopGraceSeconds: 3,
                        stopWave: 0,
                    },
                ],
            },
            testCommand,
        );
        return { result, runDir, dockerCalls };
    }

    function twoServices(runDir: string): TestRunScriptInput {
        return {
            runDir,
            testWorkingDir: work,
            // Ample: the suite is `true`, and a loaded machine must not time it out.
            testTimeoutSeconds: 30,
            services: [service("api", "cs-unit-api", "/app"), service("jobs", "cs-unit-jobs", "/srv")],
        };
    }

    it("needs no python3 on the host: tests.json is written by the script itself", () => {
        const stubs = path.join(work, "no-python");
        fs.mkdirSync(stubs, { recursive: true });
        for (const python of ["python3", "python"])
            fs.writeFileSync(path.join(stubs, python), "#!/bin/sh\necho python was called >&2\nexit 97\n", {
                mode: 0o755,
            });
        const runDir = path.join(work, `run-nopython-${Math.random().toString(36).slice(2)}`);
        const { result } = runScript(
            { ...twoServices(runDir), testTimeoutSeconds: 30 },
            'echo "Ran 2 tests in 0.1s"; exit 1',
            { PATH: `${stubs}:${path.join(work, "bin")}:${process.env.PATH}` },
        );
        expect(result.stderr).not.toContain("python was called");
        expect(result.status).toBe(0);
        const tests = readTestsJson(runDir);
        expect(tests).toEqual(expect.objectContaining({ exitCode: 1, exitedEarly: {} }));
        expect(Object.keys(tests.stopMs).sort()).toEqual(["api", "jobs"]);
        expect(result.stdout.trim()).toBe(JSON.stringify(tests));
    });

    it("waits, runs the tests with the URLs, stops every service gracefully and copies the source out", () => {
        const { result, runDir, dockerCalls } = run(
            'echo "url=$COVERAGE_SPY_API_URL"; echo "Ran 2 tests in 0.1s"; exit 0',
        );
        expect(result.status).toBe(0);
        expect(fs.readFileSync(path.join(runDir, "tests.log"), "utf8")).toContain(`url=http://127.0.0.1:${port}`);
        const tests = readTestsJson(runDir);
        expect(tests.exitCode).toBe(0);
        expect(Object.keys(tests.stopMs).sort()).toEqual(["api", "jobs"]);
        expect(tests.stopMs.api).toBeGreaterThanOrEqual(100);
        expect(result.stdout.trim()).toBe(JSON.stringify(tests));
        expect(dockerCalls).toEqual(
            expect.arrayContaining(["stop --time 7 cs-unit-api", "stop --time 3 cs-unit-jobs"]),
        );
        expect(dockerCalls).toEqual(
            expect.arrayContaining([
                `cp cs-unit-api:/app/. ${runDir}/sources/api`,
                `cp cs-unit-jobs:/srv/. ${runDir}/sources/jobs`,
            ]),
        );
        // Stops come after the tests, copies after the stops.
        const firstStop = dockerCalls.findIndex((c) => c.startsWith("stop "));
        const firstCopy = dockerCalls.findIndex((c) => c.startsWith("cp"));
        expect(firstStop).toBeGreaterThan(0);
        expect(firstCopy).toBeGreaterThan(firstStop);
        expect(fs.existsSync(path.join(runDir, "sources", "api", "app.py"))).toBe(true);
    });

    it("stops a service before the services it depends on, and copies no source of an unmeasured one", () => {
        const runDir = path.join(work, "waves");
        const { result, dockerCalls } = runScript(
            {
                runDir,
                testWorkingDir: work,
                testTimeoutSeconds: 30,
                services: [
                    service("db", "cs-unit-db", "", { sourcePath: undefined, stopWave: 1, readinessTcpPort: port }),
                    service("api", "cs-unit-api", "/app", { urlEnvName: "COVERAGE_SPY_API_URL" }),
                    service("jobs", "cs-unit-jobs", "/srv"),
                ],
            },
            "true",
        );
        expect(result.status).toBe(0);
        expect(result.stderr).toContain("service db ready in");
        const at = (call: string) => dockerCalls.indexOf(call);
        // Wave 0 (api, jobs) has stopped before wave 1 (db) begins.
        expect(at("stop --time 1 cs-unit-db")).toBeGreaterThan(at("stopped cs-unit-api"));
        expect(at("stop --time 1 cs-unit-db")).toBeGreaterThan(at("stopped cs-unit-jobs"));
        // The copies run at once: in either order.
        expect(dockerCalls.filter((c) => c.startsWith("cp ")).sort()).toEqual([
            `cp cs-unit-api:/app/. ${runDir}/sources/api`,
            `cp cs-unit-jobs:/srv/. ${runDir}/sources/jobs`,
        ]);
        expect(Object.keys(readTestsJson(runDir).stopMs).sort()).toEqual(["api", "db", "jobs"]);
    });

    it("waits for a TCP port of a service on its network, naming the probe when it never opens", () => {
        const { result } = runScript(
            {
                runDir: path.join(work, "tcp"),
                testWorkingDir: work,
                testTimeoutSeconds: 30,
                services: [
                    service("db", "cs-unit-db", "", {
                        sourcePath: undefined,
                        readinessTcpPort: 1,
                        readinessTimeoutSeconds: 1,
                    }),
                ],
            },
            "true",
        );
        expect(result.status).toBe(1);
        expect(errorLine(result.stderr)).toBe(
            "[coverage-spy] error: service db was not ready within 1 s (probe: TCP port 1; last: no connection to " +
                "127.0.0.1:1): set readinessTcpPort to a port the service listens on, or give a longer readinessTimeoutSeconds",
        );
    });

    describe("the readiness wait of a service others depend on (waitReadyMain.ts)", () => {
        function waitReady(one: ScriptService, url?: string) {
            fs.rmSync(path.join(work, "state"), { recursive: true, force: true });
            fs.mkdirSync(path.join(work, "state"));
            const log = path.join(work, `wait-${Math.random().toString(36).slice(2)}.log`);
            const result = spawnSync(process.execPath, [WAIT_READY], {
                encoding: "utf8",
                env: {
                    ...process.env,
                    PATH: `${path.join(work, "bin")}:${process.env.PATH}`,
                    DOCKER_LOG: log,
                    DOCKER_STATE: path.join(work, "state"),
                    [TEST_RUN_VARIABLE]: JSON.stringify(readinessDescription(one, url, undefined)),
                },
            });
            return { result, dockerCalls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [] };
        }

        it("returns once the service answers, leaving it running", () => {
            const { result, dockerCalls } = waitReady(
                service("api", "cs-unit-api", "/app", { urlEnvName: "API_URL", readinessPath: "/" }),
                `http://127.0.0.1:${port}`,
            );
            expect(result.status).toBe(0);
            expect(result.stderr).toMatch(/service api ready in \d+ ms/);
            expect(dockerCalls.filter((c) => c.startsWith("stop "))).toEqual([]);
        });

        it("stops a service that is not ready in time, gracefully, and fails naming the probe", () => {
            const { result, dockerCalls } = waitReady(
                service("db", "cs-unit-db", "", {
                    sourcePath: undefined,
                    readinessTcpPort: 1,
                    readinessTimeoutSeconds: 1,
                }),
            );
            expect(result.status).toBe(1);
            expect(errorLine(result.stderr)).toBe(
                "[coverage-spy] error: service db was not ready within 1 s (probe: TCP port 1; last: no connection to " +
                    "127.0.0.1:1): set readinessTcpPort to a port the service listens on, or give a longer readinessTimeoutSeconds",
            );
            expect(dockerCalls).toContain("stop --time 1 cs-unit-db");
        });
    });

    it("records a failing suite without failing, so coverage is still harvested", () => {
        const { result, runDir, dockerCalls } = run("echo boom; exit 3");
        expect(result.status).toBe(0);
        expect(readTestsJson(runDir).exitCode).toBe(3);
        expect(dockerCalls.filter((c) => c.startsWith("stop "))).toHaveLength(2);
    });

    it("runs the test command with bash, as test commands always ran (source, [[ ]] and pipefail work)", () => {
        const { result, runDir } = run(
            'set -o pipefail; [[ -n "$BASH_VERSION" ]] && source /dev/null && echo "bash $BASH_VERSION" | cat',
        );
        expect(result.status).toBe(0);
        expect(readTestsJson(runDir).exitCode).toBe(0);
        expect(fs.readFileSync(path.join(runDir, "tests.log"), "utf8")).toMatch(/^bash \d/m);
    });

    it("fails with a clear message when a service never gets ready", () => {
        const { result: closed } = runScript(
            {
                runDir: path.join(work, "never"),
                testWorkingDir: work,
                testTimeoutSeconds: 5,
                services: [
                    {
                        name: "api",
                        containerName: "cs-unit-api",
                        sourcePath: "/app",
                        urlEnvName: "U",
                        readinessPath: "/healthz",
                        readinessTimeoutSeconds: 1,
                        hasHealthcheck: false,
                        stopGraceSeconds: 1,
                        stopWave: 0,
                    },
                ],
            },
            "true",
            { U: "http://127.0.0.1:1" },
        );
        expect(closed.status).not.toBe(0);
        expect(closed.stderr).toContain(
            "service api was not ready within 1 s (probe: GET http://127.0.0.1:1/healthz; last: no connection to 127.0.0.1:1)",
        );
        expect(closed.stderr).toContain("fake logs of cs-unit-api");
    });

    describe("takes its whole input as one description, from the Command", () => {
        it("describes the run and each service in one JSON value, each URL from the suite's environment", () => {
            const description = testRunDescription(
                {
                    runDir: "/r",
                    testWorkingDir: "/w",
                    testTimeoutSeconds: 90,
                    testCommand: "pytest -q",
                    services: [
                        service("api", "c-api", "/app", {
                            urlEnvName: "COVERAGE_SPY_API_URL",
                            readinessPath: "/healthz",
                            readinessTimeoutSeconds: 60,
                            stopGraceSeconds: 30,
                        }),
                        service("jobs", "c-jobs", "/srv", {
                            hasHealthcheck: true,
                            readinessTimeoutSeconds: 5,
                            stopGraceSeconds: 2,
                        }),
                        service("db", "c-db", "", {
                            sourcePath: undefined,
                            readinessTcpPort: 5432,
                            stopWave: 1,
                        }),
                    ],
                },
                { COVERAGE_SPY_API_URL: "http://127.0.0.1:49000" },
            );
            expect(description).toEqual({
                runDir: "/r",
                testWorkingDir: "/w",
                testCommand: "pytest -q",
                testTimeoutSeconds: 90,
                services: [
                    {
                        name: "api",
                        containerName: "c-api",
                        sourcePath: "/app",
                        url: "http://127.0.0.1:49000",
                        readinessPath: "/healthz",
                        readinessTimeoutSeconds: 60,
                        hasHealthcheck: false,
                        stopGraceSeconds: 30,
                        stopWave: 0,
                    },
                    {
                        name: "jobs",
                        containerName: "c-jobs",
                        sourcePath: "/srv",
                        readinessPath: "/",
                        readinessTimeoutSeconds: 5,
                        hasHealthcheck: true,
                        stopGraceSeconds: 2,
                        stopWave: 0,
                    },
                    // An unmeasured service: no source to copy; it stops after those that need it.
                    {
                        name: "db",
                        containerName: "c-db",
                        readinessPath: "/",
                        readinessTimeoutSeconds: 20,
                        readinessTcpPort: 5432,
                        hasHealthcheck: false,
                        stopGraceSeconds: 1,
                        stopWave: 1,
                    },
                ],
            });
        });

        it("refuses a description it cannot use, naming every problem, before any service is touched", () => {
            const refused = (value: string | undefined) =>
                spawnSync(process.execPath, [SCRIPT], {
                    encoding: "utf8",
                    env: {
                        ...process.env,
                        PATH: `${path.join(work, "bin")}:${process.env.PATH}`,
                        DOCKER_LOG: path.join(work, "refused.log"),
                        DOCKER_STATE: path.join(work, "state"),
                        ...(value === undefined ? {} : { [TEST_RUN_VARIABLE]: value }),
                    },
                });
            const missing = refused(undefined);
            expect(missing.status).toBe(1);
            expect(errorLine(missing.stderr)).toBe(
                `[coverage-spy] error: ${TEST_RUN_VARIABLE} is not set: this program is run by coverage-spy's test-run command`,
            );
            const bad = refused(
                JSON.stringify({
                    runDir: "/r",
                    testWorkingDir: "/w",
                    testCommand: "true",
                    testTimeoutSeconds: "90",
                    services: [{ ...service("..", "c", "/app"), stopWave: -1 }],
                }),
            );
            expect(bad.status).toBe(1);
            expect(errorLine(bad.stderr)).toBe(
                `[coverage-spy] error: ${TEST_RUN_VARIABLE} is not a run description: testTimeoutSeconds must be a ` +
                    "whole number, got \"90\"; services[0].name '..' cannot name a folder; services[0].stopWave must be a " +
                    "whole number, got -1",
            );
            expect(fs.existsSync(path.join(work, "refused.log"))).toBe(false);
        });

        it("is what the Command runs: this Node and the compiled program by absolute path, no shell", async () => {
            // Loaded here, after the mocks are in place (a static import would load it before installMockEngine ran).
            const { createTestRun } = await import("../../components/testRun/testRun");
            const input = {
                runDir: "/reports/runs/r1",
                testWorkingDir: "/work/tests",
                testTimeoutSeconds: 90,
                services: [
                    service("api", "coverage-spy-unit-api", "/app", {
                        urlEnvName: "COVERAGE_SPY_API_URL",
                        readinessPath: "/healthz",
                    }),
                ],
            };
            const command = createTestRun(
                "unit",
                {
                    ...input,
                    runId: "r1",
                    testCommand: "pytest -q",
                    // A test environment cannot redirect the run.
                    environment: { COVERAGE_SPY_API_URL: "http://127.0.0.1:49000", [TEST_RUN_VARIABLE]: "{}" },
                },
                {},
            );
            await valueOf(command.stdout);
            const registered = engine.one(COMMAND, "unit-test-run");
            expect(registered.inputs.create).toBe(runnerEntryPath(TEST_RUN_ENTRY));
            expect(registered.inputs.create).toMatch(/\/components\/testRun\/runner\/testRunMain\.js$/);
            expect(path.isAbsolute(registered.inputs.create as string)).toBe(true);
            expect(registered.inputs.interpreter).toEqual([process.execPath]);
            const environment = { COVERAGE_SPY_API_URL: "http://127.0.0.1:49000" };
            expect(registered.inputs.environment).toEqual({
                ...environment,
                NODE_EXTRA_CA_CERTS: "",
                NODE_OPTIONS: "",
                [TEST_RUN_VARIABLE]: JSON.stringify({
                    ...testRunDescription({ ...input, testCommand: "pytest -q" }, environment),
                    suiteNodeVariables: {
                        NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? null,
                        NODE_OPTIONS: process.env.NODE_OPTIONS ?? null,
                    },
                }),
                COVERAGE_SPY_RUN_ID: "r1",
            });
        });

        it("finds its compiled program beside a compiled module, and names the fix when it is missing", () => {
            const built = path.join(work, "pkg", "dist", "components");
            const runner = path.join(built, "testRun", "runner");
            fs.mkdirSync(runner, { recursive: true });
            fs.writeFileSync(path.join(runner, "testRunMain.js"), "");
            const compiledModule = path.join(built, "shared", "runnerPath.js");
            expect(runnerEntryPath(TEST_RUN_ENTRY, compiledModule)).toBe(path.join(runner, "testRunMain.js"));
            expect(() => runnerEntryPath("waitReadyMain", compiledModule)).toThrow(
                `coverage-spy: the test run's program ${path.join(runner, "waitReadyMain.js")} does not exist: ` +
                    "build coverage-spy (npm run build in its checkout, or reinstall the package)",
            );
        });
    });

    describe("fails when a service cannot be stopped", () => {
        it("names the service, after waiting for the other stops, and writes no results", () => {
            const runDir = path.join(work, "stop-fails");
            // The failing stop returns at once; the other is slow, and must still be waited for.
            const { result, dockerCalls } = runScript(twoServices(runDir), "true", {
                DOCKER_STOP_FAIL: "cs-unit-api",
                DOCKER_STOP_DELAY: "0.5",
            });
            expect(result.status).not.toBe(0);
            expect(errorLine(result.stderr)).toBe("[coverage-spy] error: could not stop service(s): api");
            expect(result.stderr).toContain("fake logs of cs-unit-api");
            expect(result.stderr).not.toContain("fake logs of cs-unit-jobs");
            expect(dockerCalls).toEqual(
                expect.arrayContaining(["stop --time 1 cs-unit-api", "stop --time 1 cs-unit-jobs"]),
            );
            expect(fs.existsSync(path.join(work, "state", "stopped-cs-unit-jobs"))).toBe(true);
            expect(dockerCalls.some((c) => c.startsWith("cp"))).toBe(false);
            expect(fs.existsSync(path.join(runDir, "tests.json"))).toBe(false);
            expect(result.stdout).toBe("");
        });

        it("names every service that did not stop", () => {
            const runDir = path.join(work, "stops-fail");
            const { result } = runScript(twoServices(runDir), "true", { DOCKER_STOP_FAIL: "*" });
            expect(result.status).not.toBe(0);
            expect(errorLine(result.stderr)).toBe("[coverage-spy] error: could not stop service(s): api, jobs");
            expect(fs.existsSync(path.join(runDir, "tests.json"))).toBe(false);
        });
    });

    describe.each(Object.entries(HOSTILE))("with %s in every value that reaches the script", (_, payload) => {
        let marker: string;
        let wd: string;

        beforeAll(() => {
            marker = path.join(work, `PWNED-${Math.random().toString(36).slice(2)}`);
            wd = path.join(work, `wd ${payload}`);
            fs.mkdirSync(wd, { recursive: true });
        });
        afterEach(() => expect(fs.existsSync(marker)).toBe(false));

        const name = `api ${payload}`;
        const container = `cs ${payload}`;
        const sourcePath = `/app/${payload}/`;
        const readinessPath = `/ready ${payload}`;
        function hostile(more: Partial<ScriptService> = {}): TestRunScriptInput {
            return {
                runDir: path.join(work, `run-${Math.random().toString(36).slice(2)} ${payload}`),
                testWorkingDir: wd,
                testTimeoutSeconds: 30,
                services: [
                    service(name, container, sourcePath, {
                        urlEnvName: "HOSTILE_URL",
                        readinessPath,
                        // Ample: a probe on a loaded machine must not fail a test that is about quoting.
                        readinessTimeoutSeconds: 30,
                        stopGraceSeconds: 2,
                        ...more,
                    }),
                ],
            };
        }
        const oneLine = (s: string) => s.replace(/\n/g, " ");

        it("runs nothing and passes every value on intact", () => {
            const input = hostile();
            const { result, dockerArgv } = runScript(input, 'printf "cwd=%s\\n" "$PWD"', {
                MARKER: marker,
                HOSTILE_URL: `http://127.0.0.1:${recorderPort}`,
            });
            expect(result.stderr).not.toContain("error");
            expect(result.status).toBe(0);
            expect(dockerArgv).toEqual(
                expect.arrayContaining([
                    ["inspect", "-f", "{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}", container],
                    ["stop", "--time", "2", container],
                    ["cp", `${container}:/app/${payload}/.`, `${input.runDir}/sources/${name}`],
                ]),
            );
            expect(fs.readFileSync(requestLog, "latin1")).toContain(`GET ${readinessPath} HTTP/1.0\r\n`);
            expect(fs.readFileSync(path.join(input.runDir, "tests.log"), "utf8")).toContain(`cwd=${wd}\n`);
            expect(fs.existsSync(path.join(input.runDir, "sources", name, "app.py"))).toBe(true);
            const tests = readTestsJson(input.runDir);
            expect(Object.keys(tests.stopMs)).toEqual([name]);
            expect(result.stdout.trim()).toBe(JSON.stringify(tests));
        });

        it("runs nothing when the source cannot be copied out", () => {
            const { result } = runScript(hostile(), "true", {
                MARKER: marker,
                DOCKER_CP_FAIL: "1",
                HOSTILE_URL: `http://127.0.0.1:${recorderPort}`,
            });
            expect(result.status).not.toBe(0);
            expect(errorLine(result.stderr)).toBe(
                `[coverage-spy] error: ${oneLine(`could not copy ${sourcePath} out of service ${name}`)}`,
            );
        });

        it("runs nothing when the service never gets ready", () => {
            const { result } = runScript(hostile({ readinessTimeoutSeconds: 1 }), "true", {
                MARKER: marker,
                HOSTILE_URL: "http://127.0.0.1:1",
            });
            expect(result.status).not.toBe(0);
            expect(errorLine(result.stderr)).toBe(
                `[coverage-spy] error: ${oneLine(`service ${name} was not ready within 1 s (probe: GET http://127.0.0.1:1${readinessPath}; last: no connection to 127.0.0.1:1)`)}: ` +
                    "any HTTP status below 500 counts as ready: set readinessPath to a path that answers, " +
                    "readinessTcpPort to wait for a port instead, or a longer readinessTimeoutSeconds",
            );
            expect(result.stderr).toContain(`fake logs of ${container}`);
        });

        it("runs nothing when the service cannot be stopped", () => {
            const { result } = runScript(hostile(), "true", {
                MARKER: marker,
                DOCKER_STOP_FAIL: "*",
                HOSTILE_URL: `http://127.0.0.1:${recorderPort}`,
            });
            expect(result.status).not.toBe(0);
            expect(errorLine(result.stderr)).toBe(
                `[coverage-spy] error: ${oneLine(`could not stop service(s): ${name}`)}`,
            );
        });
    });

    describe("refuses a malformed description without evaluating it", () => {
        const payload = 'x[$(touch "$MARKER")]';
        /** Runs the test run with two services' description, one field replaced by `change`. */
        function runWith(change: (d: Record<string, unknown> & { services: Record<string, unknown>[] }) => void) {
            const marker = path.join(work, `PWNED-${Math.random().toString(36).slice(2)}`);
            const log = path.join(work, `malformed-${Math.random().toString(36).slice(2)}.log`);
            const description = JSON.parse(
                JSON.stringify(testRunDescription({ ...twoServices(path.join(work, "bad")), testCommand: "true" }, {})),
            ) as Record<string, unknown> & { services: Record<string, unknown>[] };
            change(description);
            const result = spawnSync(process.execPath, [SCRIPT], {
                encoding: "utf8",
                env: {
                    ...process.env,
                    PATH: `${path.join(work, "bin")}:${process.env.PATH}`,
                    DOCKER_LOG: log,
                    DOCKER_STATE: path.join(work, "state"),
                    MARKER: marker,
                    [TEST_RUN_VARIABLE]: JSON.stringify(description),
                },
            });
            expect(fs.existsSync(marker)).toBe(false);
            // Refused before any service is touched.
            expect(fs.existsSync(log)).toBe(false);
            expect(result.status).toBe(1);
            return errorLine(result.stderr);
        }
        const refusal = (problem: string) =>
            `[coverage-spy] error: ${TEST_RUN_VARIABLE} is not a run description: ${problem}`;

        it.each([
            ["testTimeoutSeconds", (d: Record<string, unknown>) => (d.testTimeoutSeconds = payload)],
            [
                "services[0].readinessTimeoutSeconds",
                (d: { services: Record<string, unknown>[] }) => (d.services[0].readinessTimeoutSeconds = payload),
            ],
            [
                "services[0].stopGraceSeconds",
                (d: { services: Record<string, unknown>[] }) => (d.services[0].stopGraceSeconds = payload),
            ],
        ] as const)("%s that is no whole number", (field, change) => {
            expect(runWith(change as never)).toBe(
                refusal(`${field} must be a whole number, got ${JSON.stringify(payload)}`),
            );
        });

        it("a service name that would leave the sources folder", () => {
            expect(runWith((d) => (d.services[1].name = "../../escape"))).toBe(
                refusal("services[1].name '../../escape' cannot name a folder"),
            );
        });

        it("a missing field", () => {
            expect(runWith((d) => delete d.services[1].name)).toBe(
                refusal("services[1].name must be a string, got nothing"),
            );
        });
    });
});
