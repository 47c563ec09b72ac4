import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    StackConfigSyntaxError,
    effectiveStackConfigPath,
    readStackConfigFile,
    removeCopiedStackConfig,
    stackConfigPath,
    stackEngineEnvironment,
} from "../../cli/project/stackConfigFile";
import { git, tempDir } from "./fixtures";

const BASE = "config:\n  coverage-spy:testCommand: pytest\n";

function project(): string {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.writeFileSync(stackConfigPath(dir, "dev"), BASE);
    return dir;
}

/** A copy as earlier versions made it for a branch stack: only such a file may go with its stack. */
function legacyCopy(dir: string, stack: string): string {
    const file = stackConfigPath(dir, stack);
    fs.writeFileSync(
        file,
        `# Copied from stacks/Pulumi.dev.yaml by coverage-spy for stack ${stack}; edit it to differ.\n${BASE}`,
    );
    return file;
}

describe("stack config files", () => {
    it("runs a stack without a config of its own with the base stack's, writing nothing into stacks/", () => {
        const dir = project();
        expect(effectiveStackConfigPath(dir, "feat-a")).toBe(stackConfigPath(dir, "dev"));
        fs.writeFileSync(stackConfigPath(dir, "feat-b"), BASE);
        expect(effectiveStackConfigPath(dir, "feat-b")).toBe(stackConfigPath(dir, "feat-b"));
        expect(fs.readdirSync(path.join(dir, "stacks")).sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.feat-b.yaml"]);
        fs.rmSync(stackConfigPath(dir, "dev"));
        expect(effectiveStackConfigPath(dir, "feat-a")).toBeUndefined();
    });

    it("says a YAML syntax error with the file, line and column", () => {
        const dir = project();
        const file = stackConfigPath(dir, "broken");
        fs.writeFileSync(file, "config:\n  coverage-spy:testCommand: pytest\n   bad: [\n");
        expect(() => readStackConfigFile(file)).toThrow(StackConfigSyntaxError);
        expect(() => readStackConfigFile(file)).toThrow(
            new RegExp(
                `${file.replace(/[.]/g, "\\.")}:2:29 is not valid YAML: Nested mappings are not allowed in compact mappings\\. Fix`,
            ),
        );
        expect(readStackConfigFile(stackConfigPath(dir, "dev"))).toEqual({
            config: { "coverage-spy:testCommand": "pytest" },
        });
    });

    it("removes only a copy an earlier version made", () => {
        const dir = project();
        legacyCopy(dir, "feat-a");
        fs.writeFileSync(stackConfigPath(dir, "hand-written"), BASE);
        expect(removeCopiedStackConfig(dir, "feat-a")).toBe(stackConfigPath(dir, "feat-a"));
        expect(fs.existsSync(stackConfigPath(dir, "feat-a"))).toBe(false);
        expect(removeCopiedStackConfig(dir, "hand-written")).toBeUndefined();
        expect(removeCopiedStackConfig(dir, "dev")).toBeUndefined();
        expect(removeCopiedStackConfig(dir, "never-existed")).toBeUndefined();
        expect(fs.readFileSync(stackConfigPath(dir, "hand-written"), "utf8")).toBe(BASE);
        expect(fs.readFileSync(stackConfigPath(dir, "dev"), "utf8")).toBe(BASE);
    });

    it("keeps a copy that was committed on purpose (git add -f)", () => {
        const dir = project();
        git(dir, "init", "-q");
        const copy = legacyCopy(dir, "release");
        git(dir, "add", "-f", copy);
        git(dir, "commit", "-q", "-m", "release stack config");
        expect(removeCopiedStackConfig(dir, "release")).toBeUndefined();
        expect(fs.existsSync(copy)).toBe(true);
    });

    it("lets git show a stack config someone wrote (.gitignore hides none but the tests')", () => {
        const ignored = (file: string) =>
            spawnSync("git", ["check-ignore", "-q", "--no-index", file], { cwd: path.join(__dirname, "..", "..") })
                .status === 0;
        expect(ignored("stacks/Pulumi.my-service.yaml")).toBe(false);
        expect(ignored("stacks/Pulumi.feature-x.yaml")).toBe(false);
        expect(ignored("stacks/Pulumi.itest-demo-1234.yaml")).toBe(true);
    });
});

describe("the engine a stack's config names", () => {
    it("gives the docker CLI the stack's docker:host, with TLS from docker:certPath", () => {
        const dir = project();
        fs.writeFileSync(
            stackConfigPath(dir, "far"),
            "config:\n  docker:host: tcp://engine.test:2376\n  docker:certPath: /certs\n  coverage-spy:testCommand: x\n",
        );
        expect(stackEngineEnvironment(dir, "far")).toEqual({
            DOCKER_HOST: "tcp://engine.test:2376",
            DOCKER_CERT_PATH: "/certs",
            DOCKER_TLS_VERIFY: "1",
        });
    });

    it("gives nothing for a stack on the default engine, or without a config file", () => {
        const dir = project();
        expect(stackEngineEnvironment(dir, "dev")).toEqual({});
        expect(stackEngineEnvironment(dir, "none")).toEqual({});
        fs.rmSync(stackConfigPath(dir, "dev"));
        expect(stackEngineEnvironment(dir, "none")).toEqual({});
    });

    it("takes the base stack's engine for a stack without a config of its own", () => {
        const dir = project();
        fs.writeFileSync(stackConfigPath(dir, "dev"), "config:\n  docker:host: tcp://engine.test:2375\n");
        expect(stackEngineEnvironment(dir, "feat-a")).toEqual({ DOCKER_HOST: "tcp://engine.test:2375" });
    });
});
