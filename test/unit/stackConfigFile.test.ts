import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    copyBaseStackConfig,
    removeCopiedStackConfig,
    stackConfigPath,
    stackEngineEnvironment,
} from "../../components/stacks/stackConfigFile";
import { tempDir } from "./fixtures";

const BASE = "config:\n  coverage-spy:testCommand: pytest\n";

function project(): string {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.writeFileSync(stackConfigPath(dir, "dev"), BASE);
    return dir;
}

function git(dir: string, ...args: string[]): void {
    const result = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], {
        cwd: dir,
        encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
}

describe("stack config files", () => {
    it("copies the base config for a new branch stack, marked as a copy, and leaves existing configs alone", () => {
        const dir = project();
        const copy = copyBaseStackConfig(dir, "feat-a");
        expect(copy).toBe(stackConfigPath(dir, "feat-a"));
        expect(fs.readFileSync(copy!, "utf8")).toMatch(
            /^# Copied from stacks\/Pulumi.dev.yaml by coverage-spy for stack feat-a;.*\nconfig:/,
        );
        expect(copyBaseStackConfig(dir, "feat-a")).toBeUndefined();
        expect(copyBaseStackConfig(dir, "dev")).toBeUndefined();
        expect(fs.readFileSync(stackConfigPath(dir, "dev"), "utf8")).toBe(BASE);
    });

    it("removes only a copy it made", () => {
        const dir = project();
        copyBaseStackConfig(dir, "feat-a");
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
        const copy = copyBaseStackConfig(dir, "release")!;
        git(dir, "add", "-f", copy);
        git(dir, "commit", "-q", "-m", "release stack config");
        expect(removeCopiedStackConfig(dir, "release")).toBeUndefined();
        expect(fs.existsSync(copy)).toBe(true);
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
    });
});
