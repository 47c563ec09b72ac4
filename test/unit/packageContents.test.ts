import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");

interface PackageJson {
    private?: boolean;
    main: string;
    types: string;
    bin: Record<string, string>;
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
}
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as PackageJson;

/** The files `npm pack` puts in the tarball, as npm itself lists them (its prepack build included). */
function packedFiles(): string[] {
    const pack = spawnSync("npm", ["pack", "--dry-run", "--json"], {
        cwd: REPO,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (pack.status !== 0) throw new Error(`npm pack --dry-run failed (${pack.status}):\n${pack.stderr}`);
    const [result] = JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>;
    return result.files.map((f) => f.path).sort();
}

/** Files under a folder of the checkout, as paths from the repository's root. */
function filesUnder(folder: string): string[] {
    return fs
        .readdirSync(path.join(REPO, folder), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(REPO, path.join(entry.parentPath, entry.name)));
}

/** The spy's runtime files in the checkout: coverage-spy/ without its tests and Python caches. */
function runtimeAssets(): string[] {
    return filesUnder("coverage-spy")
        .filter((f) => !f.startsWith("coverage-spy/tests/") && !/(^|\/)(__pycache__|\.\w+_cache)\/|\.pyc$/.test(f))
        .sort();
}

/** The TypeScript sources of the component and the command, whose compiled code the package holds. */
function packageSources(): string[] {
    return [...filesUnder("components"), ...filesUnder("cli")].filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
}

const compiled = (source: string, ext: ".js" | ".d.ts") => path.join("dist", source.replace(/\.ts$/, ext));

describe("the npm package (npm pack)", () => {
    let files: string[];
    beforeAll(() => {
        files = packedFiles();
    });

    it("holds the compiled component and command: every module's JavaScript and .d.ts, and the entry points", () => {
        const missing = packageSources()
            .flatMap((source) => [compiled(source, ".js"), compiled(source, ".d.ts")])
            .filter((f) => !files.includes(f));
        expect(missing).toEqual([]);
        for (const entry of [manifest.main, manifest.types, manifest.bin["coverage-spy"]])
            expect(files).toContain(path.normalize(entry));
        expect(manifest.main).toBe("dist/components/index.js");
        expect(manifest.bin["coverage-spy"]).toBe("dist/cli/main.js");
    });

    it("holds no compiled file without a source (a module moved or removed since an old build)", () => {
        const pluginSources = filesUnder("plugin").filter((f) => f.endsWith(".ts"));
        const sources = new Set([...packageSources(), ...pluginSources].map((s) => compiled(s, ".js")));
        const stale = files.filter((f) => f.endsWith(".js") && f.startsWith("dist/") && !sources.has(f));
        expect(stale).toEqual([]);
    });

    it("holds the spy's runtime assets: the checkout's coverage-spy/ but its tests and caches", () => {
        expect(files.filter((f) => f.startsWith("coverage-spy/"))).toEqual(runtimeAssets());
        for (const asset of [
            "coverage-spy/site/sitecustomize.py",
            "coverage-spy/harvest.py",
            "coverage-spy/runner/coverage_spy_runner.py",
            "coverage-spy/image/Dockerfile",
            // The test run and the readiness wait, run by Node on the user's host.
            "dist/components/testRun/runner/testRunMain.js",
            "dist/components/testRun/runner/waitReadyMain.js",
            "dist/components/testRun/runner/copyReportsMain.js",
        ])
            expect(files).toContain(asset);
    });

    it("holds the plugin package: its manifest, the compiled host it runs, and the sources its schema comes from", () => {
        for (const file of [
            "plugin/PulumiPlugin.yaml",
            "plugin/tsconfig.json",
            "plugin/index.ts",
            "plugin/package.json",
        ])
            expect(files).toContain(file);
        const plugin = JSON.parse(fs.readFileSync(path.join(REPO, "plugin", "package.json"), "utf8")) as PackageJson;
        expect(files).toContain(path.normalize(path.join("plugin", plugin.main)));
        const componentSources = filesUnder("components").filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
        expect(componentSources.filter((f) => !files.includes(f))).toEqual([]);
        const pluginSources = filesUnder("plugin").filter((f) => f.endsWith(".ts"));
        expect(pluginSources.map((s) => compiled(s, ".js")).filter((f) => !files.includes(f))).toEqual([]);
    });

    it("asks for the TypeScript Pulumi's schema inference needs beside it (npm 7 and later install it)", () => {
        expect(manifest.peerDependencies.typescript).toBe(">=5.0.0 <7");
    });

    it("holds the README, the license and the package's reference, and nothing of this repository's development", () => {
        expect(files).toEqual(expect.arrayContaining(["README.md", "LICENSE", "package.json"]));
        const development = files.filter(
            (f) =>
                /^(test|bench|examples|stacks|scripts|images|\.state|reports|node_modules)\//.test(f) ||
                /^dist\/(test|bench|examples|stacks|scripts|index)/.test(f) ||
                /(^|\/)tests?\//.test(f) ||
                /\.test\.(js|ts)$|\.map$|tsbuildinfo$|^tsconfig|^jest\.config|^eslint\.config|^Pulumi\.|\/Pulumi\.[^/]+\.yaml$/.test(
                    f,
                ) ||
                // TypeScript sources: only the component's and the plugin's entry, which the schema is inferred from.
                (f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("components/") && f !== "plugin/index.ts"),
        );
        expect(development).toEqual([]);
    });

    it("is publishable, with the engine's packages pinned exactly (the engine loads a plugin only at its SDK's version)", () => {
        expect(manifest.private).toBeUndefined();
        for (const sdk of ["@pulumi/pulumi", "@pulumi/docker", "@pulumi/command"])
            expect(manifest.dependencies[sdk]).toMatch(/^\d+\.\d+\.\d+$/);
        expect(fs.readFileSync(path.join(REPO, "LICENSE"), "utf8")).toContain("Apache License");
    });

    it("gives the command a shebang, so npm's bin link runs it with node", () => {
        expect(fs.readFileSync(path.join(REPO, manifest.bin["coverage-spy"]), "utf8")).toMatch(
            /^#!\/usr\/bin\/env node\n/,
        );
    });
});
