import { stackObjectName } from "../../components/shared/naming";
import { devStackConfig, docker, labelledObjects, removeStackConfig, writeStackConfig } from "./engine";
import { runStack } from "./stackRun";

const STACK = `itest-checks-${process.pid}`;

jest.setTimeout(5 * 60 * 1000);

/** The dev stack's config with its one service changed. */
function withService(change: Record<string, unknown>, more: Record<string, unknown> = {}): Record<string, unknown> {
    const config = devStackConfig();
    const services = config["coverage-spy:services"] as Array<Record<string, unknown>>;
    return { ...config, "coverage-spy:services": [{ ...services[0], ...change }], ...more };
}

function expectNothingCreated(): void {
    for (const kind of ["container", "volume", "network"] as const) expect(labelledObjects(kind, STACK)).toEqual([]);
}

describe("input the engine's preview refuses before any object exists", () => {
    afterAll(() => {
        runStack("destroy", STACK);
        removeStackConfig(STACK);
    });

    it("refuses a testCommand written as a YAML list, with the one line it wants", () => {
        writeStackConfig(STACK, { ...devStackConfig(), "coverage-spy:testCommand": ["python3", "-m", "unittest"] });
        const run = runStack("preview", STACK);
        expect(run.status).toBe(1);
        expect(run.output).toContain(
            'testCommand must be a string (one shell command line), got a list ["python3","-m","unittest"]; ' +
                'write it as one line: testCommand: "python3 -m unittest"',
        );
        expectNothingCreated();
    });

    it("refuses a root sourcePath and a 2 MiB variable, naming the service, the variable and the limit", () => {
        writeStackConfig(STACK, withService({ sourcePath: "/", env: { DEMO_WORKERS: "3", BIG: "b".repeat(2 << 20) } }));
        const run = runStack("up", STACK);
        expect(run.status).toBe(1);
        expect(run.output).toContain(
            'services[0].sourcePath "/" is the whole filesystem, which coverage.py does not measure',
        );
        expect(run.output).toContain(
            'services[0].env.BIG (service demo) makes an environment string ("BIG=…") of 2097156 bytes: Linux ' +
                "passes none longer than 131071 bytes to a program",
        );
        expectNothingCreated();
    });

    it("finds a sourcePath the image lacks before the first container, even on up", () => {
        writeStackConfig(STACK, withService({ sourcePath: "/srv/no-such-app" }));
        const run = runStack("up", STACK);
        expect(run.status).toBe(1);
        expect(run.output).toContain(
            "services[0].sourcePath /srv/no-such-app (service demo) does not exist in image " +
                "coverage-spy/demo-app:latest: give the folder inside the image that holds the service's Python code " +
                "(the image's working directory is /app)",
        );
        expectNothingCreated();
    });

    it("names a container of the stack's name that is not the stack's, and leaves it as it was", () => {
        const name = stackObjectName(STACK, "demo");
        const state = () => docker("container", "inspect", "--format", "{{.Id}} {{.State.Status}} {{.Created}}", name);
        docker("create", "--name", name, "--label", "coverage-spy.stack=someone-elses", "coverage-spy/base:trixie");
        try {
            const before = state();
            writeStackConfig(STACK, devStackConfig());
            const run = runStack("up", STACK);
            expect(run.status).toBe(1);
            expect(run.output).toContain(
                `container name ${name} is taken by a container that is not this stack's (its labels say stack ` +
                    `"someone-elses", project none): if you no longer need it, remove it with docker rm -f ${name}`,
            );
            expect(state()).toBe(before);
            expectNothingCreated();
        } finally {
            docker("rm", "-f", name);
        }
    });
});
