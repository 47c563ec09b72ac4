import * as fs from "fs";
import * as path from "path";
import { schemaCompilerProblem } from "../../plugin/schemaCompiler";
import { tempDir } from "./fixtures";

/** A project folder whose node_modules holds @pulumi/pulumi and, when given, TypeScript at `typescript`. */
function projectWith(typescript: string | undefined): { project: string; pulumiDir: string } {
    const project = tempDir();
    const pulumiDir = path.join(project, "node_modules", "@pulumi", "pulumi");
    fs.mkdirSync(pulumiDir, { recursive: true });
    fs.writeFileSync(path.join(pulumiDir, "package.json"), JSON.stringify({ name: "@pulumi/pulumi" }));
    if (typescript !== undefined) {
        const dir = path.join(project, "node_modules", "typescript");
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "typescript", version: typescript }));
    }
    return { project, pulumiDir };
}

describe("the TypeScript the plugin's schema inference compiles the sources with", () => {
    it.each(["5.0.4", "5.9.2", "6.0.1"])("is enough at %s", (version) => {
        expect(schemaCompilerProblem(projectWith(version).pulumiDir)).toBeUndefined();
    });

    it("is this checkout's own", () => {
        expect(schemaCompilerProblem()).toBeUndefined();
    });

    it.each([
        [undefined, "which is missing"],
        ["4.9.5", "which is version 4.9.5"],
    ])("names the cause and the fix when it is %s", (version, found) => {
        const { project, pulumiDir } = projectWith(version);
        const problem = schemaCompilerProblem(pulumiDir);
        expect(problem).toContain(found);
        expect(problem).toContain(`\`npm install typescript@5\` in ${project}`);
    });
});
