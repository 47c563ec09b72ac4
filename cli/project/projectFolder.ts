import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { findUp } from "../../components/shared/findUp";

/** The file names the Pulumi CLI accepts for a project file. */
const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml"];

/** A Pulumi project as the command reads it: its folder and the settings it needs from its project file. */
export interface PulumiProject {
    dir: string;
    /** The project's name: the engine's label and lock path carry it. */
    name: string;
    /** Where its Pulumi.<stack>.yaml files are (the project file's `stackConfigDir`, else the project folder). */
    stackConfigDir: string;
}

function projectFileIn(dir: string): string | undefined {
    return PROJECT_FILES.map((name) => path.join(dir, name)).find((file) => fs.existsSync(file));
}

/** The project file's settings, with the name it must have. */
function readProjectFile(file: string): PulumiProject {
    const dir = path.dirname(file);
    let settings: { name?: unknown; stackConfigDir?: unknown };
    try {
        settings = (parse(fs.readFileSync(file, "utf8")) ?? {}) as typeof settings;
    } catch (err) {
        throw new Error(
            `coverage-spy: ${file} is not valid YAML (${(err as Error).message.split("\n")[0]}): fix it and run again`,
        );
    }
    if (typeof settings.name !== "string" || settings.name === "")
        throw new Error(`coverage-spy: ${file} names no project (its \`name:\` is missing): add one and run again`);
    const configDir = typeof settings.stackConfigDir === "string" ? settings.stackConfigDir : "";
    return { dir, name: settings.name, stackConfigDir: path.resolve(dir, configDir) };
}

/**
 * The Pulumi project the command works on: the folder holding Pulumi.yaml, `start` or the nearest folder above
 * it, as the Pulumi CLI finds it.
 */
export function findProject(start: string): PulumiProject {
    const file = findUp(start, projectFileIn);
    if (file !== undefined) return readProjectFile(file);
    throw new Error(
        `coverage-spy: no Pulumi.yaml in ${path.resolve(start)} or any folder above it: run the command in your ` +
            "Pulumi project, or name its folder with --cwd DIR",
    );
}

/** The folder of this package (the one holding its package.json), from a compiled or a source module of cli/. */
export function packageRoot(moduleDir: string): string {
    const found = findUp(moduleDir, (dir) => (fs.existsSync(path.join(dir, "package.json")) ? dir : undefined));
    if (found === undefined) throw new Error(`coverage-spy: no package.json above ${moduleDir}`);
    return found;
}

/**
 * Whether the project is this package's own bundled demo (the package's checkout, with its stacks/ configs), which
 * runs its program inline; every other project runs its own program, as `pulumi up` does.
 */
export function isBundledDemo(project: PulumiProject, ownRoot: string): boolean {
    const real = (dir: string) => (fs.existsSync(dir) ? fs.realpathSync(dir) : path.resolve(dir));
    return real(project.dir) === real(ownRoot);
}
