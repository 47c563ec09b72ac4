import * as fs from "fs";
import * as net from "net";
import { AddressInfo } from "net";
import * as path from "path";
import { RunDescription, TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { ScriptService, readinessDescription, testRunDescription } from "../../components/testRun/testRunScript";
import { NODE_START_VARIABLES } from "../../components/shared/runnerPath";
import { suiteNodeVariables } from "../../components/testRun/testRun";
import { tempDir } from "./fixtures";
import { answering, closed, runnerProgram, scriptService } from "./runnerProgram";
import { ScriptDocker, runProgram, scriptDocker } from "./scriptDocker";

jest.setTimeout(60_000);

const WAIT_READY = runnerProgram("waitReadyMain");
const TEST_RUN = runnerProgram("testRunMain");

function service(more: Partial<ScriptService> = {}): ScriptService {
    return scriptService("dav", { stopGraceSeconds: 2, ...more });
}

describe("the warm path of the test run's programs (components/testRun/runner)", () => {
    let docker: ScriptDocker;
    beforeEach(() => {
        docker = scriptDocker();
        docker.container("cs-unit-dav", { running: true, logs: "dav: listening\n" });
    });

    function waitReady(one: ScriptService, url?: string) {
        return runProgram(WAIT_READY, {
            ...docker.env,
            [TEST_RUN_VARIABLE]: JSON.stringify(readinessDescription(one, url, undefined)),
        });
    }

    it("asks Docker nothing about a service whose URL answers at once: an answer proves it runs", async () => {
        const { url, server } = await answering(200);
        try {
            const result = await waitReady(service({ urlEnvName: "DAV_URL" }), url);
            expect(result.stderr).toMatch(/service dav ready in \d+ ms/);
            expect(result.status).toBe(0);
            expect(docker.calls()).toEqual([]);
        } finally {
            await closed(server);
        }
    });

    it("probes a starting service's URL again without asking Docker before each probe", async () => {
        // Drops its first connections, as Docker's port proxy does until the app listens, then answers.
        let connections = 0;
        const sockets: net.Socket[] = [];
        const server = net.createServer((socket) => {
            connections += 1;
            sockets.push(socket);
            if (connections <= 2) socket.destroy();
            else socket.end("HTTP/1.0 200 OK\r\n\r\n");
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            const result = await waitReady(service({ urlEnvName: "DAV_URL" }), url);
            expect(result.status).toBe(0);
            expect(connections).toBe(3);
            expect(docker.calls().length).toBeLessThan(connections - 1);
        } finally {
            for (const socket of sockets) socket.destroy();
            await new Promise((resolve) => server.close(resolve));
        }
    });

    it("asks Docker once about a healthy service: whether it runs and its health in one inspect", async () => {
        docker.container("cs-unit-dav", { running: true, health: "healthy" });
        const result = await waitReady(service({ hasHealthcheck: true }));
        expect(result.status).toBe(0);
        expect(docker.calls()).toHaveLength(1);
        expect(docker.calls()[0]).toMatch(/^inspect /);
    });

    it("does not count a healthy status of a container that no longer runs as ready", async () => {
        docker.container("cs-unit-dav", { running: false, exitCode: 3, health: "healthy", logs: "boom\n" });
        const result = await waitReady(service({ hasHealthcheck: true }));
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(
            "[coverage-spy] error: service dav stopped before it was ready (exit code 3; its last log lines are above)",
        );
    });

    it("still names a service that stopped when its URL does not answer", async () => {
        docker.container("cs-unit-dav", { running: false, exitCode: 3, logs: "boom\n" });
        const result = await waitReady(service({ urlEnvName: "DAV_URL" }), "http://127.0.0.1:1");
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("service dav stopped before it was ready (exit code 3;");
    });
});

describe("what Node reads when it starts (NODE_EXTRA_CA_CERTS, NODE_OPTIONS)", () => {
    it("are blanked for the runner's own Node, which needs neither, and each costs it its start", () => {
        expect(NODE_START_VARIABLES).toEqual(["NODE_EXTRA_CA_CERTS", "NODE_OPTIONS"]);
    });

    /** Runs a one-service test run whose suite prints the two variables as it sees them. */
    async function suiteSees(suiteNodeVariables: Record<string, string | null>, runnerEnv: Record<string, string>) {
        const docker = scriptDocker();
        docker.container("cs-unit-dav", { running: true });
        const work = tempDir();
        const description: RunDescription = {
            ...testRunDescription(
                {
                    runDir: path.join(work, "run"),
                    testWorkingDir: work,
                    testTimeoutSeconds: 60,
                    testCommand: `printf '%s|%s\\n' "\${NODE_EXTRA_CA_CERTS-unset}" "\${NODE_OPTIONS-unset}"`,
                    services: [service({ sourcePath: undefined })],
                },
                {},
            ),
            suiteNodeVariables,
        };
        const result = await runProgram(TEST_RUN, {
            ...docker.env,
            ...runnerEnv,
            [TEST_RUN_VARIABLE]: JSON.stringify(description),
        });
        expect(result.status).toBe(0);
        return fs.readFileSync(path.join(work, "run", "tests.log"), "utf8").trim();
    }

    it("reach the suite as the host or the test environment had them", async () => {
        const blank = { NODE_EXTRA_CA_CERTS: "", NODE_OPTIONS: "" };
        expect(await suiteSees({ NODE_EXTRA_CA_CERTS: "/etc/corp-ca.pem", NODE_OPTIONS: null }, blank)).toBe(
            "/etc/corp-ca.pem|unset",
        );
        expect(await suiteSees({ NODE_EXTRA_CA_CERTS: null, NODE_OPTIONS: "--max-old-space-size=512" }, blank)).toBe(
            "unset|--max-old-space-size=512",
        );
    });

    it("are the test environment's where it sets them, else this machine's, else unset", () => {
        expect(
            suiteNodeVariables(
                { NODE_OPTIONS: "--max-old-space-size=512" },
                { NODE_EXTRA_CA_CERTS: "/etc/corp-ca.pem", NODE_OPTIONS: "--inspect" },
            ),
        ).toEqual({ NODE_EXTRA_CA_CERTS: "/etc/corp-ca.pem", NODE_OPTIONS: "--max-old-space-size=512" });
        expect(suiteNodeVariables({}, {})).toEqual({ NODE_EXTRA_CA_CERTS: null, NODE_OPTIONS: null });
    });

    it("refuses a description whose suite variables are not text or null, naming the field", async () => {
        const docker = scriptDocker();
        const result = await runProgram(TEST_RUN, {
            ...docker.env,
            [TEST_RUN_VARIABLE]: JSON.stringify({
                runDir: "/r",
                testWorkingDir: "/w",
                testCommand: "true",
                testTimeoutSeconds: 1,
                services: [],
                suiteNodeVariables: { NODE_OPTIONS: 3 },
            }),
        });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(
            `${TEST_RUN_VARIABLE} is not a run description: suiteNodeVariables.NODE_OPTIONS must be a string or null, got 3`,
        );
    });
});
