import * as fs from "fs";
import * as path from "path";
import {
    CoverageOptions,
    CoverageSpyStackArgs,
    ServiceHealthcheck,
    ServiceMount,
    ServicePort,
} from "../../components/options/args";
import {
    COVERAGE_OPTIONS,
    HEALTHCHECK_OPTIONS,
    MOUNT_OPTIONS,
    OptionSpec,
    OptionTable,
    PORT_OPTIONS,
    SERVICE_OPTIONS,
    STACK_OPTIONS,
} from "../../components/options/optionTable";
import { ResolveContext, resolveArgs } from "../../components/options/resolveArgs";
import { validateStackArgs } from "../../components/options/validation";
import { CONFIG_KEYS } from "../../components/programConfig";
import { tempDir } from "./fixtures";

/** This package's spy assets, which hold the spy image's Dockerfile. */
const ASSETS_DIR = path.join(__dirname, "..", "..", "coverage-spy");

const REPO = path.join(__dirname, "..", "..");
type Table = Record<string, OptionSpec<unknown>>;

/** The option tables of the options reference (docs/options.md), by the line that introduces each. */
const DOC_TABLES: Array<[string, Table]> = [
    ["`CoverageSpyStackArgs` (", STACK_OPTIONS],
    ["`Service` (", SERVICE_OPTIONS],
    [
        "`ServicePort`, `ServiceMount` and `ServiceHealthcheck`",
        { ...PORT_OPTIONS, ...MOUNT_OPTIONS, ...HEALTHCHECK_OPTIONS },
    ],
    ["`CoverageOptions` (", COVERAGE_OPTIONS],
];

/** option → its cells (type, default, meaning) in the Markdown table that follows the line starting with `intro`. */
function docTable(page: string, intro: string): Map<string, { type: string; default: string }> {
    const lines = page.split("\n");
    const start = lines.findIndex((l) => l.startsWith(intro));
    if (start < 0) throw new Error(`docs/options.md has no line starting with ${intro}`);
    const rows = new Map<string, { type: string; default: string }>();
    let i = start + 1;
    while (i < lines.length && !lines[i].startsWith("|")) i++;
    for (i += 2; i < lines.length && lines[i].startsWith("|"); i++) {
        // Cells split on "|" not written as "\|".
        const cells = lines[i]
            .split(/(?<!\\)\|/)
            .slice(1, -1)
            .map((c) => c.trim());
        rows.set(cells[0].replace(/`/g, ""), { type: cells[1], default: cells[2] });
    }
    return rows;
}

/** How the options page writes a default: required, nothing, a literal in backticks, or words for a computed one. */
function expectedDefaultCell(spec: OptionSpec<unknown>): string | RegExp {
    if (spec.required) return "required";
    if (spec.computedDefault !== undefined) return /\S/;
    const value = spec.default;
    if (value === undefined) return "";
    if (Array.isArray(value)) return value.length === 0 ? "" : `\`${value.join(", ")}\``;
    if (typeof value === "object" && value !== null)
        return Object.keys(value).length === 0 ? "" : JSON.stringify(value);
    // A string as it is; a number, boolean or null as JSON writes it (the same text).
    return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}

describe("the options reference in docs/options.md", () => {
    const page = fs.readFileSync(path.join(REPO, "docs", "options.md"), "utf8");

    it.each(DOC_TABLES)("lists exactly the options of %s with their defaults", (intro, table) => {
        const rows = docTable(page, intro);
        expect([...rows.keys()].sort()).toEqual(Object.keys(table).sort());
        for (const [option, spec] of Object.entries(table)) {
            const expected = expectedDefaultCell(spec);
            if (typeof expected === "string")
                expect({ option, cell: rows.get(option)?.default }).toEqual({ option, cell: expected });
            else
                expect({ option, cell: rows.get(option)?.default }).toEqual({
                    option,
                    cell: expect.stringMatching(expected) as unknown,
                });
        }
    });

    // The plugin's schema types these integer for other languages (a Python int): the page says so too.
    it.each(DOC_TABLES)("types int exactly the integer options of %s", (intro, table) => {
        const rows = docTable(page, intro);
        const documentedInt = [...rows].filter(([, cells]) => cells.type === "int").map(([option]) => option);
        const integers = Object.entries(table).filter(([, spec]) => spec.kind === "integer");
        expect(documentedInt.sort()).toEqual(integers.map(([option]) => option).sort());
    });
});

describe("args.ts documentation", () => {
    const source = fs.readFileSync(path.join(REPO, "components", "options", "args.ts"), "utf8");

    /** The JSDoc "Default: ..." text of each field of an interface. */
    function documentedDefaults(iface: string): Map<string, string> {
        const body = source.slice(source.indexOf(`export interface ${iface} {`));
        const block = body.slice(0, body.indexOf("\n}"));
        const found = new Map<string, string>();
        for (const match of block.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(\w+)\??:/g)) {
            const text = match[1].replace(/\n\s*\*\s?/g, " ").replace(/\s+/g, " ");
            const def = /Default: (.*)$/.exec(text);
            if (def) found.set(match[2], def[1].trim());
        }
        return found;
    }

    it.each([
        ["CoverageSpyStackArgs", STACK_OPTIONS],
        ["Service", SERVICE_OPTIONS],
        ["ServicePort", PORT_OPTIONS],
        ["ServiceMount", MOUNT_OPTIONS],
        ["ServiceHealthcheck", HEALTHCHECK_OPTIONS],
        ["CoverageOptions", COVERAGE_OPTIONS],
    ] as Array<[string, Table]>)("states the table's written defaults in %s", (iface, table) => {
        const documented = documentedDefaults(iface);
        for (const [option, spec] of Object.entries(table)) {
            const value = spec.default;
            const isEmpty =
                value === undefined || (typeof value === "object" && value !== null && Object.keys(value).length === 0);
            if (isEmpty) continue;
            expect({ option, doc: documented.get(option) }).toEqual({
                option,
                doc: expect.stringContaining(JSON.stringify(value).replace(/,/g, ", ")) as unknown,
            });
        }
    });
});

describe("the option tables", () => {
    it("are checked by the compiler against the Args interfaces", () => {
        // @ts-expect-error: a table that forgets an option does not compile
        const forgotten: OptionTable<ServicePort> = { internal: { kind: "number", required: true } };
        const portSpecs = { internal: { kind: "number" }, external: { kind: "number" } } as const;
        // @ts-expect-error: nor one that invents an option
        const invented: OptionTable<ServicePort> = { ...portSpecs, host: { kind: "string" } };
        const wrongDefault = { kind: "boolean", default: "no" } as const;
        // @ts-expect-error: nor a default of the wrong type
        const mistyped: OptionTable<Pick<ServiceMount, "readOnly">> = { readOnly: wrongDefault };
        expect([forgotten, invented, mistyped]).toHaveLength(3);
    });

    it("give the stack config its keys: every component option, compose and secretEnv", () => {
        expect(Object.keys(CONFIG_KEYS).sort()).toEqual([...Object.keys(STACK_OPTIONS), "compose", "secretEnv"].sort());
        expect(CONFIG_KEYS).toEqual(
            expect.objectContaining({
                services: "object",
                testTimeoutSeconds: "number",
                reportDir: "string",
                failOnTestFailure: "boolean",
            }),
        );
    });
});

describe("resolveArgs", () => {
    const context = (): ResolveContext => ({
        stack: "dev",
        projectDir: "/work/project",
        defaultDockerHost: undefined,
        defaultAssetsDir: () => "/lib/coverage-spy",
        newRunId: () => "run-fresh",
    });
    const minimal = (): CoverageSpyStackArgs => ({
        services: [{ name: "api", image: "api:prod", sourcePath: "/app/" }],
        testCommand: "pytest",
    });

    it("applies every written default, at every level", () => {
        const resolved = resolveArgs(
            {
                ...minimal(),
                services: [
                    {
                        name: "api",
                        image: "api:prod",
                        sourcePath: "/app",
                        healthcheck: { test: ["CMD", "true"] },
                        mounts: [{ source: "/data", target: "/data" }],
                        ports: [{ internal: 8000 }],
                    },
                ],
            },
            context(),
        );
        expect(resolved).toEqual(
            expect.objectContaining({
                testEnv: {},
                testTimeoutSeconds: 1800,
                failOnTestFailure: true,
                spyBaseImage: "python:3.13-slim",
                lostProcesses: "warn",
                keepRuns: 5,
                coverage: {
                    source: [],
                    omit: [],
                    branch: false,
                    concurrency: [],
                    excludeLines: [],
                    paths: {},
                    core: "auto",
                    patch: ["_exit", "execv", "subprocess"],
                    saveIntervalSeconds: 5,
                    snapshotSignal: "SIGRTMIN+4",
                    resetSignal: "SIGRTMIN+5",
                },
            }),
        );
        expect(resolved.services[0]).toEqual({
            name: "api",
            image: "api:prod",
            sourcePath: "/app",
            env: {},
            ports: [{ internal: 8000 }],
            mounts: [{ source: "/data", target: "/data", type: "bind", readOnly: false }],
            healthcheck: { test: ["CMD", "true"], interval: "2s", timeout: "2s", retries: 30, startPeriod: "0s" },
            instrument: true,
            dependsOn: [],
            readinessPath: "/",
            readinessTimeoutSeconds: 60,
            stopGraceSeconds: 30,
            stopSignal: "SIGTERM",
        });
        // Options without a default stay unset.
        expect(Object.keys(resolved)).not.toContain("failUnder");
        expect(resolved.services[0].ports[0].external).toBeUndefined();
    });

    it("computes the defaults that depend on where the program runs", () => {
        const resolved = resolveArgs(minimal(), context());
        expect(resolved).toEqual(
            expect.objectContaining({
                testWorkingDir: "/work/project",
                reportDir: "/work/project/reports/dev",
                assetsDir: "/lib/coverage-spy",
                runId: "run-fresh",
            }),
        );
        // No ready spy image unless one is named: coverage-spy builds its own.
        expect(Object.keys(resolveArgs(minimal(), context()))).not.toContain("spyImage");
    });

    it("keeps every value given, and looks nothing up for it", () => {
        const given = {
            testWorkingDir: "/t",
            reportDir: "/r",
            assetsDir: "/a",
            spyBaseImage: "company/python:3.12",
            spyImage: "registry.example/team/spy:1",
            runId: "mine",
            keepRuns: 2,
        };
        const fail = (what: string) => () => {
            throw new Error(what);
        };
        const resolved = resolveArgs(
            { ...minimal(), ...given, coverage: { branch: true, patch: [] } },
            { ...context(), defaultAssetsDir: fail("looked up"), newRunId: fail("made") },
        );
        expect(resolved).toEqual(expect.objectContaining(given));
        expect(resolved.coverage).toEqual(expect.objectContaining({ branch: true, patch: [] }));
    });

    it("normalises the source path, changes nothing it was given, and shares no default", () => {
        const args = minimal();
        const before = JSON.stringify(args);
        const first = resolveArgs(args, context());
        expect(first.services[0].sourcePath).toBe("/app");
        expect(JSON.stringify(args)).toBe(before);
        first.coverage.patch.push("fork");
        first.services[0].env.X = "1";
        const second = resolveArgs(minimal(), context());
        expect(second.coverage.patch).toEqual(["_exit", "execv", "subprocess"]);
        expect(second.services[0].env).toEqual({});
    });

    it("gives defaults that pass validation", () => {
        const resolved = resolveArgs(minimal(), {
            ...context(),
            projectDir: tempDir(),
            defaultAssetsDir: () => ASSETS_DIR,
        });
        expect(() => validateStackArgs(resolved)).not.toThrow();
    });

    it("passes input it cannot read on unchanged, for validation to name", () => {
        const resolved = resolveArgs(
            { services: "api", testCommand: "x", coverage: [] } as unknown as CoverageSpyStackArgs,
            context(),
        );
        expect(resolved.services).toBe("api");
        expect(resolved.coverage).toEqual([]);
        expect(() => validateStackArgs(resolved)).toThrow(
            /services must be a list, got a string "api"[\s\S]*coverage must be an object/,
        );
    });
});

// The interfaces are imported for the compile-time checks above.
export type Checked = [CoverageOptions, ServiceHealthcheck];
