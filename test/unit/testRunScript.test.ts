import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { TEST_COMMAND_ENV, testRunScript } from "../../components/testRun/testRunScript";
import { tempDir } from "./fixtures";

/** A stand-in `docker` that logs its calls: the real engine is exercised by the integration tests. */
const FAKE_DOCKER = `#!/bin/bash
echo "$*" >> "$DOCKER_LOG"
case "$1" in
  inspect) [ -e "$DOCKER_STATE/stopped-\${@: -1}" ] && echo false || echo true ;;
  stop) sleep 0.1; touch "$DOCKER_STATE/stopped-\${@: -1}" ;;
  cp) mkdir -p "$3" && echo "print(1)" > "$3/app.py" ;;
  logs) echo "fake logs of \${@: -1}" ;;
esac
`;

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

describe("the test-run script", () => {
    let work: string;
    let port: number;
    let http: ChildProcess;

    beforeAll(async () => {
        work = tempDir();
        fs.mkdirSync(path.join(work, "bin"));
        fs.mkdirSync(path.join(work, "state"));
        fs.writeFileSync(path.join(work, "bin", "docker"), FAKE_DOCKER, { mode: 0o755 });
        port = await freePort();
        http = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", work], { stdio: "ignore" });
    });
    afterAll(() => http.kill());

    function run(testCommand: string, readinessTimeoutSeconds = 20) {
        const runDir = path.join(work, `run-${Math.random().toString(36).slice(2)}`);
        const script = testRunScript({
            runDir, testWorkingDir: work, testTimeoutSeconds: 30,
            services: [
                { name: "api", containerName: "cs-unit-api", sourcePath: "/app/", urlEnvName: "COVERAGE_SPY_API_URL", readinessPath: "/", readinessTimeoutSeconds, hasHealthcheck: false, stopGraceSeconds: 7 },
                { name: "jobs", containerName: "cs-unit-jobs", sourcePath: "/srv", readinessPath: "/", readinessTimeoutSeconds, hasHealthcheck: false, stopGraceSeconds: 3 },
            ],
        });
        fs.rmSync(path.join(work, "state"), { recursive: true, force: true });
        fs.mkdirSync(path.join(work, "state"));
        const log = path.join(runDir + ".docker.log");
        const result = spawnSync("bash", ["-c", script], {
            encoding: "utf8",
            env: {
                ...process.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}`, DOCKER_LOG: log, DOCKER_STATE: path.join(work, "state"),
                COVERAGE_SPY_API_URL: `http://127.0.0.1:${port}`, [TEST_COMMAND_ENV]: testCommand,
            },
        });
        return { result, runDir, dockerCalls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [] };
    }

    it("is valid bash", () => {
        const script = testRunScript({ runDir: "/tmp/x y", testWorkingDir: "/tmp/it's", testTimeoutSeconds: 5, services: [] });
        expect(spawnSync("bash", ["-n", "-c", script]).status).toBe(0);
    });

    it("waits, runs the tests with the URLs, stops every service gracefully and copies the source out", () => {
        const { result, runDir, dockerCalls } = run('echo "url=$COVERAGE_SPY_API_URL"; echo "Ran 2 tests in 0.1s"; exit 0');
        expect(result.status).toBe(0);
        expect(fs.readFileSync(path.join(runDir, "tests.log"), "utf8")).toContain(`url=http://127.0.0.1:${port}`);
        const tests = JSON.parse(fs.readFileSync(path.join(runDir, "tests.json"), "utf8"));
        expect(tests.exitCode).toBe(0);
        expect(Object.keys(tests.stopMs).sort()).toEqual(["api", "jobs"]);
        expect(tests.stopMs.api).toBeGreaterThanOrEqual(100);
        expect(result.stdout.trim()).toBe(JSON.stringify(tests));
        expect(dockerCalls).toEqual(expect.arrayContaining(["stop --time 7 cs-unit-api", "stop --time 3 cs-unit-jobs"]));
        expect(dockerCalls).toEqual(expect.arrayContaining([
            `cp cs-unit-api:/app/. ${runDir}/sources/api`,
            `cp cs-unit-jobs:/srv/. ${runDir}/sources/jobs`,
        ]));
        // Stops come after the tests, copies after the stops.
        const firstStop = dockerCalls.findIndex((c) => c.startsWith("stop"));
        const firstCopy = dockerCalls.findIndex((c) => c.startsWith("cp"));
        expect(firstStop).toBeGreaterThan(0);
        expect(firstCopy).toBeGreaterThan(firstStop);
        expect(fs.existsSync(path.join(runDir, "sources", "api", "app.py"))).toBe(true);
    });

    it("records a failing suite without failing, so coverage is still harvested", () => {
        const { result, runDir, dockerCalls } = run("echo boom; exit 3");
        expect(result.status).toBe(0);
        expect(JSON.parse(fs.readFileSync(path.join(runDir, "tests.json"), "utf8")).exitCode).toBe(3);
        expect(dockerCalls.filter((c) => c.startsWith("stop"))).toHaveLength(2);
    });

    it("fails with a clear message when a service never gets ready", () => {
        fs.rmSync(path.join(work, "state"), { recursive: true, force: true });
        fs.mkdirSync(path.join(work, "state"));
        const closed = spawnSync("bash", ["-c", testRunScript({
            runDir: path.join(work, "never"), testWorkingDir: work, testTimeoutSeconds: 5,
            services: [{ name: "api", containerName: "cs-unit-api", sourcePath: "/app", urlEnvName: "U", readinessPath: "/healthz", readinessTimeoutSeconds: 1, hasHealthcheck: false, stopGraceSeconds: 1 }],
        })], { encoding: "utf8", env: { ...process.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}`, DOCKER_LOG: "/dev/null", DOCKER_STATE: path.join(work, "state"), U: "http://127.0.0.1:1", [TEST_COMMAND_ENV]: "true" } });
        expect(closed.status).not.toBe(0);
        expect(closed.stderr).toContain("service api was not ready within 1 s (probe: GET http://127.0.0.1:1/healthz)");
        expect(closed.stderr).toContain("fake logs of cs-unit-api");
    });
});
