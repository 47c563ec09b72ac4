// Which images npm run coverage has scripts/setup.sh build (scripts/helpers/stackImages.ts), and the setup stamp
// that lets a later setup skip its checks only when an earlier one covered at least what it wants.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { configImages, stackImages } from "../../scripts/helpers/stackImages";
import { tempDir, writeFiles } from "./fixtures";

const REPO_ROOT = path.join(__dirname, "..", "..");
const DEMO = ["coverage-spy/demo-app:latest", "coverage-spy/spy-base:trixie"];

describe("the images a stack runs with", () => {
    it("are its services' and the base its spy image is built FROM, each once", () => {
        expect(
            configImages({
                "coverage-spy:services": [
                    { name: "web", image: "coverage-spy/example-celery:latest" },
                    { name: "worker", image: "coverage-spy/example-celery:latest" },
                    { name: "redis", image: "coverage-spy/redis:latest" },
                ],
                "coverage-spy:spyBaseImage": "coverage-spy/spy-base:trixie",
            }),
        ).toEqual(["coverage-spy/example-celery:latest", "coverage-spy/redis:latest", "coverage-spy/spy-base:trixie"]);
    });

    it("name the spy image itself when the config gives one, and the default base when it gives neither", () => {
        const services = [{ name: "api", image: "shop:1" }];
        expect(configImages({ "coverage-spy:services": services, "coverage-spy:spyImage": "mine/spy:1" })).toEqual([
            "shop:1",
            "mine/spy:1",
        ]);
        expect(configImages({ "coverage-spy:services": services })).toEqual(["shop:1", "python:3.13-slim"]);
    });

    it("of this repository's stacks: the demo's two for a branch without a config of its own, an example's for its stack", () => {
        const env = { COVERAGE_SPY_STACK: "some-branch" };
        expect(stackImages([], env, REPO_ROOT)).toMatchObject({
            stack: "some-branch",
            file: path.join(REPO_ROOT, "stacks", "Pulumi.dev.yaml"),
            images: DEMO,
        });
        expect(stackImages(["--print-summary", "--stack", "example-django"], env, REPO_ROOT).images).toEqual([
            "coverage-spy/postgres:latest",
            "coverage-spy/example-django:latest",
            "coverage-spy/spy-base:trixie",
        ]);
    });

    it("come from the stack's own config when it has one", () => {
        const project = tempDir();
        writeFiles(project, {
            "stacks/Pulumi.dev.yaml": stringify({ config: { "coverage-spy:services": [{ image: "dev:1" }] } }),
            "stacks/Pulumi.mine.yaml": stringify({ config: { "coverage-spy:services": [{ image: "mine:1" }] } }),
        });
        expect(stackImages(["--stack", "mine"], {}, project).images).toEqual(["mine:1", "python:3.13-slim"]);
        expect(stackImages(["--stack", "other"], {}, project).images).toEqual(["dev:1", "python:3.13-slim"]);
    });
});

describe("scripts/setup.sh --check: the stamp of the last complete setup", () => {
    /** What the fake engine lists: coverage-spy images with their IDs. */
    const ENGINE_IMAGES = ["coverage-spy/base:trixie 111", "coverage-spy/demo-app:latest 222"];

    /**
     * A cache with a toolchain and a stamp saying `forLine`, changed by `since` after the stamp, and a fake docker
     * listing `engineImages` (ENGINE_IMAGES when the setup was made).
     */
    function machine(
        forLine: string,
        engineImages = ENGINE_IMAGES,
        since: (cache: string) => void = () => undefined,
    ): (args: string[]) => number | null {
        const cache = tempDir();
        const shims = tempDir();
        writeFiles(cache, { "toolchain/bin/pulumi": "", "pulumi-home/plugins/resource-docker-v4.11.1/x": "" });
        writeFiles(shims, {
            docker: `#!/bin/sh\n[ "$1" = images ] && printf '%s\\n' ${engineImages.map((l) => `'${l}'`).join(" ")}\n`,
        });
        fs.chmodSync(path.join(shims, "docker"), 0o755);
        const toolchain = spawnSync(
            "ls",
            ["-1", path.join(cache, "toolchain", "bin"), path.join(cache, "pulumi-home", "plugins")],
            { encoding: "utf8" },
        ).stdout;
        const state = [...ENGINE_IMAGES].sort().join("\n") + "\n" + toolchain;
        fs.writeFileSync(path.join(cache, "setup-complete"), `${forLine}\n${state}`);
        since(cache);
        return (args) =>
            spawnSync("bash", [path.join(REPO_ROOT, "scripts", "setup.sh"), "--check", ...args], {
                env: { ...process.env, COVERAGE_SPY_CACHE: cache, PATH: `${shims}:${process.env.PATH ?? ""}` },
                encoding: "utf8",
            }).status;
    }

    it("of a full setup covers any later one", () => {
        const check = machine("for: all");
        expect(check([])).toBe(0);
        expect(check(["--images", ...DEMO])).toBe(0);
        expect(check(["--images", "coverage-spy/example-django:latest"])).toBe(0);
    });

    it("of the demo's setup covers the demo's and less, never a full setup or another stack's images", () => {
        const check = machine(`for: ${[...DEMO].sort().join(" ")}`);
        expect(check(["--images", ...DEMO])).toBe(0);
        expect(check(["--images", DEMO[0]])).toBe(0);
        expect(check(["--images"])).toBe(0);
        expect(check([])).toBe(1);
        expect(check(["--images", ...DEMO, "coverage-spy/example-django:latest"])).toBe(1);
    });

    it("still covers after a run marked a plugin used, not after a plugin was added", () => {
        const used = machine("for: all", ENGINE_IMAGES, (cache) =>
            writeFiles(cache, { "pulumi-home/plugins/resource-docker-v4.11.1.lastused": "" }),
        );
        expect(used([])).toBe(0);
        const added = machine("for: all", ENGINE_IMAGES, (cache) =>
            writeFiles(cache, { "pulumi-home/plugins/resource-command-v1.2.1/x": "" }),
        );
        expect(added([])).toBe(1);
    });

    it("covers nothing once the engine's images changed", () => {
        const check = machine("for: all", ["coverage-spy/base:trixie 111", "coverage-spy/demo-app:latest 333"]);
        expect(check(["--images", ...DEMO])).toBe(1);
    });
});
