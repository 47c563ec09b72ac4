import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { MockEngine, installMockEngine, valueOf } from "./mockEngine";
import { FIXTURE_RUN_ID, fakeDockerOnPath, reportDirWithFixtureRun, tempDir } from "./fixtures";
import {
    SpyImageRecipe,
    buildContextFiles,
    coveragePins,
    spyBuildCommand,
    spyImageHash,
    spyImageTag,
} from "../../components/engine/spyImage";
import { spyDigest } from "../../components/engine/spyVolume";

const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command";
const ASSETS = path.join(__dirname, "..", "..", "coverage-spy");
const PINS = { main: "7.17.4", legacy: "7.10.7" };

const engine: MockEngine = installMockEngine({});
/** The spy image built from the local base is on the engine; the one from python:3.13-slim is not. */
const presentTag = spyImageTag({ assetsDir: ASSETS, baseImage: "company/python:3.12", pins: coveragePins() });
const missingTag = spyImageTag({ assetsDir: ASSETS, baseImage: "python:3.13-slim", pins: coveragePins() });
fakeDockerOnPath({
    "shop:prod": '["PATH=/usr/bin"]',
    [presentTag]: '["PATH=/usr/bin"]\tsha256:5a1e',
    "registry.example/team/spy:1": '["PATH=/usr/bin"]\tsha256:0ne',
});

// Imported after the mocks are in place.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine
const { CoverageSpyStack } = require("../../components") as typeof import("../../components");

/** A copy of the assets to change, with a test file and bytecode as a checkout has them. */
function assetsCopy(): string {
    const dir = path.join(tempDir(), "coverage-spy");
    fs.cpSync(ASSETS, dir, { recursive: true });
    return dir;
}

function recipe(assetsDir: string, overrides: Partial<SpyImageRecipe> = {}): SpyImageRecipe {
    return { assetsDir, baseImage: "python:3.13-slim", pins: PINS, ...overrides };
}

describe("the spy image's content hash", () => {
    it("changes when an asset, the Dockerfile, the build script, the base image or a pin changes", () => {
        const assets = assetsCopy();
        const before = spyImageHash(recipe(assets));
        expect(spyImageHash(recipe(assets))).toBe(before);
        const changed = (file: string) => {
            const original = fs.readFileSync(path.join(assets, file));
            fs.appendFileSync(path.join(assets, file), "\n# changed\n");
            const hash = spyImageHash(recipe(assets));
            fs.writeFileSync(path.join(assets, file), original);
            return hash;
        };
        for (const file of ["site/_coverage_spy/spy.py", "harvest.py", "image/Dockerfile", "image/build_spy.py"])
            expect(changed(file)).not.toBe(before);
        expect(spyImageHash(recipe(assets))).toBe(before);
        fs.chmodSync(path.join(assets, "harvest.py"), 0o755);
        expect(spyImageHash(recipe(assets))).not.toBe(before);
        fs.chmodSync(path.join(assets, "harvest.py"), fs.statSync(path.join(ASSETS, "harvest.py")).mode);
        expect(spyImageHash(recipe(assets, { baseImage: "python:3.12-slim" }))).not.toBe(before);
        expect(spyImageHash(recipe(assets, { pins: { ...PINS, main: "7.17.5" } }))).not.toBe(before);
        expect(spyImageHash(recipe(assets, { pins: { ...PINS, legacy: "7.10.8" } }))).not.toBe(before);
    });

    it("leaves out what the build context leaves out: tests and bytecode", () => {
        const assets = assetsCopy();
        const before = spyImageHash(recipe(assets));
        fs.writeFileSync(path.join(assets, "tests", "test_new.py"), "x = 1\n");
        fs.mkdirSync(path.join(assets, "site", "__pycache__"), { recursive: true });
        fs.writeFileSync(path.join(assets, "site", "__pycache__", "sitecustomize.cpython-313.pyc"), "x");
        fs.writeFileSync(path.join(assets, "stray.pyc"), "x");
        expect(spyImageHash(recipe(assets))).toBe(before);
        const files = buildContextFiles(assets);
        expect(files).toEqual(expect.arrayContaining(["harvest.py", "image/Dockerfile", "image/build_spy.py"]));
        expect(files.filter((f) => /(^|\/)(tests|__pycache__)\/|\.pyc$|\.dockerignore$/.test(f))).toEqual([]);
    });

    it("leaves out exactly what the assets' .dockerignore keeps out of the build", () => {
        const patterns = fs
            .readFileSync(path.join(ASSETS, ".dockerignore"), "utf8")
            .split("\n")
            .filter((line) => line.trim() !== "" && !line.startsWith("#"));
        expect(patterns).toEqual(["tests", "**/__pycache__", "**/*.pyc", ".dockerignore"]);
    });

    it("is in the tag, with the pins of this package's package.json", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ASSETS, "..", "package.json"), "utf8")) as {
            config: { coveragePy: string; coveragePyLegacy: string };
        };
        expect(coveragePins()).toEqual({ main: pkg.config.coveragePy, legacy: pkg.config.coveragePyLegacy });
        expect(spyImageTag(recipe(ASSETS))).toBe(`coverage-spy/spy:${spyImageHash(recipe(ASSETS)).slice(0, 20)}`);
    });
});

/** Runs the build command with a stand-in docker that logs its arguments one per line, and answers as told. */
function runBuild(
    command: string,
    docker: { hasImage: boolean; buildExit: number },
): { status: number | null; stderr: string; calls: string[][] } {
    const dir = tempDir();
    const log = path.join(dir, "calls");
    fs.writeFileSync(
        path.join(dir, "docker"),
        [
            "#!/bin/sh",
            `{ for a in "$@"; do printf '%s\\n' "$a"; done; echo ---; } >> "${log}"`,
            `[ "$1" = image ] && exit ${docker.hasImage ? 0 : 1}`,
            `exit ${docker.buildExit}`,
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    const result = spawnSync("/bin/sh", ["-c", command], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    const calls = fs.existsSync(log)
        ? fs
              .readFileSync(log, "utf8")
              .split("---\n")
              .filter((c) => c !== "")
              .map((c) => c.replace(/\n$/, "").split("\n"))
        : [];
    return { status: result.status, stderr: result.stderr, calls };
}

describe("the spy image's build command", () => {
    const odd = path.join(tempDir(), "it's a $(folder) `with` spaces");
    const oddRecipe = recipe(odd, { baseImage: "base'; touch /tmp/pwned; '" });
    const tag = "coverage-spy/spy:0123456789abcdef0123";

    it("hands docker every value as one argument, whatever it holds", () => {
        const { status, calls } = runBuild(spyBuildCommand(tag, oddRecipe), { hasImage: false, buildExit: 0 });
        expect(status).toBe(0);
        expect(calls).toEqual([
            ["image", "inspect", tag],
            [
                "build",
                "--quiet",
                "--force-rm",
                "--file",
                path.join(odd, "image", "Dockerfile"),
                "--build-arg",
                "BASE_IMAGE=base'; touch /tmp/pwned; '",
                "--build-arg",
                "COVERAGE_VERSION=7.17.4",
                "--build-arg",
                "COVERAGE_LEGACY_VERSION=7.10.7",
                "--tag",
                tag,
                odd,
            ],
        ]);
    });

    it("builds nothing when the engine has the image by the time it runs", () => {
        const { status, calls } = runBuild(spyBuildCommand(tag, oddRecipe), { hasImage: true, buildExit: 0 });
        expect(status).toBe(0);
        expect(calls).toEqual([["image", "inspect", tag]]);
    });

    it("names the causes and the fixes when the build fails", () => {
        const { status, stderr } = runBuild(spyBuildCommand(tag, recipe(ASSETS)), { hasImage: false, buildExit: 1 });
        expect(status).toBe(1);
        expect(stderr.trim()).toBe(
            `coverage-spy: building the spy image ${tag} from python:3.13-slim failed (Docker's output above). ` +
                "The base image (spyBaseImage) needs python3 3.11 or later, pip or apt-get/apk to install it, and " +
                "the build needs a Python package index pip can reach (set PIP_INDEX_URL, and PIP_CERT behind a " +
                "TLS-inspecting proxy, in the base image). Or build it once where that works and name it with spyImage.",
        );
    });
});

describe("a stack's spy image", () => {
    const infos: string[] = [];
    const stackWith = (name: string, extra: Record<string, string>) =>
        new CoverageSpyStack(name, {
            services: [{ name: "shop", image: "shop:prod", sourcePath: "/app" }],
            testCommand: "pytest",
            reportDir: reportDirWithFixtureRun(),
            runId: FIXTURE_RUN_ID,
            failOnTestFailure: false,
            ...extra,
        });
    const installOf = (stack: string) => engine.one(CONTAINER, `${stack}-spy-install`);
    const digestOf = (stack: string) =>
        (installOf(stack).inputs.labels as Array<{ label: string; value: string }>).find(
            (l) => l.label === "coverage-spy.spy-digest",
        )?.value;

    beforeAll(async () => {
        const spy = jest.spyOn(pulumi.log, "info").mockImplementation((message) => {
            infos.push(message);
            return Promise.resolve();
        });
        try {
            await valueOf(stackWith("cold", {}).summary);
            await valueOf(stackWith("warm", { spyBaseImage: "company/python:3.12" }).summary);
            await valueOf(stackWith("ready", { spyImage: "registry.example/team/spy:1" }).summary);
        } finally {
            spy.mockRestore();
        }
    });

    it("is built through the engine when the engine lacks it, said at preview", () => {
        const build = engine.one(COMMAND, "cold-spy-image");
        expect(build.inputs.triggers).toEqual([missingTag, "missing"]);
        expect(build.inputs.create).toBe(
            spyBuildCommand(missingTag, { assetsDir: ASSETS, baseImage: "python:3.13-slim", pins: coveragePins() }),
        );
        expect(infos).toContain(
            `coverage-spy: building the spy image ${missingTag} from python:3.13-slim through the engine: first use ` +
                "of this coverage-spy version on this engine (about a minute; later runs reuse it)",
        );
        // Everything that runs from the image waits for the build.
        expect(installOf("cold").inputs.image).toBe(missingTag);
        expect(installOf("cold").registeredAt).toBeGreaterThan(build.createdAt!);
        for (const role of ["prepare", "harvester"])
            expect(engine.one(CONTAINER, `cold-${role}`).inputs.image).toBe(missingTag);
    });

    it("is not built again when the engine has it: the build's triggers say so, nothing is said", () => {
        expect(engine.one(COMMAND, "warm-spy-image").inputs.triggers).toEqual([presentTag, "present"]);
        expect(infos.filter((i) => i.includes(presentTag))).toEqual([]);
    });

    it("is the user's ready image as it is: no build, the volume's digest made of its ID", () => {
        expect(engine.ofType(COMMAND).filter((c) => c.name === "ready-spy-image")).toEqual([]);
        expect(installOf("ready").inputs.image).toBe("registry.example/team/spy:1");
        expect(engine.one(CONTAINER, "ready-harvester").inputs.image).toBe("registry.example/team/spy:1");
        // The ID, not the name: a new image pushed under the same name fills the volume again.
        const rc = (installOf("ready").inputs.command as string[]).at(-1)!;
        expect(digestOf("ready")).toBe(spyDigest("sha256:0ne", rc));
        expect(digestOf("cold")).toBe(spyDigest(missingTag, rc));
    });

    it("fills the spy volume from the image, with the stack's rcfile, read-only for every user", () => {
        const command = installOf("cold").inputs.command as string[];
        expect(command.slice(0, 2)).toEqual(["sh", "-c"]);
        expect(command.slice(3, 7)).toEqual([
            "sh",
            "/mnt/coverage-spy-volume",
            "/opt/coverage-spy/assets",
            "/opt/coverage-spy/lib",
        ]);
        expect(command[7]).toContain("source =\n    /app\n");
        expect(installOf("cold").inputs.volumes).toEqual([
            { volumeName: "coverage-spy-unit-spy", containerPath: "/mnt/coverage-spy-volume" },
        ]);
        // The digest: the image and the rcfile, not the run (a warm run replaces nothing).
        expect(JSON.stringify(installOf("cold").inputs.labels)).not.toContain(FIXTURE_RUN_ID);
    });
});
