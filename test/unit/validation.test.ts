import * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStackArgs, Service } from "../../components/options/args";
import { validateStackArgs } from "../../components/options/validation";
import { tempDir } from "./fixtures";

/** An assets folder without the spy image's files. */
const emptyFolder = tempDir();
const service: Service = { name: "api", image: "api:prod", sourcePath: "/app", ports: [{ internal: 8000 }] };

function args(overrides: Partial<CoverageSpyStackArgs> = {}): CoverageSpyStackArgs {
    return { services: [service], testCommand: "pytest", ...overrides };
}

function problemsOf(a: unknown): string {
    try {
        validateStackArgs(a as CoverageSpyStackArgs);
    } catch (err) {
        return (err as Error).message;
    }
    return "";
}

describe("validateStackArgs", () => {
    it("accepts a complete, valid configuration", () => {
        expect(
            problemsOf(
                args({
                    services: [
                        {
                            ...service,
                            env: { MODE: "x" },
                            healthcheck: { test: ["CMD", "true"] },
                            stopGraceSeconds: 10,
                            hostSourcePath: tempDir(),
                        },
                    ],
                    coverage: {
                        branch: true,
                        core: "sysmon",
                        paths: { src: ["/host/src", "/app"] },
                        excludeLines: ["# pragma: no cover"],
                    },
                    failUnder: 80,
                    keepRuns: 3,
                    testWorkingDir: tempDir(),
                    runId: "run-1",
                }),
            ),
        ).toBe("");
    });

    const cases: Array<[string, unknown, string]> = [
        ["no services", args({ services: [] }), "services: at least one service is required"],
        [
            "a remote engine's TCP probe of a port it does not publish",
            args({ remoteEngine: true, services: [{ ...service, readinessTcpPort: 5432 }] }),
            "services[0].readinessTcpPort 5432: on a remote engine the port is probed where it is published; add it to ports",
        ],
        [
            "a service host with a scheme",
            args({ serviceHost: "http://10.0.0.5" }),
            'serviceHost "http://10.0.0.5" must be a host name or an IPv4 address (no scheme, port or path)',
        ],
        [
            "remoteEngine not a boolean",
            args({ remoteEngine: "yes" as unknown as boolean }),
            "remoteEngine must be true or false",
        ],
        [
            "duplicate names",
            args({ services: [service, { ...service, ports: [] }] }),
            'services[1].name "api" is already used by services[0]',
        ],
        [
            "a name Docker rejects",
            args({ services: [{ ...service, name: "my api" }] }),
            'services[0].name "my api" is not a valid Docker name',
        ],
        [
            "a name starting with a dash",
            args({ services: [{ ...service, name: "-api" }] }),
            'services[0].name "-api" is not a valid Docker name',
        ],
        [
            "the harvester's name",
            args({ services: [{ ...service, name: "harvester" }] }),
            'services[0].name "harvester" is taken by coverage-spy\'s own harvester container; name the service differently (prepare, harvester, contexts, spy-install are reserved)',
        ],
        [
            "the spy install container's name",
            args({ services: [{ ...service, name: "spy-install" }] }),
            'services[0].name "spy-install" is taken by coverage-spy\'s own spy-install container',
        ],
        [
            "the prepare container's name",
            args({ services: [{ ...service, name: "prepare" }] }),
            'services[0].name "prepare" is taken by coverage-spy\'s own prepare container',
        ],
        [
            "names giving the same URL variable",
            args({ services: [service, { ...service, name: "API", ports: [] }] }),
            "both give the test variable COVERAGE_SPY_API_URL",
        ],
        [
            "a port out of range",
            args({ services: [{ ...service, ports: [{ internal: 70000 }] }] }),
            "services[0].ports[0].internal must be a whole number from 1 to 65535, got 70000",
        ],
        [
            "a host port used twice",
            args({
                services: [
                    { ...service, ports: [{ internal: 80, external: 8080 }] },
                    { ...service, name: "web", ports: [{ internal: 81, external: 8080 }] },
                ],
            }),
            "services[1].ports[0].external 8080 is already used by services[0].ports[0]",
        ],
        [
            "an internal port listed twice",
            args({ services: [{ ...service, ports: [{ internal: 80 }, { internal: 80 }] }] }),
            "services[0].ports[1].internal 80 is listed twice",
        ],
        [
            "a relative source path",
            args({ services: [{ ...service, sourcePath: "app" }] }),
            'services[0].sourcePath must be an absolute path inside the container, got "app"',
        ],
        [
            "a missing host source path",
            args({ services: [{ ...service, hostSourcePath: "/nonexistent/src" }] }),
            "services[0].hostSourcePath does not exist: /nonexistent/src",
        ],
        ["an empty test command", args({ testCommand: "  " }), "testCommand must be a non-empty shell command"],
        [
            "a test PYTHONPATH from another resource (coverage-spy extends it)",
            args({ testEnv: { PYTHONPATH: pulumi.output("/src") } }),
            "testEnv.PYTHONPATH must be a plain string: coverage-spy puts its test runner's folder before it",
        ],
        [
            "a test environment value neither a string nor an Output",
            args({ testEnv: { PORT: 8000 } } as unknown as Partial<CoverageSpyStackArgs>),
            "testEnv.PORT must be a string or a Pulumi Output (a secret, say)",
        ],
        ["a threshold above 100", args({ failUnder: 101 }), "failUnder must be a number from 0 to 100, got 101"],
        ["a negative threshold", args({ failUnder: -1 }), "failUnder must be a number from 0 to 100, got -1"],
        [
            "an unknown option",
            args({ testComand: "x" } as unknown as CoverageSpyStackArgs),
            'args: unknown option "testComand"',
        ],
        [
            "an unknown service option",
            args({ services: [{ ...service, ports: [], volumes: [] } as unknown as Service] }),
            'services[0]: unknown option "volumes"',
        ],
        [
            "an unknown coverage option",
            args({ coverage: { brnch: true } as never }),
            'coverage: unknown option "brnch"',
        ],
        [
            "an unknown core",
            args({ coverage: { core: "fast" as never } }),
            "coverage.core must be one of auto, ctrace, pytrace, sysmon",
        ],
        [
            "a negative save interval",
            args({ coverage: { saveIntervalSeconds: -1 } }),
            "coverage.saveIntervalSeconds must be a number of seconds from 0 (off) to 3600",
        ],
        [
            "a signal the app needs",
            args({ coverage: { snapshotSignal: "SIGTERM" } }),
            'coverage.snapshotSignal must be "off", SIGUSR1, SIGUSR2, SIGRTMIN+n or SIGRTMAX-n (n from 0 to 15), got "SIGTERM"',
        ],
        [
            "one signal for snapshot and reset",
            args({ coverage: { snapshotSignal: "SIGUSR2", resetSignal: "SIGUSR2" } }),
            "coverage.snapshotSignal and coverage.resetSignal must differ (both SIGUSR2)",
        ],
        [
            "an unknown patch",
            args({ coverage: { patch: ["exit" as never] } }),
            'coverage.patch: "exit" is not one of _exit, execv, fork, subprocess',
        ],
        [
            "a paths group with one entry",
            args({ coverage: { paths: { src: ["/app"] } } }),
            "coverage.paths.src needs a canonical path and at least one other",
        ],
        [
            "a line break in an option",
            args({ coverage: { omit: ["a\nb"] } }),
            // Shown as JSON writes it, so the line break is seen.
            'coverage.omit: "a\\nb" must not contain a line break',
        ],
        [
            "a spy variable set by the user",
            args({ services: [{ ...service, env: { COVERAGE_FILE: "/x" } }] }),
            "services[0].env.COVERAGE_FILE is set by coverage-spy and must not be given",
        ],
        [
            "a mount over the spy's folder",
            args({
                services: [{ ...service, mounts: [{ source: "v", target: "/opt/coverage-spy/x", type: "volume" }] }],
            }),
            "services[0].mounts[0].target /opt/coverage-spy/x is reserved for coverage-spy",
        ],
        [
            "a missing bind source",
            args({ services: [{ ...service, mounts: [{ source: "/nonexistent/data", target: "/data" }] }] }),
            "services[0].mounts[0].source does not exist: /nonexistent/data",
        ],
        ["a bad run id", args({ runId: "a b" }), 'runId "a b" must be 1–64 letters'],
        [
            "a spy image name a shell would split",
            args({ spyImage: "team/spy:1 --privileged" }),
            'spyImage "team/spy:1 --privileged" must be an image name such as python:3.13-slim',
        ],
        ["an empty spy base image", args({ spyBaseImage: "" }), 'spyBaseImage "" must be an image name'],
        [
            "an assets folder without the spy image's Dockerfile",
            args({ assetsDir: emptyFolder }),
            `assetsDir ${emptyFolder} has no image/Dockerfile, from which the spy image is built: give a copy of this package's coverage-spy/ folder, or a ready image with spyImage`,
        ],
        [
            "a relative report folder",
            args({ reportDir: "reports" }),
            'reportDir must be an absolute path, got "reports"',
        ],
        [
            "a zero grace period",
            args({ services: [{ ...service, stopGraceSeconds: 0 }] }),
            "services[0].stopGraceSeconds must be a whole number from 1 to 600, got 0",
        ],
        [
            "a readiness path without a slash",
            args({ services: [{ ...service, readinessPath: "healthz" }] }),
            'services[0].readinessPath must start with "/"',
        ],
        [
            "an unknown lost-process mode",
            args({ lostProcesses: "ignore" as never }),
            'lostProcesses must be "warn" or "fail", got "ignore"',
        ],
        ["a missing image", args({ services: [{ ...service, image: "" }] }), "services[0].image is required"],
        [
            "a gate on an unknown service",
            args({ failUnderPerService: { web: 80 } }),
            'failUnderPerService names an unknown service "web" (services: api)',
        ],
        [
            "maxDrop without a base stack",
            args({ maxDrop: 1 }),
            "maxDrop needs baseStack: the stack whose coverage it compares with",
        ],
        [
            "a base stack that is no stack name",
            args({ baseStack: "a b" }),
            'baseStack "a b" must be a stack name ("main") or "organization/project/stack"',
        ],
        [
            "a relative working directory",
            args({ services: [{ ...service, workingDir: "srv" }] }),
            'services[0].workingDir must be an absolute path inside the container, got "srv"',
        ],
    ];

    it.each(cases)("rejects %s", (_label, input, message) => {
        const problems = problemsOf(input);
        expect(problems).toContain("invalid coverage-spy input");
        expect(problems).toContain(message);
    });

    it("accepts a Pulumi secret in a service's environment, and services it does not measure", () => {
        expect(
            problemsOf(
                args({
                    services: [
                        { ...service, env: { DB_PASSWORD: pulumi.secret("pw") }, dependsOn: ["db"] },
                        { name: "db", image: "pg", instrument: false, readinessTcpPort: 5432 },
                    ],
                }),
            ),
        ).toBe("");
    });

    it("lists every problem at once", () => {
        const problems = problemsOf(
            args({ testCommand: "", failUnder: 200, services: [{ ...service, sourcePath: "x" }] }),
        );
        expect(problems.split("\n  - ")).toHaveLength(4);
    });
});
