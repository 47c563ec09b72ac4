import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { ScriptService, readinessDescription } from "../../components/testRun/testRunScript";
import { answering, closed, runnerProgram, scriptService } from "./runnerProgram";
import { ScriptDocker, errorLine, runProgram, scriptDocker } from "./scriptDocker";

jest.setTimeout(60_000);

const WAIT_READY = runnerProgram("waitReadyMain");

function service(more: Partial<ScriptService> = {}): ScriptService {
    return scriptService("dav", { urlEnvName: "DAV_URL", readinessTimeoutSeconds: 1, stopGraceSeconds: 2, ...more });
}

describe("the readiness wait (components/testRun/runner: readiness.ts, run by waitReadyMain.ts)", () => {
    let docker: ScriptDocker;
    beforeEach(() => {
        docker = scriptDocker();
        docker.container("cs-unit-dav", { running: true, logs: "dav: listening on 8080\n" });
    });

    /** Runs the wait for one service; its URL, if it has one, is `url`. */
    function waitReady(one: ScriptService, url?: string) {
        return runProgram(WAIT_READY, {
            ...docker.env,
            [TEST_RUN_VARIABLE]: JSON.stringify(readinessDescription(one, url, undefined)),
        });
    }

    it.each([401, 404, 302])("counts a service that answers %i on every path as serving", async (status) => {
        const { url, server } = await answering(status);
        try {
            const result = await waitReady(service({ readinessTimeoutSeconds: 30 }), url);
            expect(result.stderr).toMatch(/service dav ready in \d+ ms/);
            expect(result.status).toBe(0);
        } finally {
            await closed(server);
        }
    });

    it("waits on a 5xx, then names the status it got and the options that fix it", async () => {
        const { url, server } = await answering(503);
        try {
            const result = await waitReady(service({ readinessPath: "/status" }), url);
            expect(result.status).toBe(1);
            expect(errorLine(result.stderr)).toBe(
                `[coverage-spy] error: service dav was not ready within 1 s (probe: GET ${url}/status; last: HTTP 503): ` +
                    "any HTTP status below 500 counts as ready: set readinessPath to a path that answers, " +
                    "readinessTcpPort to wait for a port instead, or a longer readinessTimeoutSeconds",
            );
            expect(result.stderr).toContain("dav: listening on 8080");
            expect(docker.calls()).toContain("stop --time 2 cs-unit-dav");
        } finally {
            await closed(server);
        }
    });

    it("names a port with nothing listening", async () => {
        // A port the OS gave a server that is closed again: nothing listens there now.
        const { url, server } = await answering(200);
        await closed(server);
        const result = await waitReady(service(), url);
        expect(errorLine(result.stderr)).toContain(`(probe: GET ${url}/; last: no connection to ${url.slice(7)}): `);
    });

    it("names the last TCP connection error and the option of the TCP probe", async () => {
        const result = await waitReady(service({ urlEnvName: undefined, readinessTcpPort: 1 }));
        expect(result.status).toBe(1);
        expect(errorLine(result.stderr)).toBe(
            "[coverage-spy] error: service dav was not ready within 1 s (probe: TCP port 1; last: no connection to " +
                "127.0.0.1:1): set readinessTcpPort to a port the service listens on, or give a longer readinessTimeoutSeconds",
        );
    });

    it("names the last health status and what fixes a healthcheck", async () => {
        docker.container("cs-unit-dav", { running: true, health: "unhealthy" });
        const result = await waitReady(service({ urlEnvName: undefined, hasHealthcheck: true }));
        expect(errorLine(result.stderr)).toBe(
            "[coverage-spy] error: service dav was not ready within 1 s (probe: healthcheck; last: health status " +
                "'unhealthy'): fix its healthcheck (it must exit 0 once the service serves) or give a longer " +
                "readinessTimeoutSeconds",
        );
    });

    it("names the exit code of a service that stopped, below its last log lines", async () => {
        docker.container("cs-unit-dav", { running: false, exitCode: 3, logs: "boom\n" });
        const result = await waitReady(service({ readinessTimeoutSeconds: 30 }), "http://127.0.0.1:1");
        expect(result.status).toBe(1);
        const line = errorLine(result.stderr);
        expect(line).toBe(
            "[coverage-spy] error: service dav stopped before it was ready (exit code 3; its last log lines are " +
                "above): check its command, entrypoint and env",
        );
        const lines = result.stderr.split("\n");
        expect(lines.indexOf("boom")).toBeGreaterThan(-1);
        expect(lines.indexOf("boom")).toBeLessThan(lines.indexOf(line));
    });
});
