import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labelledObjects } from "../../cli/recovery/recovery";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_IMAGE } from "./demoExpectations";
import { REPO_ROOT, docker, spyBaseImage } from "./engine";
import {
    FRESH_PROJECT,
    FRESH_SUITE,
    FreshProject,
    createFreshProject,
    expectDemoLines,
    packCheckout,
} from "./freshProject";
import {
    DemoValues,
    LanguageProject,
    StepTimes,
    createLanguageProject,
    docsProgram,
    pythonWithDemoValues,
    yamlWithDemoValues,
} from "./languageProjects";

jest.setTimeout(60 * 60 * 1000);

type Language = "typescript" | "python" | "yaml";
const LANGUAGES: readonly Language[] = ["typescript", "python", "yaml"];

/** Runs `action`, adding its seconds to `times[step]`. */
function timed<T>(times: StepTimes, step: string, action: () => T): T {
    const started = process.hrtime.bigint();
    try {
        return action();
    } finally {
        times[step] = (times[step] ?? 0) + Number(process.hrtime.bigint() - started) / 1e9;
    }
}

/** What must not depend on the program's language: the totals, and the lines executed and missed in each file. */
function measuredLines(summary: CoverageSummary): unknown {
    const files = summary.files
        .map((f) => ({ service: f.service, path: f.path, executed: f.executedLines, missing: f.missingLines }))
        .sort((a, b) => a.path.localeCompare(b.path));
    return { totals: summary.totals, files };
}

/** Every key path of a JSON value (`files[].executedLines`), sorted: its shape without its values. */
function keyPaths(value: unknown, prefix = ""): string[] {
    const paths = new Set<string>();
    if (Array.isArray(value)) {
        for (const item of value) for (const p of keyPaths(item, `${prefix}[]`)) paths.add(p);
    } else if (value !== null && typeof value === "object") {
        for (const [key, item] of Object.entries(value)) {
            const here = prefix === "" ? key : `${prefix}.${key}`;
            paths.add(here);
            for (const p of keyPaths(item, here)) paths.add(p);
        }
    }
    return [...paths].sort();
}

/** The stack's containers, volumes and networks (by their coverage-spy labels). */
function stackObjects(stack: string): string[] {
    return (["container", "volume", "network"] as const).flatMap((kind) =>
        labelledObjects(kind, FRESH_PROJECT, stack).map((o) => `${kind} ${o.name}`),
    );
}

/** A resource of the stack's state: its URN, inputs and the URNs it depends on. */
interface StateResource {
    urn: string;
    type: string;
    inputs?: Record<string, unknown>;
    dependencies?: string[];
}

/** The stack's resources, from its state (`pulumi stack export`). */
function stateResources(project: LanguageProject): StateResource[] {
    const state = JSON.parse(project.succeed("pulumi stack export", "pulumi", ["stack", "export"])) as {
        deployment: { resources?: StateResource[] };
    };
    return state.deployment.resources ?? [];
}

/**
 * The component as a Python or YAML team uses it: the packed package installed with npm into fresh projects outside
 * this checkout, added with `pulumi package add`, the programs of docs/languages.md run with the plain `pulumi up`;
 * beside them the README's TypeScript program, whose measurement they must equal.
 */
describe("the component from Python and YAML programs, as from TypeScript", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-languages-"));
    const stacks: Record<Language, string> = {
        typescript: `itest-langts-${process.pid}`,
        python: `itest-langpy-${process.pid}`,
        yaml: `itest-langyaml-${process.pid}`,
    };
    // The image the Python program builds (docs/languages.md's `docker build` of ./service), under this test's tag.
    const builtImage = `coverage-spy/demo-app:itest-langpy-${process.pid}`;
    const times: Record<Language | "shared", StepTimes> = { shared: {}, typescript: {}, python: {}, yaml: {} };
    const summaries: Partial<Record<Language, CoverageSummary>> = {};
    const destroyed = new Set<Language>();
    let typescript: FreshProject;
    let python: LanguageProject;
    let yaml: LanguageProject;
    const fileStarted = process.hrtime.bigint();

    const values = (image: string): DemoValues => ({ image, testCommand: FRESH_SUITE, spyBaseImage: spyBaseImage() });
    const plainPython = docsProgram("python");
    const outputPython = docsProgram("python", true);
    const projectOf = (language: Language): Pick<FreshProject, "run"> =>
        language === "typescript" ? typescript : language === "python" ? python : yaml;

    /** Runs `pulumi up` of one language's project, timed; its `coverage` output, which must measure the demo. */
    function up(language: Language): CoverageSummary {
        const project = projectOf(language);
        const args = ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stacks[language]];
        const result = timed(times[language], "pulumi up", () => project.run("pulumi", args));
        if (result.status !== 0)
            throw new Error(`pulumi up (${language}) failed (exit ${result.status}):\n${result.out.slice(-8000)}`);
        const output = project.run("pulumi", ["stack", "output", "coverage", "--json", "--stack", stacks[language]]);
        if (output.status !== 0) throw new Error(`pulumi stack output coverage (${language}):\n${output.out}`);
        const summary = JSON.parse(output.stdout) as CoverageSummary;
        expectDemoLines(summary);
        expect(summary.tests).toEqual(expect.objectContaining({ succeeded: true }));
        summaries[language] = summary;
        return summary;
    }

    beforeAll(() => {
        const tarball = timed(times.shared, "npm pack", () => packCheckout(work));
        typescript = timed(times.typescript, "npm install + stack init", () =>
            createFreshProject(path.join(work, "typescript"), stacks.typescript, {
                spyBaseImage: spyBaseImage(),
                tarball,
            }),
        );
        python = createLanguageProject(
            path.join(work, "python"),
            stacks.python,
            "python",
            tarball,
            pythonWithDemoValues(outputPython, values(builtImage)),
            times.python,
        );
        // The service the Python program builds its image from: the demo's Dockerfile and source.
        fs.cpSync(
            path.join(REPO_ROOT, "examples", "demo", "Dockerfile"),
            path.join(python.dir, "service", "Dockerfile"),
        );
        fs.cpSync(path.join(REPO_ROOT, "examples", "demo", "app"), path.join(python.dir, "service", "app"), {
            recursive: true,
        });
        yaml = createLanguageProject(
            path.join(work, "yaml"),
            stacks.yaml,
            "yaml",
            tarball,
            yamlWithDemoValues(docsProgram("yaml"), values(DEMO_IMAGE)),
            times.yaml,
        );
    });

    afterAll(() => {
        for (const language of LANGUAGES.filter((l) => !destroyed.has(l))) {
            projectOf(language)?.run("pulumi", ["destroy", "--yes", "--non-interactive", "--stack", stacks[language]]);
        }
        spawnSync("docker", ["image", "rm", "--force", builtImage]);
        fs.rmSync(work, { recursive: true, force: true });
        const seconds = Number(process.hrtime.bigint() - fileStarted) / 1e9;
        const lines = Object.entries(times).map(
            ([what, steps]) =>
                `${what}: ${Object.entries(steps)
                    .map(([step, s]) => `${step} ${s.toFixed(1)} s`)
                    .join(", ")}`,
        );
        console.log(`languages.test.ts step times (whole file ${seconds.toFixed(1)} s):\n${lines.join("\n")}`);
    });

    it("measures the demo with the README's TypeScript program", () => {
        up("typescript");
    });

    it("refuses nothing of the docs' plain Python program at preview", () => {
        python.writeProgram(pythonWithDemoValues(plainPython, values(DEMO_IMAGE)));
        python.succeed("pulumi preview", "pulumi", ["preview", "--non-interactive", "--stack", stacks.python]);
    });

    it("measures the demo with the docs' Python program, its image the stdout of a command.local.Command", () => {
        python.writeProgram(pythonWithDemoValues(outputPython, values(builtImage)));
        // Only the program's own build makes this tag.
        expect(spawnSync("docker", ["image", "inspect", builtImage]).status).not.toBe(0);
        up("python");
        // The service ran the image ID the build printed, and depends on the build: an Output of another resource.
        const resources = stateResources(python);
        const build = resources.find((r) => r.type === "command:local:Command" && r.urn.endsWith("::image"));
        const service = resources.find(
            (r) => r.type === "docker:index/container:Container" && r.urn.endsWith("::coverage-app"),
        );
        expect(build).toBeDefined();
        expect(service?.inputs?.image).toBe(docker("image", "inspect", "--format", "{{.Id}}", builtImage));
        expect(service?.dependencies).toContain(build?.urn);
    });

    it("measures the demo with the docs' YAML program", () => {
        up("yaml");
    });

    it("gives Python and YAML the TypeScript program's totals and lines, per file", () => {
        const expected = measuredLines(summaries.typescript!);
        expect(measuredLines(summaries.python!)).toEqual(expected);
        expect(measuredLines(summaries.yaml!)).toEqual(expected);
    });

    it("gives the coverage output the same camelCase keys in every language", () => {
        const keys = keyPaths(summaries.typescript);
        expect(keys).toEqual(expect.arrayContaining(["schemaVersion", "runId", "files[].executedLines"]));
        expect(keys.filter((k) => k.includes("_"))).toEqual([]);
        expect(keyPaths(summaries.python)).toEqual(keys);
        expect(keyPaths(summaries.yaml)).toEqual(keys);
    });

    // A component served by a plugin cannot fail the plain `pulumi up` of its program and keep its outputs (a failed
    // child resource ends the update before the component returns them): the command fails it on the error it says.
    it("fails the Python program's red suite with npx coverage-spy up, this run's coverage output kept", () => {
        const red = `${FRESH_SUITE} && exit 3`;
        python.writeProgram(pythonWithDemoValues(outputPython, { ...values(builtImage), testCommand: red }));
        const up = timed(times.python, "npx coverage-spy up (red)", () =>
            python.run("npx", ["--no-install", "coverage-spy", "up", "--stack", stacks.python]),
        );
        expect(up.status).not.toBe(0);
        expect(up.out).toContain("the test suite failed (exit code 3)");
        const output = python.run("pulumi", ["stack", "output", "coverage", "--json", "--stack", stacks.python]);
        const summary = JSON.parse(output.stdout) as CoverageSummary;
        expect(summary.runId).not.toBe(summaries.python!.runId);
        expect(summary.tests).toEqual(expect.objectContaining({ succeeded: false, exitCode: 3 }));
        expectDemoLines(summary);
    });

    it.each(LANGUAGES)("leaves no container, volume or network after the %s program's pulumi destroy", (language) => {
        const project = projectOf(language);
        expect(stackObjects(stacks[language])).not.toEqual([]);
        const result = timed(times[language], "pulumi destroy", () =>
            project.run("pulumi", ["destroy", "--yes", "--non-interactive", "--stack", stacks[language]]),
        );
        if (result.status !== 0) throw new Error(`pulumi destroy (${language}) failed:\n${result.out.slice(-8000)}`);
        destroyed.add(language);
        expect(stackObjects(stacks[language])).toEqual([]);
    });
});
