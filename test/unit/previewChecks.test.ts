import * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStackArgs, Service } from "../../components/options/args";
import {
    COVERAGE_OPTIONS,
    HEALTHCHECK_OPTIONS,
    MOUNT_OPTIONS,
    OptionSpec,
    SERVICE_OPTIONS,
    STACK_OPTIONS,
} from "../../components/options/optionTable";
import { MAX_ENV_STRING_BYTES, shownValue, validateStackArgs } from "../../components/options/validation";
import { readStackConfig, stackArgsFromConfig } from "../../components/programConfig";
import { foreignContainerProblems, imageSourceChecks, sourcePathProblem } from "../../components/engine/imageChecks";
import { ResolvedService } from "../../components/options/resolveArgs";
import { formatDiagnostics } from "../../cli/output/updateReport";
import { engineAccess } from "../../components/engine/engineAccess";
import { fakeDockerOnPath, tempDir } from "./fixtures";
import { installMockEngine } from "./mockEngine";

installMockEngine();

const service: Service = { name: "api", image: "api:prod", sourcePath: "/app", ports: [{ internal: 8000 }] };

function args(overrides: Partial<CoverageSpyStackArgs> = {}): CoverageSpyStackArgs {
    return { services: [service], testCommand: "pytest", ...overrides };
}

/** The problems validation lists for `a`, one per entry; none when it accepts it. */
function problemsOf(a: unknown): string[] {
    try {
        validateStackArgs(a as CoverageSpyStackArgs);
    } catch (err) {
        return (err as Error).message.split("\n  - ").slice(1);
    }
    return [];
}

type Table = Record<string, OptionSpec<unknown>>;

/** The string-valued options of a table. */
function stringOptions(table: Table): string[] {
    return Object.entries(table)
        .filter(([, spec]) => spec.kind === "string" || spec.kind === "path")
        .map(([key]) => key);
}

/** Where each table's options sit in the stack's arguments, with the arguments holding `value` there. */
const PLACES: Array<[string, Table, (key: string, value: unknown) => unknown]> = [
    ["", STACK_OPTIONS, (key, value) => args({ [key]: value })],
    ["services[0].", SERVICE_OPTIONS, (key, value) => args({ services: [{ ...service, [key]: value }] })],
    [
        "services[0].mounts[0].",
        MOUNT_OPTIONS,
        (key, value) =>
            args({ services: [{ ...service, mounts: [{ source: tempDir(), target: "/data", [key]: value }] }] }),
    ],
    [
        "services[0].healthcheck.",
        HEALTHCHECK_OPTIONS,
        (key, value) => args({ services: [{ ...service, healthcheck: { test: ["CMD", "true"], [key]: value } }] }),
    ],
    ["coverage.", COVERAGE_OPTIONS, (key, value) => args({ coverage: { [key]: value } })],
];

const STRING_CASES = PLACES.flatMap(([prefix, table, place]) =>
    stringOptions(table).flatMap((key) => [
        [`${prefix}${key}`, "a list", place(key, ["python3", "-m", "unittest"])],
        [`${prefix}${key}`, "a map", place(key, { run: "tests" })],
    ]),
) as Array<[string, string, unknown]>;

describe("string options given a YAML list or map", () => {
    it("covers every string option of every table", () => {
        expect(STRING_CASES.map(([where]) => where)).toEqual(
            expect.arrayContaining(["testCommand", "services[0].image", "services[0].user", "coverage.core"]),
        );
    });

    it.each(STRING_CASES)("refuses %s given %s, once, naming the shape it wants", (where, shape, input) => {
        const about = problemsOf(input).filter((p) => p.startsWith(`${where} `) || p.startsWith(`${where}.`));
        expect(about).toEqual([expect.stringMatching(new RegExp(`^${escape(where)} must be .*, got ${shape} `))]);
    });

    it("shows a list given as testCommand written as the one line it wants, each word quoted for the shell", () => {
        expect(problemsOf(args({ testCommand: ["python3", "-m", "unittest", "it's"] as unknown as string }))).toEqual([
            `testCommand must be a string (one shell command line), got a list ["python3","-m","unittest","it's"]; ` +
                // The line as YAML (JSON's quoting) writes it: the shell's \' inside double quotes.
                `write it as one line: testCommand: "python3 -m unittest 'it'\\\\''s'"`,
        ]);
    });

    it("names the shape a number, a flag or a list option wants", () => {
        expect(
            problemsOf(
                args({
                    keepRuns: "3" as unknown as number,
                    perTestContexts: ["yes"] as unknown as boolean,
                    services: [{ ...service, command: "serve --fast" as unknown as string[] }],
                }),
            ),
        ).toEqual(
            expect.arrayContaining([
                'keepRuns must be a whole number, got a string "3"',
                'perTestContexts must be true or false, got a list ["yes"]',
                'services[0].command must be a list, got a string "serve --fast"',
            ]),
        );
    });

    it("still takes an image that is built in the program (an Output)", () => {
        expect(problemsOf(args({ services: [{ ...service, image: pulumi.output("api:built") }] }))).toEqual([]);
    });

    it("does not fail on a list or text where validation expects an object's parts", () => {
        const problems = problemsOf(
            args({
                services: [
                    {
                        ...service,
                        mounts: "/data:/data" as unknown as [],
                        healthcheck: ["CMD", "true"] as unknown as { test: string[] },
                    },
                ],
            }),
        );
        expect(problems).toEqual([
            'services[0].mounts must be a list, got a string "/data:/data"',
            'services[0].healthcheck must be an object (option: value), got a list ["CMD","true"]',
        ]);
    });
});

describe("stack config values read as text", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("hands a YAML list or map given for a string key on as what it is, for validation to name", () => {
        // The engine gives the program a YAML list or map as its JSON text.
        pulumi.runtime.setAllConfig(
            {
                "coverage-spy:testCommand": '["python3","-m","unittest"]',
                "coverage-spy:baseStack": '{"name":"main"}',
                "coverage-spy:runId": "run-1",
                "coverage-spy:spyImage": "[not json",
            },
            [],
        );
        expect(readStackConfig("coverage-spy")).toEqual({
            testCommand: ["python3", "-m", "unittest"],
            baseStack: { name: "main" },
            runId: "run-1",
            spyImage: "[not json",
        });
    });

    it("keeps shell commands that start with a bracket as text", () => {
        pulumi.runtime.setAllConfig({ "coverage-spy:testCommand": '[ -f setup.cfg ] && pytest "$ARGS"' }, []);
        expect(readStackConfig("coverage-spy").testCommand).toBe('[ -f setup.cfg ] && pytest "$ARGS"');
    });
});

describe("values validation echoes", () => {
    it("shows a long value by its first 80 characters and its length", () => {
        const long = "x".repeat(100_000);
        expect(shownValue(long)).toBe(`"${"x".repeat(79)}… (100000 characters)`);
        expect(shownValue("short")).toBe('"short"');
        const problems = problemsOf(
            args({
                runId: long,
                serviceHost: long,
                baseStack: long,
                services: [{ ...service, name: long, stopSignal: long, sourcePath: long, env: { [long]: "1" } }],
                coverage: { snapshotSignal: long, omit: [`${long}\n`], unknownOption: 1 } as unknown as object,
            }),
        );
        expect(problems.length).toBeGreaterThanOrEqual(8);
        for (const problem of problems) expect(problem.length).toBeLessThan(400);
        expect(problems.join("\n")).toContain("(100000 characters)");
    });
});

describe("a root sourcePath", () => {
    it.each(["/", "//"])("is refused with the fix: %s", (sourcePath) => {
        expect(problemsOf(args({ services: [{ ...service, sourcePath }] }))).toEqual([
            `services[0].sourcePath "${sourcePath}" is the whole filesystem, which coverage.py does not measure: ` +
                "give the folder inside the image that holds the service's Python code, e.g. /app",
        ]);
    });
});

describe("environment values too long for Linux to pass to a process", () => {
    const limit = MAX_ENV_STRING_BYTES;
    // "XY=" and the string's closing NUL count: measured on the engine, 131068 characters pass and 131069 fail.
    const fitting = "a".repeat(limit - "XY=".length - 1);

    it("takes the longest value that fits", () => {
        expect(limit).toBe(131072);
        expect(
            problemsOf(args({ services: [{ ...service, env: { XY: fitting } }], testEnv: { XY: fitting } })),
        ).toEqual([]);
    });

    it("refuses one byte more, naming the service, the variable and the limit", () => {
        expect(problemsOf(args({ services: [{ ...service, env: { XY: `${fitting}é` } }] }))).toEqual([
            'services[0].env.XY (service api) makes an environment string ("XY=…") of 131073 bytes: Linux passes ' +
                "none longer than 131071 bytes to a program (MAX_ARG_STRLEN, 128 KiB with its closing NUL), so the " +
                'service could not start ("argument list too long"); pass a value this large in a file instead (a mount)',
        ]);
    });

    it("refuses a 2 MiB test variable, and a 2 MiB secret", () => {
        const big = "b".repeat(2 * 1024 * 1024);
        expect(problemsOf(args({ testEnv: { BIG: big } }))).toEqual([
            expect.stringMatching(
                /^testEnv\.BIG makes an environment string \("BIG=…"\) of 2097156 bytes: .* so the test command could not start/,
            ),
        ]);
        expect(() => stackArgsFromConfig({ services: [service], secretEnv: { api: { TOKEN: big } } }, "/p")).toThrow(
            /config: secretEnv\.api\.TOKEN \(service api\) makes an environment string \("TOKEN=…"\) of 2097158 bytes: .*none longer than 131071 bytes/,
        );
    });
});

describe("what preview reads in the service's image", () => {
    const check = { where: "services[0]", service: "api", image: "api:prod", sourcePath: "/srv/api" };

    it("says nothing of a folder that is there, or when the image could not tell", () => {
        expect(sourcePathProblem(check, { status: 0, stdout: "dir\t/app\n", stderr: "" })).toBeUndefined();
        expect(
            sourcePathProblem(check, { status: 127, stdout: "", stderr: 'exec: "python3": executable file not found' }),
        ).toBeUndefined();
    });

    it("names a missing folder, the image and where its working directory is", () => {
        expect(sourcePathProblem(check, { status: 0, stdout: "missing\t/app\n", stderr: "" })).toBe(
            "services[0].sourcePath /srv/api (service api) does not exist in image api:prod: give the folder inside " +
                "the image that holds the service's Python code (the image's working directory is /app)",
        );
    });

    it("names a file given as the folder", () => {
        expect(sourcePathProblem(check, { status: 0, stdout: "file\t/\n", stderr: "" })).toBe(
            "services[0].sourcePath /srv/api (service api) is a file in image api:prod, not a folder: give the folder " +
                "that holds it (/srv)",
        );
    });

    it("looks only where the image alone decides: measured services, named images, no mount there", () => {
        const base = { instrument: true, image: "shop:prod", sourcePath: "/app", mounts: [] };
        const services = [
            { ...base, name: "web" },
            { ...base, name: "db", instrument: false },
            { ...base, name: "built", image: pulumi.output("shop:built") },
            { ...base, name: "mounted", mounts: [{ source: "/src", target: "/app", type: "bind", readOnly: true }] },
            { ...base, name: "below", sourcePath: "/app/pkg", mounts: [{ source: "/s", target: "/app" }] },
            { ...base, name: "beside", sourcePath: "/application", mounts: [{ source: "/s", target: "/app" }] },
        ] as unknown as ResolvedService[];
        expect(imageSourceChecks(services).map((c) => `${c.where} ${c.service}`)).toEqual([
            "services[0] web",
            "services[5] beside",
        ]);
    });

    it("names a container that holds a name the stack needs, and how to free it", () => {
        const names = ["coverage-spy-dev-api", "coverage-spy-dev-harvester", "coverage-spy-dev-prepare"];
        const inspected = [
            "coverage-spy-dev-api\tdev\tcoverage-spy",
            "coverage-spy-dev-harvester\t\t",
            "coverage-spy-dev-prepare\tother\tcoverage-spy",
        ].join("\n");
        expect(foreignContainerProblems(names, inspected, { stack: "dev", project: "coverage-spy" })).toEqual([
            "container name coverage-spy-dev-harvester is taken by a container that is not this stack's (it has no " +
                "coverage-spy labels): if you no longer need it, remove it with docker rm -f coverage-spy-dev-harvester; " +
                "else run coverage-spy under another stack name",
            "container name coverage-spy-dev-prepare is taken by a container that is not this stack's (its labels say " +
                'stack "other", project "coverage-spy"): if you no longer need it, remove it with docker rm -f ' +
                "coverage-spy-dev-prepare; else run coverage-spy under another stack name",
        ]);
    });
});

describe("Docker's name conflict, said by the engine", () => {
    it("gets the container's name and the command that frees it", () => {
        const message =
            'docker:index/container:Container resource \'api\' has a problem: Unable to create container: Error response from daemon: Conflict. The container name "/coverage-spy-dev-api" is already in use by container "0123abcd". You have to remove (or rename) that container to be able to reuse that name.';
        expect(formatDiagnostics([{ severity: "error", resource: "api", message }])).toContain(
            "  hint: the container name coverage-spy-dev-api is taken by a container this stack does not own " +
                "(0123abcd): if you no longer need it, remove it with `docker rm -f coverage-spy-dev-api`",
        );
    });
});

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("an unknown stack config key", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("is named by its first characters when it is long", () => {
        pulumi.runtime.setAllConfig({ [`coverage-spy:${"k".repeat(100_000)}`]: "1" }, []);
        expect(() => readStackConfig("coverage-spy")).toThrow(
            `config: unknown key "coverage-spy:${"k".repeat(66)}… (100013 characters) (known: services,`,
        );
    });
});

describe("the engine checks", () => {
    it("look at a folder that services share in one image once", () => {
        const docker = fakeDockerOnPath({ "shop:prod": '["PATH=/usr/bin"]' });
        const component = new pulumi.ComponentResource("test:index:Checked", "checked");
        const source = { image: "shop:prod", sourcePath: "/app" };
        engineAccess(component, [{ owner: "service web", image: "shop:prod" }], false, (m) => new Error(m), {
            sources: [
                { where: "services[0]", service: "web", ...source },
                { where: "services[1]", service: "worker", ...source },
                { where: "services[2]", service: "admin", ...source, user: "admin" },
            ],
            containerNames: [],
        });
        const probes = docker.calls().filter((call) => call.startsWith("run "));
        expect(probes).toHaveLength(2);
        expect(probes[1]).toContain("--user admin");
    });

    it("do not probe again what an earlier run's service container of the stack proves of the same image", () => {
        const image = (id: string) => `["PATH=/usr/bin"]\tsha256:${id}\tnull\tapp`;
        const container = (name: string, stack: string, id: string, sourcePath: string, mounts = "[]") =>
            [`/coverage-spy-dev-${name}`, stack, "coverage-spy", `sha256:${id}`, "app", sourcePath, mounts].join("\t");
        const docker = fakeDockerOnPath(
            { "shop:prod": image("shop"), "shop:next": image("next") },
            [
                container("web", "dev", "shop", "/app"),
                container("api", "dev", "shop", "/srv", '[{"Type":"bind","Destination":"/srv"}]'),
                container("old", "other", "shop", "/opt"),
            ].join("\n"),
        );
        const component = new pulumi.ComponentResource("test:index:Checked", "rechecked");
        const check = (service: string, image: string, sourcePath: string, user?: string) => ({
            where: "services[0]",
            service,
            image,
            sourcePath,
            ...(user === undefined ? {} : { user }),
        });
        const checked = () =>
            engineAccess(component, [{ owner: "service web", image: "shop:prod" }], false, (m) => new Error(m), {
                sources: [
                    // Proved: the same image ID, folder and user (the image's own), no mount there.
                    check("web", "shop:prod", "/app"),
                    check("web2", "shop:prod", "/app", "app"),
                    // Not proved: another user, another image ID, a folder a mount covered, another stack's container.
                    check("admin", "shop:prod", "/app", "admin"),
                    check("next", "shop:next", "/app"),
                    check("api", "shop:prod", "/srv"),
                    check("old", "shop:prod", "/opt"),
                ],
                containerNames: ["coverage-spy-dev-web", "coverage-spy-dev-api", "coverage-spy-dev-old"],
                owner: { stack: "dev", project: "coverage-spy" },
            });
        // Another stack's container proves nothing, and holds a name this stack needs.
        expect(checked).toThrow("container name coverage-spy-dev-old is taken");
        const probes = docker.calls().filter((call) => call.startsWith("run "));
        expect(probes.map((call) => call.split(" -I -S ")[0].split(" ").slice(-1)[0])).toEqual([
            "shop:prod",
            "shop:next",
            "shop:prod",
            "shop:prod",
        ]);
        // The probe's code spans lines in the log: the folder it looks at ends its last line.
        const folders = docker.calls().filter((line) => line.startsWith("print("));
        expect(folders.map((line) => line.split(" ").pop())).toEqual(["/app", "/app", "/srv", "/opt"]);
        expect(probes[0]).toContain("--user admin");
    });
});
