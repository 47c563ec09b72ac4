import { stackObjectName } from "../../components/shared/naming";
import { Service } from "../../components/options/args";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { docker } from "./engine";
import { StackInput, demoService, destroyStack, stackRun, upStack } from "./stackRun";

jest.setTimeout(10 * 60 * 1000);

/** Commands that say one line and exit 3, as a service with a wrong setting does: at once, or after its start-up. */
const EXITS = {
    "at once": ["sh", "-c", "echo boom; exit 3"],
    "after its start-up": ["python3", "-c", "import sys; print('boom', flush=True); sys.exit(3)"],
};

/** The last lines a user reads after a failed run. */
function lastLines(output: string, n: number): string {
    return output.trimEnd().split("\n").slice(-n).join("\n");
}

describe("a service whose command exits", () => {
    const stacks: string[] = [];
    afterAll(() => stacks.forEach((s) => destroyStack(s)));
    function input(name: string, service: Service, config: Record<string, unknown> = {}): StackInput {
        const stack = `itest-${name}-${process.pid}`;
        stacks.push(stack);
        return { stack, service, testCommand: DEMO_TEST_COMMAND, config };
    }

    it.each(Object.entries(EXITS))(
        "that exits %s fails the up naming it, its exit code and its last log line",
        (when, command) => {
            const bad = input(`exits${when === "at once" ? "" : "late"}`, { ...demoService(DEMO_IMAGE), command });
            const up = upStack(bad);
            expect(up.status).toBe(1);
            expect(lastLines(up.output, 1)).toMatch(
                /\[coverage-spy\] error: service demo stopped before it was ready \(exit code 3; its last log lines are above\): check its command, entrypoint and env$/,
            );
            expect(lastLines(up.output, 40)).toMatch(/^\s*boom$/m);
            expect(up.output).not.toContain("container exited immediately");
            // The container is kept, with its exit code, for `docker logs`.
            expect(
                docker("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", stackObjectName(bad.stack, "demo")),
            ).toBe("false 3");
            // Once its command is fixed, the next up runs with nothing done by hand.
            const fixed = upStack({ ...bad, service: demoService(DEMO_IMAGE) });
            expect(stackRun(bad, fixed).summary.tests.succeeded).toBe(true);
        },
    );

    it("that others depend on: the readiness wait names it, its exit code and its last log line", () => {
        const demo = demoService(DEMO_IMAGE);
        const db: Service = {
            name: "db",
            image: DEMO_IMAGE,
            instrument: false,
            command: EXITS["at once"],
            readinessTcpPort: 5432,
        };
        const bad = input("exitsdep", demo, { services: [db, { ...demo, dependsOn: ["db"] }] });
        const up = upStack(bad);
        expect(up.status).toBe(1);
        expect(lastLines(up.output, 40)).toMatch(
            /\[coverage-spy\] error: service db stopped before it was ready \(exit code 3; its last log lines are above\): check its command, entrypoint and env/,
        );
        expect(lastLines(up.output, 60)).toMatch(/^\s*boom$/m);
        expect(up.output).not.toContain("container exited immediately");
    });
});
