// The run needs nothing on the user's host but Node, docker and the Pulumi toolchain: no bash, no coreutils (GNU
// `date`, `timeout`...), as on a Mac with Docker Desktop. /bin/sh stays: the command plugin and the user's own test
// command are run by it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEMO_IMAGE, DEMO_TEST_COMMAND, expectLines } from "./demoExpectations";
import { StackInput, configure, demoService, destroyStack, runStack, stackRun } from "./stackRun";

jest.setTimeout(15 * 60 * 1000);

/** The first file named `name` on a PATH, or undefined. */
function onPath(name: string, searchPath: string): string | undefined {
    for (const dir of searchPath.split(path.delimiter).filter((d) => d !== "")) {
        const file = path.join(dir, name);
        try {
            fs.accessSync(file, fs.constants.X_OK);
            if (fs.statSync(file).isFile()) return file;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** The python3 interpreter itself, wherever PATH's python3 (maybe a shim) leads. */
function pythonExecutable(): string {
    const found = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
    if (found.status !== 0) throw new Error(`python3 did not run: ${found.stderr}`);
    return found.stdout.trim();
}

/** A folder of links to node, docker and the Pulumi toolchain (pulumi and its language hosts and plugins): a PATH. */
function toolchainOnly(): string {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-path-"));
    const searchPath = process.env.PATH ?? "";
    const pulumi = onPath("pulumi", searchPath);
    const docker = onPath("docker", searchPath);
    if (pulumi === undefined || docker === undefined)
        throw new Error(`pulumi and docker must be on PATH (${searchPath}): source scripts/pulumi-env.sh`);
    const pulumiDir = path.dirname(fs.realpathSync(pulumi));
    const toolchain = fs.readdirSync(pulumiDir).filter((f) => /^pulumi(-|$)/.test(f) && !/\.(stamp|beside)$/.test(f));
    for (const tool of toolchain) fs.symlinkSync(path.join(pulumiDir, tool), path.join(bin, tool));
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    fs.symlinkSync(docker, path.join(bin, "docker"));
    return bin;
}

describe("the demo's run with only node, docker and the Pulumi toolchain on PATH", () => {
    const input: StackInput = {
        stack: `itest-portable-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        // The demo's suite, its python3 by absolute path (not a pyenv shim, a bash script): the suite is the user's.
        testCommand: DEMO_TEST_COMMAND.replace(/^python3 /, `${pythonExecutable()} `),
    };
    let bin: string;
    beforeAll(() => {
        bin = toolchainOnly();
    });
    afterAll(() => {
        destroyStack(input.stack);
        fs.rmSync(bin, { recursive: true, force: true });
    });

    it("holds no shell and no GNU tool", () => {
        for (const tool of ["bash", "sh", "date", "timeout", "tar", "env", "sleep", "cat", "mkdir", "python3"])
            expect([tool, onPath(tool, bin)]).toEqual([tool, undefined]);
        expect(fs.readdirSync(bin).sort()).toEqual(expect.arrayContaining(["docker", "node", "pulumi"]));
    });

    it("measures the demo with exactly its lines, its suite green", () => {
        configure(input);
        const up = runStack("up", input.stack, { ...process.env, PATH: bin });
        const run = stackRun(input, up);
        expect(run.summary.tests).toEqual(expect.objectContaining({ succeeded: true, failed: 0, passed: 10 }));
        expect(run.summary.files.length).toBeGreaterThan(0);
        for (const file of run.summary.files) expectLines(file);
        // The run's own lines, from the test run that ran under that PATH.
        expect(up.output).toMatch(/service demo ready in \d+ ms/);
        expect(up.output).toMatch(/service demo stopped in \d+ ms/);
        const tests = JSON.parse(fs.readFileSync(path.join(run.runDir, "tests.json"), "utf8")) as Record<
            string,
            unknown
        >;
        expect(tests).toEqual(expect.objectContaining({ exitCode: 0, exitedEarly: {} }));
    });
});
