import * as path from "path";
import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { tempDir } from "./fixtures";
import { runnerProgram, scriptService } from "./runnerProgram";
import { errorLine, runProgram } from "./scriptDocker";

jest.setTimeout(60_000);

const TEST_RUN = runnerProgram("testRunMain");
const WAIT_READY = runnerProgram("waitReadyMain");

const SERVICE = scriptService("web", { containerName: "app", deployment: "web" });

describe("the test run's programs on the kubectl engine without kubectl", () => {
    it("fails the test run before it waits for anything, naming where kubectl was looked for and the fix", async () => {
        const runDir = path.join(tempDir(), "run");
        const description = {
            runDir,
            testWorkingDir: runDir,
            testCommand: "true",
            testTimeoutSeconds: 0,
            engine: { kind: "kubectl", namespace: "demo" },
            services: [SERVICE],
        };
        const result = await runProgram(TEST_RUN, {
            PATH: "/nonexistent-bin",
            [TEST_RUN_VARIABLE]: JSON.stringify(description),
        });
        expect(result.status).toBe(1);
        expect(errorLine(result.stderr)).toBe(
            "[coverage-spy] error: no kubectl on PATH (/nonexistent-bin): the kubectl engine needs it to ask, stop and " +
                "read the services' pods. Install kubectl, or put it on PATH (for the project's local cluster: " +
                'eval "$(bash scripts/k8s-cluster.sh env)"), or name it in the run\'s engine.kubectl',
        );
        expect(result.stderr).not.toContain("ready in");
    });

    it("fails the readiness wait the same way", async () => {
        const description = {
            service: SERVICE,
            engine: { kind: "kubectl", namespace: "demo", kubectl: "/nonexistent/kubectl" },
        };
        const result = await runProgram(WAIT_READY, {
            PATH: "/nonexistent-bin",
            [TEST_RUN_VARIABLE]: JSON.stringify(description),
        });
        expect(result.status).toBe(1);
        expect(errorLine(result.stderr)).toMatch(
            /^\[coverage-spy\] error: engine\.kubectl \/nonexistent\/kubectl is not an executable file: the kubectl engine needs it/,
        );
    });
});
