import * as fs from "fs";
import * as path from "path";
import { TargetSources, resolveProject, resolveTarget } from "../../cli/project/commandTarget";
import { packageRoot } from "../../cli/project/projectFolder";
import { stackNameForBranch } from "../../cli/project/stackName";
import { targetEngineEnvironment } from "../../cli/project/stackWorkspace";
import { tempDir } from "./fixtures";

/** A user's Pulumi project in a temporary folder, with a nested folder to run the command from. */
function userProject(projectFile = "name: shop\nruntime: nodejs\n"): { dir: string; nested: string } {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), projectFile);
    const nested = path.join(dir, "tests", "api");
    fs.mkdirSync(nested, { recursive: true });
    return { dir, nested };
}

/** Where a command looks, with the selected stack the Pulumi CLI would answer, and the folders it was asked for. */
function sources(cwd: string, env: NodeJS.ProcessEnv, selected?: string): TargetSources & { asked: string[] } {
    const asked: string[] = [];
    return {
        env,
        cwd,
        ownRoot: packageRoot(__dirname),
        asked,
        selectedStack: (dir) => {
            asked.push(dir);
            return Promise.resolve(selected);
        },
    };
}

describe("the project folder", () => {
    it("is the folder holding Pulumi.yaml: the current one or the nearest above it", async () => {
        const { dir, nested } = userProject();
        const target = await resolveTarget({ stack: "ci" }, sources(nested, {}));
        expect(target.project).toEqual({ dir, name: "shop", stackConfigDir: dir });
        expect(target.demo).toBe(false);
    });

    it("is --cwd's, relative to the current folder", async () => {
        const { dir } = userProject();
        const target = await resolveTarget({ cwd: path.basename(dir), stack: "ci" }, sources(path.dirname(dir), {}));
        expect(target.project.dir).toBe(dir);
    });

    it("reads stackConfigDir, where the stack's Pulumi.<stack>.yaml is", async () => {
        const { dir } = userProject("name: shop\nruntime: nodejs\nstackConfigDir: config\n");
        expect((await resolveTarget({ stack: "ci" }, sources(dir, {}))).project.stackConfigDir).toBe(
            path.join(dir, "config"),
        );
    });

    it("refuses a folder with no Pulumi.yaml here or above, naming the folder and --cwd", async () => {
        const lonely = tempDir();
        await expect(resolveTarget({ stack: "ci" }, sources(lonely, {}))).rejects.toThrow(
            `no Pulumi.yaml in ${lonely} or any folder above it: run the command in your Pulumi project, or name its folder with --cwd DIR`,
        );
    });

    it("refuses a project file without a name, saying what to add", async () => {
        const { dir } = userProject("runtime: nodejs\n");
        await expect(resolveTarget({ stack: "ci" }, sources(dir, {}))).rejects.toThrow("names no project");
    });

    it("is this package's bundled demo only in the package's own folder", () => {
        const root = packageRoot(__dirname);
        expect(resolveProject({}, root, root, {}).demo).toBe(true);
        expect(resolveProject({}, path.join(root, "examples", "demo"), root, {}).demo).toBe(true);
        const { dir } = userProject();
        expect(resolveProject({}, dir, root, {}).demo).toBe(false);
    });
});

describe("the stack of a user's project", () => {
    it("is --stack, before $COVERAGE_SPY_STACK and the selected stack", async () => {
        const { dir } = userProject();
        const where = sources(dir, { COVERAGE_SPY_STACK: "from-run" }, "selected");
        const target = await resolveTarget({ stack: "ci" }, where);
        expect([target.stack, target.stackName, target.stackReason]).toEqual(["ci", "ci", "--stack"]);
        expect(where.asked).toEqual([]);
    });

    it("is $COVERAGE_SPY_STACK inside a test run, which names the run's stack", async () => {
        const { dir } = userProject();
        const target = await resolveTarget({}, sources(dir, { COVERAGE_SPY_STACK: "from-run" }, "selected"));
        expect(target.stack).toBe("from-run");
    });

    it("is the stack the Pulumi CLI has selected in the project, never the git branch's", async () => {
        const { dir, nested } = userProject();
        const where = sources(nested, { GITHUB_HEAD_REF: "feat/login" }, "staging");
        const target = await resolveTarget({}, where);
        expect([target.stack, target.stackReason]).toEqual(["staging", `the stack selected in ${dir}`]);
        expect(where.asked).toEqual([dir]);
    });

    it("without one selected, says how to name or select one", async () => {
        const { dir } = userProject();
        await expect(resolveTarget({}, sources(dir, {}))).rejects.toThrow(
            `no stack is selected in ${dir}: pass --stack NAME, or select one with \`pulumi stack select NAME\``,
        );
    });

    it("may be qualified with its organization (and project): its own name is the last part", async () => {
        const { dir } = userProject();
        const target = await resolveTarget({ stack: "acme/shop/ci" }, sources(dir, {}));
        expect([target.stack, target.stackName]).toEqual(["acme/shop/ci", "ci"]);
        await expect(resolveTarget({ stack: "a b" }, sources(dir, {}))).rejects.toThrow(
            '"a b" (--stack) is not a valid stack name',
        );
    });
});

describe("the stack of the bundled demo", () => {
    it("is the git branch's when none is named, as npm run coverage always did", async () => {
        const root = packageRoot(__dirname);
        const where = sources(root, { GITHUB_HEAD_REF: "feat/login" }, "selected");
        const target = await resolveTarget({}, where);
        expect(target.demo).toBe(true);
        expect(target.stack).toBe(stackNameForBranch("feat/login"));
        expect(where.asked).toEqual([]);
    });
});

describe("the backend", () => {
    it("is PULUMI_BACKEND_URL when set, else the Pulumi CLI's own login (not a file backend of ours)", async () => {
        const { dir } = userProject();
        const url = "file:///srv/pulumi-state";
        expect((await resolveTarget({ stack: "ci" }, sources(dir, { PULUMI_BACKEND_URL: url }))).backendUrl).toBe(url);
        expect((await resolveTarget({ stack: "ci" }, sources(dir, {}))).backendUrl).toBeUndefined();
        expect(
            (await resolveTarget({ stack: "ci" }, sources(dir, { PULUMI_BACKEND_URL: "" }))).backendUrl,
        ).toBeUndefined();
    });
});

describe("the engine of a user's stack", () => {
    it("is the docker:host its Pulumi.<stack>.yaml names, in the project's stackConfigDir", async () => {
        const { dir } = userProject("name: shop\nruntime: nodejs\nstackConfigDir: config\n");
        fs.mkdirSync(path.join(dir, "config"));
        fs.writeFileSync(path.join(dir, "config", "Pulumi.ci.yaml"), "config:\n  docker:host: tcp://10.0.0.7:2375\n");
        const target = await resolveTarget({ stack: "ci" }, sources(dir, {}));
        expect(targetEngineEnvironment(target)).toEqual({ DOCKER_HOST: "tcp://10.0.0.7:2375" });
        expect(targetEngineEnvironment({ ...target, stackName: "other" })).toEqual({});
    });
});
