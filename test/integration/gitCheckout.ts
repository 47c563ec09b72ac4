// Temporary git checkouts of the examples for the tests of what a branch changed (patch coverage, test impact).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Service } from "../../components/options/args";
import { DEMO_IMAGE } from "./demoExpectations";
import { REPO_ROOT } from "./engine";
import { demoService } from "./stackRun";

/** Runs a program in `cwd` (git with a fixed identity); its stdout, or an error with all it said. */
export function run(command: string, args: string[], cwd: string): string {
    const r = spawnSync(command, args, {
        cwd,
        encoding: "utf8",
        env: {
            ...process.env,
            GIT_AUTHOR_NAME: "t",
            GIT_AUTHOR_EMAIL: "t@example.invalid",
            GIT_COMMITTER_NAME: "t",
            GIT_COMMITTER_EMAIL: "t@example.invalid",
        },
    });
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
    return r.stdout;
}

export function write(dir: string, files: Record<string, string>): void {
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
}

/** `text` with `from` replaced by `to`; throws when the demo's source no longer holds `from`. */
export function edited(text: string, from: string, to: string): string {
    if (!text.includes(from)) throw new Error(`the example's source changed: ${JSON.stringify(from)} is gone`);
    return text.replace(from, to);
}

/**
 * examples/EXAMPLE as a git checkout in `root`: its source in app/, its tests in tests/ and a README committed on
 * main, then branch "feature" checked out, for the caller's change.
 */
export function exampleCheckout(root: string, example: string): void {
    const source = path.join(REPO_ROOT, "examples", example);
    fs.cpSync(path.join(source, "app"), path.join(root, "app"), { recursive: true });
    fs.cpSync(path.join(source, "tests"), path.join(root, "tests"), { recursive: true });
    write(root, { "README.md": `# the ${example}\n` });
    run("git", ["init", "-q", "-b", "main"], root);
    run("git", ["add", "-A"], root);
    run("git", ["commit", "-q", "-m", "base"], root);
    run("git", ["checkout", "-q", "-b", "feature"], root);
}

export function demoCheckout(root: string): void {
    exampleCheckout(root, "demo");
}

/** The service measuring the checkout's app/: bind-mounted over the image's /app, and its hostSourcePath. */
export function checkoutService(service: Service, root: string): Service {
    const app = path.join(root, "app");
    return { ...service, hostSourcePath: app, mounts: [{ source: app, target: "/app", type: "bind", readOnly: true }] };
}

export function checkoutDemoService(root: string): Service {
    return checkoutService(demoService(DEMO_IMAGE), root);
}
