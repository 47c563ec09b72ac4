import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackNameForBranch } from "../../cli/project/stackName";
import { readStackLocks, stackLockDir } from "../../cli/recovery/stackLocks";
import { REPO_ROOT } from "./engine";

jest.setTimeout(5 * 60 * 1000);

const PROJECT = "coverage-spy";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-lifecycle-"));
const backend = `file://${path.join(work, "state")}`;
fs.mkdirSync(path.join(work, "state"));
fs.mkdirSync(path.join(work, "program"));
const env = { ...process.env, PULUMI_BACKEND_URL: backend } as Record<string, string>;

/** A stack in the test's own file backend, with a program that creates nothing (no resource plugin needed). */
async function emptyStack(
    name: string,
    program: () => Promise<Record<string, unknown>> = () => Promise.resolve({}),
): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack(
        { stackName: name, projectName: PROJECT, program },
        { workDir: path.join(work, "program"), projectSettings: { name: PROJECT, runtime: "nodejs" }, envVars: env },
    );
}

async function stackNames(): Promise<string[]> {
    const ws = await LocalWorkspace.create({
        workDir: path.join(work, "program"),
        projectSettings: { name: PROJECT, runtime: "nodejs" },
        envVars: env,
    });
    return (await ws.listStacks()).map((s) => s.name).sort();
}

/** Runs a command of coverage-spy (bin/cli/main.js) in the repository, as its npm scripts do. */
function script(command: string, args: string[]): { status: number | null; out: string } {
    const r = spawnSync("node", [path.join(REPO_ROOT, "bin", "cli", "main.js"), command, ...args], {
        cwd: REPO_ROOT,
        env,
        encoding: "utf8",
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("prune: stacks whose branch is gone", () => {
    const repo = path.join(work, "repo");
    const live = stackNameForBranch("feat/live");
    const gone = stackNameForBranch("feat/gone");

    beforeAll(async () => {
        fs.mkdirSync(repo);
        const git = (...args: string[]) =>
            spawnSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: repo });
        git("init", "-q", "-b", "main");
        git("commit", "-q", "--allow-empty", "-m", "x");
        for (const b of ["feat/live", "feat/gone"]) git("branch", b);
        for (const name of ["main", "dev", live, gone, "orphan"]) await (await emptyStack(name)).up();
        git("branch", "-D", "feat/gone");
    });

    it("lists what it would remove and removes nothing by default", async () => {
        const dry = script("prune", ["--repo", repo]);
        expect(dry.status).toBe(0);
        expect(dry.out).toContain(`would remove ${gone}\nwould remove orphan\n`);
        expect(dry.out).toContain("dry run: nothing removed");
        expect(await stackNames()).toEqual(["dev", "main", live, gone, "orphan"].sort());
    });

    it("with --yes removes exactly the stale stacks, and leaves the project's files alone", async () => {
        const projectFile = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
        const real = script("prune", ["--repo", repo, "--yes"]);
        expect(real.status).toBe(0);
        expect(real.out).toContain(`removed ${gone}\nremoved orphan\n`);
        expect(await stackNames()).toEqual(["dev", "main", live].sort());
        expect(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")).toBe(projectFile);
    });
});

describe("state locks", () => {
    const stack = `itest-lock-${process.pid}`;
    afterAll(() => fs.rmSync(path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`), { force: true }));

    it("a second up on a locked stack fails with who holds the lock and how to clear it", async () => {
        const release = path.join(work, "release");
        const holder = await emptyStack(stack, async () => {
            while (!fs.existsSync(release)) await new Promise((r) => setTimeout(r, 100));
            return {};
        });
        const first = holder.up();
        const lockDir = stackLockDir(backend, PROJECT, stack);
        for (let i = 0; i < 600 && readStackLocks(lockDir).length === 0; i++)
            await new Promise((r) => setTimeout(r, 100));
        const [lock] = readStackLocks(lockDir);
        expect(lock).toEqual(expect.objectContaining({ hostname: os.hostname() }));

        const second = script("up", ["--stack", stack]);
        fs.writeFileSync(release, "");
        await first;
        expect(second.status).toBe(1);
        expect(second.out).toContain(
            `stack ${stack} is locked by another update:\n  pid ${lock.pid} of ${lock.username}@${lock.hostname} since`,
        );
        expect(second.out).toContain(
            `If its process was killed, clear the stale lock with:\n  npm run coverage:unlock -- --stack ${stack}`,
        );
        expect(readStackLocks(lockDir)).toEqual([]);
    });

    it("clears a lock whose holder is gone by itself, saying so, and leaves a live one to the engine", () => {
        const lockDir = stackLockDir(backend, PROJECT, stack);
        fs.mkdirSync(lockDir, { recursive: true });
        const dead = spawnSync("true").pid;
        fs.writeFileSync(
            path.join(lockDir, "killed.json"),
            JSON.stringify({
                pid: dead,
                username: os.userInfo().username,
                hostname: os.hostname(),
                timestamp: "2026-11-24T12:00:00Z",
            }),
        );
        fs.writeFileSync(path.join(lockDir, "killed.json.attrs"), "{}");
        const run = script("destroy", ["--stack", stack]);
        expect(run.out).toContain(
            `recovered: stale lock: pid ${dead} of ${os.userInfo().username}@${os.hostname()} since 2026-11-24T12:00:00Z (its process is gone)`,
        );
        expect(run.status).toBe(0);
        expect(fs.existsSync(lockDir) ? fs.readdirSync(lockDir) : []).toEqual([]);
    });

    it("unlock removes a lock whose process is gone, keeps a live one unless --force", () => {
        const lockDir = stackLockDir(backend, PROJECT, stack);
        fs.mkdirSync(lockDir, { recursive: true });
        const dead = spawnSync("true").pid;
        const write = (id: string, pid: number) =>
            fs.writeFileSync(
                path.join(lockDir, `${id}.json`),
                JSON.stringify({
                    pid,
                    username: os.userInfo().username,
                    hostname: os.hostname(),
                    timestamp: "2026-11-24T12:00:00Z",
                }),
            );
        write("killed", dead);
        write("alive", process.pid);
        // The engine's blob store keeps an attributes file beside each lock: it goes with its lock.
        fs.writeFileSync(path.join(lockDir, "killed.json.attrs"), "{}");
        const first = script("unlock", ["--stack", stack]);
        expect(first.status).toBe(3);
        expect(first.out).toContain(`removed lock: pid ${dead} of`);
        expect(fs.readdirSync(lockDir).sort()).toEqual(["alive.json"]);
        expect(first.out).toContain(`kept lock: pid ${process.pid} of`);
        expect(readStackLocks(lockDir).map((l) => l.pid)).toEqual([process.pid]);
        const forced = script("unlock", ["--stack", stack, "--force"]);
        expect(forced.status).toBe(0);
        expect(readStackLocks(lockDir)).toEqual([]);
    });
});
