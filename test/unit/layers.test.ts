import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * The layers of the package's code, top first: a file may import its own folder, a sibling folder of its layer (no
 * cycle between folders) or a layer below, never one above. A folder is named by its path from the repository root;
 * "components" alone is the component's own files (coverageSpyStack.ts, stackProgram.ts, programConfig.ts,
 * index.ts...). CONTRIBUTING.md's "Layers" table says the same, checked below.
 */
const LAYERS: ReadonlyArray<{ name: string; folders: readonly string[] }> = [
    { name: "commands", folders: ["cli", "plugin"] },
    { name: "component", folders: ["components", "components/consumer", "components/stack"] },
    {
        name: "steps",
        folders: [
            "components/compose",
            "components/config",
            "components/contexts",
            "components/gates",
            "components/harvester",
            "components/infra",
            "components/service",
            "components/testRun",
        ],
    },
    { name: "engine", folders: ["components/engine"] },
    { name: "options and summary", folders: ["components/options", "components/summary"] },
    { name: "shared", folders: ["components/shared"] },
];

/**
 * Imports that still break the layers, from a file into a folder, in code being rewritten: each must exist (a stale
 * entry fails, so the list only shrinks) and is the only exception. None now; kept so that a rewrite in steps can
 * name the one it still owes.
 */
const PENDING: ReadonlyArray<{ from: string; to: string }> = [];

/** The folders whose code the layers order. */
const CHECKED_ROOTS = ["components", "cli", "plugin"];

interface Import {
    /** Paths from the repository root. */
    from: string;
    to: string;
    line: number;
    specifier: string;
}

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const relative = path.posix.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(relative);
        return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [relative] : [];
    });
}

/** The file a relative specifier names, as Node resolves it (`x.ts`, `x/index.ts`, or a file with its extension). */
function resolveSpecifier(from: string, specifier: string): string {
    const base = path.posix.join(path.posix.dirname(from), specifier);
    const found = [`${base}.ts`, `${base}/index.ts`, base].find((candidate) =>
        fs.statSync(path.join(ROOT, candidate), { throwIfNoEntry: false })?.isFile(),
    );
    return found ?? base;
}

/** Every relative import of a file (import, export ... from, import(), require, type-only ones too), by TypeScript. */
function importsOf(file: string): Import[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
    return ts
        .preProcessFile(text, true, true)
        .importedFiles.filter((ref) => ref.fileName.startsWith("."))
        .map((ref) => ({
            from: file,
            to: resolveSpecifier(file, ref.fileName),
            line: source.getLineAndCharacterOfPosition(ref.pos).line + 1,
            specifier: ref.fileName,
        }));
}

/** A file's folder as the layer table names it. */
function folderOf(file: string): string {
    const dir = path.posix.dirname(file);
    const [top, second] = dir.split("/");
    if (top !== "components") return top;
    return second === undefined ? top : `${top}/${second}`;
}

function layerOf(folder: string): number {
    return LAYERS.findIndex((layer) => layer.folders.includes(folder));
}

/** What breaks the layers, one line each: the file and line, then the rule. */
function violations(imports: Import[]): string[] {
    const problems: string[] = [];
    const isPending = (i: Import) => PENDING.some((p) => p.from === i.from && p.to === folderOf(i.to));
    for (const i of imports) {
        const from = folderOf(i.from);
        const to = folderOf(i.to);
        const where = `${i.from}:${i.line} imports "${i.specifier}"`;
        if (layerOf(from) < 0) problems.push(`${where}: ${from}/ is in no layer (add it to the layer table)`);
        else if (!CHECKED_ROOTS.includes(i.to.split("/")[0]) || layerOf(to) < 0)
            problems.push(`${where}: ${i.to} is outside the layers (a package's code imports only its own layers)`);
        else if (layerOf(to) < layerOf(from) && !isPending(i))
            problems.push(
                `${where}: runs up the layers (${from}/ is in "${LAYERS[layerOf(from)].name}", ` +
                    `${to}/ in "${LAYERS[layerOf(to)].name}" above it): move the code it needs down`,
            );
    }
    return [...problems, ...folderCycles(imports.filter((i) => !isPending(i)))];
}

/**
 * Cycles between the folders of one layer (siblings may import each other, but not round in a circle; a cycle
 * through two layers has an import running up, named above): one line per cycle, naming an import for each step.
 */
function folderCycles(imports: Import[]): string[] {
    const edges = new Map<string, Map<string, Import>>();
    for (const i of imports) {
        const from = folderOf(i.from);
        const to = folderOf(i.to);
        if (from === to || layerOf(from) !== layerOf(to)) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, i);
    }
    const cycles: string[] = [];
    const seen = new Set<string>();
    const walk = (folder: string, trail: string[]): void => {
        const at = trail.indexOf(folder);
        if (at >= 0) {
            const cycle = [...trail.slice(at), folder];
            const key = [...cycle.slice(0, -1)].sort().join(" ");
            if (seen.has(key)) return;
            seen.add(key);
            const steps = cycle.slice(0, -1).map((f, k) => {
                const i = edges.get(f)!.get(cycle[k + 1])!;
                return `${i.from}:${i.line} imports "${i.specifier}"`;
            });
            cycles.push(`folders import each other (${cycle.join(" → ")}): ${steps.join("; ")}`);
            return;
        }
        for (const next of edges.get(folder)?.keys() ?? []) walk(next, [...trail, folder]);
    };
    for (const folder of edges.keys()) walk(folder, []);
    return cycles;
}

/** CONTRIBUTING.md's Layers table: one row per layer, top first, its folders in backquotes. */
function documentedLayers(): Array<{ name: string; folders: string[] }> {
    const text = fs.readFileSync(path.join(ROOT, "CONTRIBUTING.md"), "utf8");
    const section = text.split(/^### Layers$/m)[1]?.split(/^#/m)[0] ?? "";
    return section
        .split("\n")
        .filter((line) => /^\| \d+ \|/.test(line))
        .map((line) => {
            const cells = line.split("|").map((cell) => cell.trim());
            const folders = [...cells[3].matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\/(\*\.ts)?$/, ""));
            return { name: cells[2], folders };
        });
}

describe("the layers of components/, cli/ and plugin/", () => {
    const imports = CHECKED_ROOTS.flatMap(sourceFiles).flatMap(importsOf);

    it("reads the imports it checks (TypeScript's own parser: multi-line, type-only, export-from)", () => {
        expect(imports.length).toBeGreaterThan(200);
        expect(imports).toContainEqual(
            expect.objectContaining({ from: "components/coverageSpyStack.ts", to: "components/options/args.ts" }),
        );
    });

    it("has no import that runs back up the layers, nor folders importing each other", () => {
        expect(violations(imports)).toEqual([]);
    });

    it("keeps its pending exceptions only while each still exists", () => {
        const stale = PENDING.filter((p) => !imports.some((i) => i.from === p.from && folderOf(i.to) === p.to));
        expect(stale.map((p) => `${p.from} no longer imports ${p.to}: remove it from PENDING`)).toEqual([]);
    });

    it("names every folder of the code in the layer table", () => {
        const folders = [...new Set(imports.map((i) => folderOf(i.from)))];
        expect(folders.filter((f) => layerOf(f) < 0)).toEqual([]);
    });

    it("is the layer table CONTRIBUTING.md shows", () => {
        expect(documentedLayers()).toEqual(LAYERS.map((l) => ({ name: l.name, folders: [...l.folders] })));
    });

    describe("its rules, on made-up imports", () => {
        const made = (from: string, to: string): Import => ({ from, to, line: 3, specifier: "./x" });

        it("names the file, the line and the rule of an import that runs up", () => {
            expect(violations([made("components/options/a.ts", "components/engine/b.ts")])).toEqual([
                'components/options/a.ts:3 imports "./x": runs up the layers (components/options/ is in "options and summary", components/engine/ in "engine" above it): move the code it needs down',
            ]);
        });

        it("refuses components importing the command or the plugin", () => {
            expect(violations([made("components/naming.ts", "cli/main.ts")])).toHaveLength(1);
            expect(violations([made("components/engine/a.ts", "plugin/provider.ts")])).toHaveLength(1);
        });

        it("lets a layer import below it and its siblings, but not both ways round", () => {
            expect(violations([made("components/gates/a.ts", "components/summary/b.ts")])).toEqual([]);
            expect(violations([made("components/service/a.ts", "components/infra/b.ts")])).toEqual([]);
            const both = violations([
                made("components/service/a.ts", "components/infra/b.ts"),
                made("components/infra/b.ts", "components/service/c.ts"),
            ]);
            expect(both).toEqual([
                'folders import each other (components/service → components/infra → components/service): components/service/a.ts:3 imports "./x"; components/infra/b.ts:3 imports "./x"',
            ]);
        });

        it("names a folder the table lacks, and an import leaving the package's code", () => {
            expect(violations([made("components/newFolder/a.ts", "components/shared/b.ts")])[0]).toMatch(
                /components\/newFolder\/ is in no layer/,
            );
            expect(violations([made("components/engine/a.ts", "test/unit/fixtures.ts")])[0]).toMatch(
                /outside the layers/,
            );
        });
    });
});
