import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "./engine";
import { FRESH_PROJECT, userEnvironment } from "./freshProject";

/** The languages a program uses the component from through its plugin package (`pulumi package add`). */
export type PluginLanguage = "python" | "yaml";

/** The values the docs' programs name, and what a test puts in their place. */
export interface DemoValues {
    /** The service's image: replaces `my-service:latest`, wherever it stands (also in a build command). */
    image: string;
    /** The test suite: replaces `pytest tests/e2e`. */
    testCommand: string;
    /** Added as the stack's spyBaseImage (this engine has no registry to pull the default from). */
    spyBaseImage: string;
}

/** Seconds each step took, by step name ("npm install", "pulumi up"...), summed over repeats. */
export type StepTimes = Record<string, number>;

/** A fresh Python or YAML Pulumi project outside this checkout, the packed package added as a plugin package. */
export interface LanguageProject {
    language: PluginLanguage;
    /** The project folder (Pulumi.yaml, node_modules, sdks, and for Python __main__.py and venv). */
    dir: string;
    env: NodeJS.ProcessEnv;
    /** Runs a command in the project with the user's environment. */
    run(file: string, args: string[]): SpawnSyncReturns<string> & { out: string };
    /** Runs a command in the project, timed as `step`; throws with its output unless it exits 0. Its stdout. */
    succeed(step: string, file: string, args: string[]): string;
    /** Writes the program: __main__.py (Python) or Pulumi.yaml with its `packages:` entry (YAML). */
    writeProgram(program: string): void;
}

const LANGUAGES_DOC = path.join(REPO_ROOT, "docs", "languages.md");
/** The folder docs/languages.md's install steps give `pulumi package add` (the plugin in the installed package). */
function docsPluginFolder(): string {
    const folder = /^pulumi package add (\S+)$/m.exec(fs.readFileSync(LANGUAGES_DOC, "utf8"))?.[1];
    if (folder === undefined) throw new Error("docs/languages.md has no line `pulumi package add FOLDER`");
    return folder;
}

/**
 * The program of docs/languages.md in a ```LANGUAGE block that makes a CoverageSpyStack: for Python, the one whose
 * image comes from a `local.Command` when `imageFromCommand`, else the plain one. Exactly one must match.
 */
export function docsProgram(language: PluginLanguage, imageFromCommand = false): string {
    const doc = fs.readFileSync(LANGUAGES_DOC, "utf8");
    const marker = language === "python" ? "CoverageSpyStack(" : "coverage-spy:index:CoverageSpyStack";
    const blocks = [...doc.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))]
        .map((m) => m[1])
        .filter((block) => block.includes(marker) && block.includes("local.Command(") === imageFromCommand);
    if (blocks.length !== 1)
        throw new Error(
            `docs/languages.md has ${blocks.length} \`\`\`${language} blocks with ${marker}` +
                `${imageFromCommand ? " and" : " but no"} local.Command(: expected exactly one`,
        );
    return blocks[0];
}

/**
 * Replaces `from` in `text` by `to` of the match's groups (the first group is `indent`), failing with the program
 * when the docs no longer hold `from`.
 */
function replaceOnce(text: string, from: string | RegExp, to: (indent: string) => string): string {
    const replaced = text.replace(from, (_match: string, indent: unknown) =>
        to(typeof indent === "string" ? indent : ""),
    );
    if (replaced === text)
        throw new Error(`docs/languages.md changed: its program no longer holds ${String(from)}:\n${text}`);
    return replaced;
}

/** A Python program of docs/languages.md with the demo's values in place of the docs' (Python string literals). */
export function pythonWithDemoValues(program: string, values: DemoValues): string {
    let out = replaceOnce(program, "my-service:latest", () => values.image);
    out = replaceOnce(out, '"/srv/app"', () => JSON.stringify("/app"));
    out = replaceOnce(out, '"pytest tests/e2e"', () => JSON.stringify(values.testCommand));
    // JSON strings of printable ASCII are Python string literals.
    out = replaceOnce(
        out,
        /^( *)test_command=/m,
        (indent) => `${indent}spy_base_image=${JSON.stringify(values.spyBaseImage)},\n${indent}test_command=`,
    );
    return out;
}

/** The YAML program of docs/languages.md with the demo's values (YAML double-quoted strings) and project name. */
export function yamlWithDemoValues(program: string, values: DemoValues): string {
    let out = replaceOnce(program, /^name: .*$/m, () => `name: ${FRESH_PROJECT}`);
    out = replaceOnce(out, /\bmy-service:latest$/m, () => JSON.stringify(values.image));
    out = replaceOnce(out, /\/srv\/app$/m, () => JSON.stringify("/app"));
    // JSON strings are YAML double-quoted strings; the suite's `$C...` is no Pulumi YAML interpolation (no `{`).
    out = replaceOnce(
        out,
        /^( *)testCommand: pytest tests\/e2e$/m,
        (indent) =>
            `${indent}spyBaseImage: ${JSON.stringify(values.spyBaseImage)}\n` +
            `${indent}testCommand: ${JSON.stringify(values.testCommand)}`,
    );
    return out;
}

/** The version of an npm package installed in this checkout. */
function installedVersion(pkg: string): string {
    const file = path.join(REPO_ROOT, "node_modules", pkg, "package.json");
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

/** Pulumi.yaml of a Python project before its program is written, as `pulumi new python` makes it. */
function pythonProjectFile(): string {
    return `name: ${FRESH_PROJECT}\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n`;
}

/**
 * Makes a fresh `language` Pulumi project in `work` as docs/languages.md tells a user to: the tarball installed with
 * npm (and TypeScript beside it), for Python a virtualenv with the Pulumi SDK and pulumi-command at the versions this
 * checkout's Node packages have, then `pulumi package add` of the installed plugin folder and `stack` initialised on
 * a file backend in `work`. Writes the program `initial` first (YAML: the program is Pulumi.yaml, which the
 * package add must keep). The demo's tests are copied to tests/e2e; `times` collects each step's seconds.
 */
export function createLanguageProject(
    work: string,
    stack: string,
    language: PluginLanguage,
    tarball: string,
    initial: string,
    times: StepTimes,
): LanguageProject {
    const dir = path.join(work, "project");
    const env = userEnvironment(work);
    const run = (file: string, args: string[]): SpawnSyncReturns<string> & { out: string } => {
        const result = spawnSync(file, args, { cwd: dir, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        return { ...result, out: `${result.stdout}\n${result.stderr}` };
    };
    const succeed = (step: string, file: string, args: string[]): string => {
        const started = process.hrtime.bigint();
        const result = run(file, args);
        times[step] = (times[step] ?? 0) + Number(process.hrtime.bigint() - started) / 1e9;
        if (result.status !== 0)
            throw new Error(`${file} ${args.join(" ")} failed (exit ${result.status}):\n${result.out.slice(-8000)}`);
        return result.stdout;
    };
    const writeProgram = (program: string): void =>
        fs.writeFileSync(path.join(dir, language === "python" ? "__main__.py" : "Pulumi.yaml"), program);

    fs.mkdirSync(path.join(dir, "tests", "e2e"), { recursive: true });
    fs.copyFileSync(
        path.join(REPO_ROOT, "examples", "demo", "tests", "test_demo.py"),
        path.join(dir, "tests", "e2e", "test_demo.py"),
    );
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: FRESH_PROJECT, version: "1.0.0", private: true }, null, 2),
    );
    succeed("npm install", "npm", [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        tarball,
        `typescript@${installedVersion("typescript")}`,
    ]);
    if (language === "python") {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), pythonProjectFile());
        const requirements = [
            `pulumi==${installedVersion("@pulumi/pulumi")}`,
            `pulumi-command==${installedVersion("@pulumi/command")}`,
        ];
        fs.writeFileSync(path.join(dir, "requirements.txt"), `${requirements.join("\n")}\n`);
        succeed("venv + pip", "python3", ["-m", "venv", "venv"]);
        succeed("venv + pip", path.join(dir, "venv", "bin", "pip"), ["install", "--quiet", "-r", "requirements.txt"]);
    }
    writeProgram(initial);
    succeed("pulumi package add", "pulumi", ["package", "add", docsPluginFolder()]);
    fs.mkdirSync(path.join(work, "state"));
    succeed("stack init", "pulumi", ["stack", "init", stack, "--non-interactive"]);
    return { language, dir, env, run, succeed, writeProgram };
}
