// @pulumi/kubernetes is an optional peer dependency: a program on Docker must load without it. Every module the
// package's entry points import (import statements, not the one lazy require of the Kubernetes engine) is followed
// here, and none of them may import @pulumi/kubernetes for its value.
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const ENTRY_POINTS = ["index.ts", "components/index.ts", "plugin/index.ts"];
const KUBERNETES = "@pulumi/kubernetes";

/** The specifiers a file imports for their value at load time: import statements and re-exports, not type-only ones. */
function loadTimeImports(file: string): string[] {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2020, true);
    const found: string[] = [];
    for (const statement of source.statements) {
        if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly)
            found.push((statement.moduleSpecifier as ts.StringLiteral).text);
        if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier !== undefined)
            found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
    return found;
}

/** The .ts file a relative specifier names, or undefined for a package. */
function resolved(from: string, specifier: string): string | undefined {
    if (!specifier.startsWith(".")) return undefined;
    const base = path.resolve(path.dirname(from), specifier);
    return [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
}

/** Every file loaded with the entry points, each with the packages it imports. */
function loadedWith(entries: string[]): Map<string, string[]> {
    const seen = new Map<string, string[]>();
    const queue = entries.map((e) => path.join(ROOT, e));
    while (queue.length > 0) {
        const file = queue.pop()!;
        if (seen.has(file)) continue;
        const imports = loadTimeImports(file);
        seen.set(file, imports);
        for (const specifier of imports) {
            const next = resolved(file, specifier);
            if (next !== undefined) queue.push(next);
        }
    }
    return seen;
}

describe("@pulumi/kubernetes, an optional peer dependency", () => {
    const loaded = loadedWith(ENTRY_POINTS);

    it("is imported by no module the package loads for a Docker run", () => {
        const importers = [...loaded].filter(([, imports]) => imports.includes(KUBERNETES)).map(([f]) => f);
        expect(importers.map((f) => path.relative(ROOT, f))).toEqual([]);
    });

    it("follows the steps and the engine choice (the walk reaches what a run loads)", () => {
        const files = [...loaded.keys()].map((f) => path.relative(ROOT, f));
        expect(files).toEqual(
            expect.arrayContaining([
                "components/stack/engineChoice.ts",
                "components/stack/docker/dockerRun.ts",
                "components/engine/kubernetes/serviceChecks.ts",
            ]),
        );
        expect(files).not.toContain("components/stack/kubernetes/kubernetesRun.ts");
    });

    it("is imported by the Kubernetes engine, which the engine choice loads lazily", () => {
        const cluster = loadedWith(["components/stack/kubernetes/kubernetesRun.ts"]);
        expect([...cluster].some(([, imports]) => imports.includes(KUBERNETES))).toBe(true);
        const choice = fs.readFileSync(path.join(ROOT, "components/stack/engineChoice.ts"), "utf8");
        expect(choice).toContain('require("./kubernetes/kubernetesRun")');
    });
});
