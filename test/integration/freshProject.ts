import { SpawnSyncReturns, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_IMAGE, DEMO_SOURCE, expectLines } from "./demoExpectations";
import { REPO_ROOT } from "./engine";

/** The user's Pulumi project name in a fresh project. */
export const FRESH_PROJECT = "shop-coverage";
/** The demo's suite, run from the fresh project (its tests copied to tests/e2e), against the service named "app". */
export const FRESH_SUITE = 'COVERAGE_SPY_DEMO_URL="$COVERAGE_SPY_APP_URL" python3 -m unittest discover -s tests/e2e -v';

/** A fresh Pulumi project outside this checkout, with the packed package installed into it. */
export interface FreshProject {
    /** The project folder (Pulumi.yaml, index.ts, node_modules). */
    dir: string;
    /** The user's environment: the Pulumi CLI and plugins (PATH, PULUMI_HOME), a file backend, a passphrase. */
    env: NodeJS.ProcessEnv;
    /** Runs a command in the project with the user's environment. */
    run(file: string, args: string[]): SpawnSyncReturns<string> & { out: string };
    /** Runs a command in the project; throws with its output unless it exits 0. Returns its stdout. */
    succeed(file: string, args: string[]): string;
    /** Writes index.ts: the README's program with the demo's values and `testCommand`. */
    writeProgram(testCommand: string): void;
}

/** What a fresh project's program and environment add to the README's program and the user's environment. */
export interface FreshProjectOptions {
    /** The image the spy image is built FROM (this engine has no registry: a local base, not the public default). */
    spyBaseImage: string;
    /** More arguments of the CoverageSpyStack (string values), e.g. serviceHost on a remote engine. */
    args?: Record<string, string>;
    /** More variables of the user's environment, e.g. DOCKER_HOST. */
    env?: Record<string, string>;
    /** The packed package to install (packCheckout); default: this checkout packed into `work`. */
    tarball?: string;
}

/**
 * The user's environment for a project whose state is in `work`: the Pulumi CLI and plugins (PATH, PULUMI_HOME), a
 * file backend in `work`, a passphrase, and `more`.
 */
export function userEnvironment(work: string, more?: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PULUMI_HOME: process.env.PULUMI_HOME,
        PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "a passphrase of the user's",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    for (const name of ["DOCKER_HOST", "TMPDIR", "npm_config_cache"])
        if (process.env[name] !== undefined) env[name] = process.env[name];
    return Object.assign(env, more);
}

/** Packs this checkout (`npm pack`) into `destination`: the tarball's path. */
export function packCheckout(destination: string): string {
    const result = spawnSync("npm", ["pack", "--json", "--pack-destination", destination], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`npm pack failed (exit ${result.status}):\n${result.stderr.slice(-8000)}`);
    const packed = JSON.parse(result.stdout) as Array<{ filename: string }>;
    return path.join(destination, packed[0].filename);
}

/** The README's program (its TypeScript block that makes a CoverageSpyStack), with the demo's values put in. */
export function readmeProgram(testCommand: string, options: FreshProjectOptions): string {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const program = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
        .map((m) => m[1])
        .find((block) => block.includes("new CoverageSpyStack("));
    if (!program) throw new Error("README.md has no ```ts block with new CoverageSpyStack(");
    const replaced = program
        .replace('"my-service:latest"', JSON.stringify(DEMO_IMAGE))
        .replace('"/srv/app"', JSON.stringify("/app"))
        .replace('"pytest tests/e2e"', JSON.stringify(testCommand));
    if (/my-service|\/srv\/app|pytest tests/.test(replaced))
        throw new Error(`the README's program changed: this helper no longer finds its values to replace:\n${program}`);
    const more = { spyBaseImage: options.spyBaseImage, ...options.args };
    const lines = Object.entries(more).map(([key, value]) => `${key}: ${JSON.stringify(value)},\n    `);
    return replaced.replace("testCommand:", `${lines.join("")}testCommand:`);
}

/**
 * Packs this checkout (`npm pack`, unless `options.tarball` is given), makes a fresh TypeScript Pulumi project in
 * `work` as `pulumi new typescript` would, installs the tarball into it (a copy, no link into the checkout) and inits
 * `stack` on a file backend in `work`. The program is the README's, measuring the demo image, with `options` added.
 */
export function createFreshProject(work: string, stack: string, options: FreshProjectOptions): FreshProject {
    const dir = path.join(work, "project");
    const env = userEnvironment(work, options.env);
    const run = (file: string, args: string[], cwd = dir): SpawnSyncReturns<string> & { out: string } => {
        const result = spawnSync(file, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        return { ...result, out: `${result.stdout}\n${result.stderr}` };
    };
    const succeed = (file: string, args: string[], cwd = dir): string => {
        const result = run(file, args, cwd);
        if (result.status !== 0)
            throw new Error(`${file} ${args.join(" ")} failed (exit ${result.status}):\n${result.out.slice(-8000)}`);
        return result.stdout;
    };
    const tarball = options.tarball ?? packCheckout(work);
    fs.mkdirSync(path.join(dir, "tests", "e2e"), { recursive: true });
    fs.copyFileSync(
        path.join(REPO_ROOT, "examples", "demo", "tests", "test_demo.py"),
        path.join(dir, "tests", "e2e", "test_demo.py"),
    );
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${FRESH_PROJECT}\nruntime: nodejs\n`);
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: FRESH_PROJECT, version: "1.0.0", private: true, main: "index.ts" }, null, 2),
    );
    // `pulumi new typescript`'s compiler options.
    const compilerOptions = {
        strict: true,
        outDir: "bin",
        target: "es2020",
        module: "commonjs",
        moduleResolution: "node",
        sourceMap: true,
        experimentalDecorators: true,
        pretty: true,
        noFallthroughCasesInSwitch: true,
        noImplicitReturns: true,
        forceConsistentCasingInFileNames: true,
    };
    fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions, files: ["index.ts"] }, null, 2),
    );
    const writeProgram = (testCommand: string): void =>
        fs.writeFileSync(path.join(dir, "index.ts"), readmeProgram(testCommand, options));
    writeProgram(FRESH_SUITE);
    const version = (pkg: string): string =>
        (
            JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", pkg, "package.json"), "utf8")) as {
                version: string;
            }
        ).version;
    succeed("npm", [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        tarball,
        `typescript@${version("typescript")}`,
        `@types/node@${version("@types/node")}`,
    ]);
    fs.mkdirSync(path.join(work, "state"));
    succeed("pulumi", ["stack", "init", stack, "--non-interactive"]);
    return {
        dir,
        env,
        run: (file, args) => run(file, args),
        succeed: (file, args) => succeed(file, args),
        writeProgram,
    };
}

/** sha256 of every file the user wrote in the project (not node_modules, the reports or the build), by path. */
export function userFiles(dir: string): Record<string, string> {
    const files: Record<string, string> = {};
    const walk = (folder: string): void => {
        for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
            const full = path.join(folder, entry.name);
            if (entry.isDirectory()) {
                if (!["node_modules", "reports"].includes(entry.name)) walk(full);
            } else {
                files[path.relative(dir, full)] = crypto
                    .createHash("sha256")
                    .update(fs.readFileSync(full))
                    .digest("hex");
            }
        }
    };
    walk(dir);
    return files;
}

/** The demo's source files the fresh project's service measures, relative to its sourcePath. */
export function demoSourceFiles(): string[] {
    return fs
        .readdirSync(path.join(DEMO_SOURCE, "demo_app"))
        .filter((f) => f.endsWith(".py"))
        .map((f) => `demo_app/${f}`)
        .sort();
}

/** Every demo file the fresh project's service measures, each with exactly the lines its markers say. */
export function expectDemoLines(summary: CoverageSummary): void {
    const files = summary.files.filter((f) => f.service === "app");
    expect(files.map((f) => f.path).sort()).toEqual(demoSourceFiles());
    for (const file of files) expectLines(file);
}
