import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Service } from "../../components/options/args";
import { serviceUrlEnvName } from "../../components/shared/naming";
import { ensureSpyLib } from "../testEnvironment";
import { REPO_ROOT, docker } from "./engine";
import { ExecutedLines } from "./oracle";

/** The example apps' source folder inside their images. */
const APP = "/app";

/** A stack of services as its stack config describes it, plus what the reference must set on its own. */
export interface ReferenceInput {
    /** A name for the reference's Docker objects: itest-<what>-<pid>, so a killed run's are swept. */
    name: string;
    services: Service[];
    /** Environment the stack gives through secretEnv, which the reference sets in plain text. */
    extraEnv?: Record<string, Record<string, string>>;
    /** More `[run]` settings of the reference (e.g. `core = sysmon`, the core that follows greenlets exactly). */
    runSettings?: string[];
    testCommand: string;
}

/**
 * The reference: the same images on a network of their own, every measured service under coverage.py's own
 * documented subprocess measurement (a sitecustomize.py that calls coverage.process_startup(), with
 * COVERAGE_PROCESS_START; coverage.py from the same folder the spy mounts), the suite run against them, the
 * services stopped, and coverage.py's JSON report of each service's data read: executed lines per file (relative
 * to the source folder), by service.
 */
export function referenceRun(input: ReferenceInput): Record<string, ExecutedLines> {
    const lib = ensureSpyLib();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-reference-"));
    fs.chmodSync(work, 0o755);
    const label = ["--label", `coverage-spy.project=coverage-spy`, "--label", `coverage-spy.stack=${input.name}`];
    const network = `${input.name}-net`;
    const containers: string[] = [];
    try {
        fs.mkdirSync(path.join(work, "site"));
        fs.writeFileSync(path.join(work, "site", "sitecustomize.py"), "import coverage\ncoverage.process_startup()\n");
        fs.writeFileSync(
            path.join(work, "rc"),
            [
                "[run]",
                "parallel = true",
                "sigterm = true",
                `source =\n    ${APP}`,
                "patch =\n    _exit\n    execv\n    subprocess",
                ...(input.runSettings ?? []),
                "",
            ].join("\n"),
        );
        docker("network", "create", ...label, network);
        const urls: Record<string, string> = {};
        const measured = input.services.filter((s) => s.instrument !== false);
        for (const service of input.services) {
            const container = `${input.name}-${service.name}`;
            const env = { ...(service.env as Record<string, string>), ...(input.extraEnv?.[service.name] ?? {}) };
            const run = ["run", "-d", "--init", "--name", container, ...label, "--network", network];
            run.push("--network-alias", service.name);
            for (const port of service.ports ?? []) run.push("-p", `127.0.0.1::${port.internal}`);
            if (service.healthcheck) {
                run.push("--health-cmd", service.healthcheck.test.slice(1).join(" "), "--health-interval", "1s");
            }
            if (service.instrument !== false) {
                const data = path.join(work, "data", service.name);
                fs.mkdirSync(data, { recursive: true });
                fs.chmodSync(data, 0o1777);
                const pythonPath = docker(
                    "image",
                    "inspect",
                    "-f",
                    "{{range .Config.Env}}{{println .}}{{end}}",
                    service.image as string,
                )
                    .split("\n")
                    .find((l) => l.startsWith("PYTHONPATH="))
                    ?.slice("PYTHONPATH=".length);
                Object.assign(env, {
                    PYTHONPATH: ["/opt/ref/site", "/opt/ref/lib", env.PYTHONPATH ?? pythonPath ?? ""]
                        .filter(Boolean)
                        .join(":"),
                    COVERAGE_PROCESS_START: "/opt/ref/rc",
                    COVERAGE_FILE: "/opt/ref/data/.coverage",
                });
                run.push("-v", `${path.join(work, "site")}:/opt/ref/site:ro`, "-v", `${lib}:/opt/ref/lib:ro`);
                run.push("-v", `${path.join(work, "rc")}:/opt/ref/rc:ro`, "-v", `${data}:/opt/ref/data`);
            }
            for (const [k, v] of Object.entries(env)) run.push("-e", `${k}=${v}`);
            run.push(service.image as string, ...(service.command ?? []));
            docker(...run);
            containers.push(container);
            waitReady(container, service);
            if (service.ports?.length) {
                const published = docker("port", container, String(service.ports[0].internal)).split("\n")[0];
                urls[serviceUrlEnvName(service.name)] = `http://${published}`;
                waitHttp(`http://${published}${service.readinessPath ?? "/"}`);
            }
        }
        const tests = spawnSync("bash", ["-c", input.testCommand], {
            cwd: REPO_ROOT,
            env: { ...process.env, ...urls },
            encoding: "utf8",
        });
        if (tests.status !== 0)
            throw new Error(`the suite failed against the reference:\n${tests.stderr.slice(-3000)}`);
        // Dependents first, as the spy's test run does: a worker stops while its broker still answers.
        for (const container of [...containers].reverse()) docker("stop", "--time", "30", container);
        return Object.fromEntries(measured.map((s) => [s.name, report(path.join(work, "data", s.name), s, work)]));
    } finally {
        for (const container of containers) spawnSync("docker", ["rm", "-f", container]);
        spawnSync("docker", ["network", "rm", network]);
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** Waits for a container's healthcheck, when it has one. */
function waitReady(container: string, service: Service): void {
    if (!service.healthcheck) return;
    for (let i = 0; i < 300; i++) {
        if (docker("inspect", "-f", "{{.State.Health.Status}}", container) === "healthy") return;
        spawnSync("sleep", ["0.2"]);
    }
    throw new Error(`reference service ${service.name} never became healthy`);
}

/** Waits until the URL answers 2xx/3xx (60 s at most). */
function waitHttp(url: string): void {
    for (let i = 0; i < 300; i++) {
        const probe = spawnSync("python3", [
            "-c",
            "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)",
            url,
        ]);
        if (probe.status === 0) return;
        spawnSync("sleep", ["0.2"]);
    }
    throw new Error(`the reference service at ${url} never answered`);
}

/** coverage.py's combine and JSON report of one service's data, in the harvester image: executed lines per file. */
function report(data: string, service: Service, work: string): ExecutedLines {
    const source = path.join(REPO_ROOT, service.hostSourcePath as string);
    const out = path.join(work, `${service.name}.json`);
    fs.writeFileSync(path.join(work, `${service.name}.rc`), `[run]\nparallel = true\nsource =\n    ${APP}\n`);
    const inHarvester = (...args: string[]) =>
        docker(
            "run",
            "--rm",
            "--network",
            "none",
            "-u",
            `${process.getuid!()}:${process.getgid!()}`,
            "-v",
            `${data}:/data`,
            "-v",
            `${source}:${APP}:ro`,
            "-v",
            `${work}:/work`,
            "-w",
            "/data",
            "-e",
            "COVERAGE_FILE=/data/.coverage",
            "coverage-spy/harvester:latest",
            "python3",
            "-m",
            "coverage",
            ...args,
            `--rcfile=/work/${service.name}.rc`,
        );
    inHarvester("combine", "-q");
    inHarvester("json", "-q", "-o", `/work/${service.name}.json`);
    const { files } = JSON.parse(fs.readFileSync(out, "utf8")) as {
        files: Record<string, { executed_lines: number[] }>;
    };
    return Object.fromEntries(
        Object.entries(files).map(([file, d]) => [path.posix.relative(APP, file), d.executed_lines]),
    );
}
