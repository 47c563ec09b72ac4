import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    ASSETS_DIR,
    DATA_DIR,
    ENGINE_REPORTS_DIR,
    HARVEST_SCRIPT,
    RCFILE,
    REPORTS_DIR,
} from "../../components/shared/layout";
import {
    LABEL_HARVESTER_IMAGE,
    LABEL_MEASURED,
    LABEL_REPORT_DIR,
    LABEL_REMOTE_ENGINE,
    LABEL_ROLE,
    LABEL_RUN_ID,
    LABEL_SERVICE,
    LABEL_SOURCE_PATH,
    newRunId,
} from "../../components/shared/naming";
import { DockerCall, DockerResult, docker as runDocker } from "../../components/engine/dockerCli";
import { hostOwner } from "../../components/engine/local/localEngine";
import { runReportDir } from "../../components/harvester/harvester";
import { runningServiceContainers } from "../../components/service/runningServices";
import { HarvestedCoverage, readHarvestedCoverage } from "../../components/summary/readRunSummary";

/** The spy's signal helper, next to harvest.py in the assets folder. */
const SIGNAL_SCRIPT = `${ASSETS_DIR}/signal_processes.py`;
const EXIT_NO_ANSWER = 4;

export interface SnapshotOptions {
    /** The stack whose running services to snapshot. */
    stack: string;
    /**
     * "snapshot" (default): every process saves now, then a report of the run so far. "reset": discard what was
     * collected.
     */
    action?: "snapshot" | "reset";
    /** Seconds to wait for every process to answer. Default: 10. */
    timeoutSeconds?: number;
    /** Progress lines. Default: stderr. */
    log?: (line: string) => void;
    /**
     * A running helper container per service (startSnapshotHelpers), by service name: the snapshot's commands run
     * in them (`docker exec`), instead of a new container each, which takes most of a snapshot's time.
     */
    helpers?: Record<string, string>;
    /** The stack's live services (findLiveServices), when a session of snapshots found them already. */
    services?: LiveService[];
    /**
     * An earlier snapshot's folder of these same running services: their source is copied from its sources/ on this
     * machine rather than out of the containers again (what runs in a container does not change while it runs).
     */
    sourcesFrom?: string;
}

/** How the processes of one service answered. */
export interface ServiceAnswer {
    service: string;
    signalled: number;
    answered: number;
    /** Processes that did not answer in time (stopped, or their app replaced the spy's signal handler). */
    silent: Array<{ pid: number; command: string[] }>;
}

export interface SnapshotResult {
    action: "snapshot" | "reset";
    runId: string;
    answers: ServiceAnswer[];
    /** The report of the run so far (snapshot only). */
    coverage?: HarvestedCoverage;
    /** Host folder of the snapshot's reports (snapshot only). */
    reportDir?: string;
}

export interface LiveService {
    container: string;
    name: string;
    sourcePath: string;
    runId: string;
    reportDir: string;
    harvesterImage: string;
    /** The engine cannot see this machine's folders: the harvest goes through it (copies in and out). */
    remoteEngine: boolean;
}

/** Runs docker for `what` (named in its error); the signal helper's EXIT_NO_ANSWER is an answer. */
function docker(args: string[], what: string, call: DockerCall = {}): DockerResult {
    try {
        return runDocker(args, { answers: [EXIT_NO_ANSWER], ...call });
    } catch (err) {
        throw new Error(`coverage-spy: ${what}: ${(err as Error).message}`);
    }
}

/** The stack's running service containers, read from the labels the component puts on them. */
export function findLiveServices(stack: string): LiveService[] {
    let names: string[];
    try {
        names = runningServiceContainers(stack);
    } catch (err) {
        throw new Error(`coverage-spy: listing the stack's services: ${(err as Error).message}`);
    }
    if (names.length === 0) {
        throw new Error(
            `coverage-spy: stack ${stack} has no running service: a snapshot is taken while its services run ` +
                "(during `pulumi up`, while the tests run)",
        );
    }
    const inspected = JSON.parse(docker(["inspect", ...names], "inspecting the services").stdout) as Array<{
        Name: string;
        Config: { Labels: Record<string, string> };
    }>;
    // Services the stack does not measure (a database, a broker) have nothing to save.
    const measured = inspected.filter((c) => c.Config.Labels[LABEL_MEASURED] !== "false");
    const services = measured.map((c) => {
        const labels = c.Config.Labels;
        const missing = [
            LABEL_SERVICE,
            LABEL_SOURCE_PATH,
            LABEL_RUN_ID,
            LABEL_REPORT_DIR,
            LABEL_HARVESTER_IMAGE,
        ].filter((l) => !labels[l]);
        if (missing.length > 0) {
            throw new Error(
                `coverage-spy: container ${c.Name} lacks the label(s) ${missing.join(", ")}: was it made by an older coverage-spy?`,
            );
        }
        return {
            container: c.Name.replace(/^\//, ""),
            name: labels[LABEL_SERVICE],
            sourcePath: labels[LABEL_SOURCE_PATH],
            runId: labels[LABEL_RUN_ID],
            reportDir: labels[LABEL_REPORT_DIR],
            harvesterImage: labels[LABEL_HARVESTER_IMAGE],
            remoteEngine: labels[LABEL_REMOTE_ENGINE] === "true",
        };
    });
    const runs = [...new Set(services.map((s) => s.runId))];
    if (runs.length > 1)
        throw new Error(`coverage-spy: stack ${stack} runs services of several runs at once (${runs.join(", ")})`);
    return services;
}

/**
 * Asks every measured process of one service to act, from a helper container in the service's process
 * namespace (the app's image needs nothing for it), and waits for their answers.
 */
function signalService(
    service: LiveService,
    action: "snapshot" | "reset",
    timeoutSeconds: number,
    helper: string | undefined,
): ServiceAnswer {
    const command = [
        "python3",
        SIGNAL_SCRIPT,
        "--data-dir",
        DATA_DIR,
        "--run-id",
        service.runId,
        "--service",
        service.name,
        "--rcfile",
        RCFILE,
        "--action",
        action,
        "--timeout",
        String(timeoutSeconds),
    ];
    const { stdout } = docker(
        helper !== undefined
            ? ["exec", helper, ...command]
            : [
                  "run",
                  "--rm",
                  "--network",
                  "none",
                  "--pid",
                  `container:${service.container}`,
                  "--volumes-from",
                  service.container,
                  "--label",
                  `${LABEL_ROLE}=${action}`,
                  service.harvesterImage,
                  ...command,
              ],
        `${action} of service ${service.name}`,
        // The helper waits up to timeoutSeconds for the processes' answers.
        { waits: timeoutSeconds },
    );
    const answer = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as ServiceAnswer;
    return {
        service: service.name,
        signalled: answer.signalled,
        answered: answer.answered,
        silent: answer.silent.map((p) => ({ pid: p.pid, command: p.command })),
    };
}

/** Where the snapshot's sources are uploaded in a remote engine's harvester (harvest.py --inputs). */
const SNAPSHOT_INPUTS = "/tmp/coverage-spy-run.tar";

/** Removes the snapshot's harvester; a failure here must not hide the harvest's own (its label names it). */
function removeQuietly(container: string): void {
    try {
        runDocker(["rm", "--force", container]);
    } catch {
        // Nothing to add: the harvest's outcome is what the snapshot reports.
    }
}

/**
 * The snapshot's harvest on an engine that cannot see the report folder: a harvester container is created, the
 * copied sources go in as a tar, it runs, and its reports come out into `hostOut`; it is removed whatever happened.
 */
function harvestThroughEngine(
    snapshotId: string,
    hostOut: string,
    createArgs: string[],
    engineOut: string,
): DockerResult {
    const name = `coverage-spy-snapshot-${snapshotId}`;
    const inputs = path.join(hostOut, "inputs.tar");
    const packed = spawnSync("tar", ["-C", hostOut, "-cf", inputs, "sources"], { encoding: "utf8" });
    if (packed.status !== 0) throw new Error(`coverage-spy: packing the snapshot's sources failed: ${packed.stderr}`);
    docker(["create", "--name", name, ...createArgs], "creating the snapshot's harvester");
    try {
        docker(["cp", inputs, `${name}:${SNAPSHOT_INPUTS}`], "uploading the snapshot's sources");
        const run = docker(["start", "--attach", name], "harvesting the snapshot", { waits: "container" });
        docker(["cp", `${name}:${engineOut}/.`, hostOut], "copying the snapshot's reports back");
        return run;
    } finally {
        removeQuietly(name);
        fs.rmSync(inputs, { force: true });
    }
}

/**
 * Like the JaCoCo agent's dump and reset, for running Python services: "snapshot" makes every measured process
 * save its data now and keep running, then harvests a report of the run so far into
 * <reportDir>/runs/<runId>/snapshots/<id>; "reset" makes every process discard what it collected (and deletes
 * the data of processes that have ended), so what follows is measured alone. Uses the Docker CLI.
 */
export function snapshotCoverage(options: SnapshotOptions): SnapshotResult {
    const action = options.action ?? "snapshot";
    const timeout = options.timeoutSeconds ?? 10;
    const log = options.log ?? ((line: string) => process.stderr.write(`[coverage-spy] ${line}\n`));
    const services = options.services ?? findLiveServices(options.stack);
    const runId = services[0].runId;
    log(`${action}: run ${runId}, service(s) ${services.map((s) => s.name).join(", ")}`);
    const answers = services.map((s) => {
        const answer = signalService(s, action, timeout, options.helpers?.[s.name]);
        log(`service ${s.name}: ${answer.answered} of ${answer.signalled} process(es) answered`);
        for (const p of answer.silent)
            log(`  process ${p.pid} (${p.command.join(" ")}) did not answer within ${timeout} s`);
        return answer;
    });
    if (action === "reset") return { action, runId, answers };

    const snapshotId = newRunId();
    const hostOut = path.join(runReportDir(services[0].reportDir, runId), "snapshots", snapshotId);
    for (const s of services) {
        const target = path.join(hostOut, "sources", s.name);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        if (options.sourcesFrom !== undefined)
            fs.cpSync(path.join(options.sourcesFrom, "sources", s.name), target, { recursive: true });
        else
            docker(
                ["cp", `${s.container}:${s.sourcePath.replace(/\/+$/, "")}/.`, target],
                `copying the source of service ${s.name}`,
            );
    }
    // The data through the first service's volumes, read-only; the reports into `out` as the harvester sees it.
    const container = [
        "--network",
        "none",
        "--volumes-from",
        `${services[0].container}:ro`,
        "--label",
        `${LABEL_ROLE}=snapshot-harvester`,
    ];
    const snapshotDir = (reports: string) => `${reports}/runs/${runId}/snapshots/${snapshotId}`;
    const harvestCommand = (out: string) => [
        "python3",
        HARVEST_SCRIPT,
        "harvest",
        "--live",
        "--data-dir",
        DATA_DIR,
        "--run-id",
        runId,
        "--rcfile",
        RCFILE,
        "--out",
        out,
        // A report of the run so far: a process that ended without saving is listed, never fatal here.
        "--lost",
        "warn",
        ...services.flatMap((s) => ["--service", `${s.name}=${s.sourcePath}`]),
    ];
    const engineOut = snapshotDir(ENGINE_REPORTS_DIR);
    // The reports on this machine belong to its user, as the component's harvester's do.
    const owner = hostOwner();
    const user = owner !== undefined ? ["--user", owner] : [];
    const helper = options.helpers?.[services[0].name];
    const harvest = services[0].remoteEngine
        ? harvestThroughEngine(
              snapshotId,
              hostOut,
              [...container, services[0].harvesterImage, ...harvestCommand(engineOut), "--inputs", SNAPSHOT_INPUTS],
              engineOut,
          )
        : docker(
              helper !== undefined
                  ? ["exec", ...user, helper, ...harvestCommand(snapshotDir(REPORTS_DIR))]
                  : [
                        "run",
                        "--rm",
                        ...container,
                        "-v",
                        `${services[0].reportDir}:${REPORTS_DIR}`,
                        ...user,
                        services[0].harvesterImage,
                        ...harvestCommand(snapshotDir(REPORTS_DIR)),
                    ],
              "harvesting the snapshot",
              { waits: "container" },
          );
    if (harvest.status !== 0) throw new Error(`coverage-spy: harvesting the snapshot failed (exit ${harvest.status})`);
    const coverage = readHarvestedCoverage({
        runDir: hostOut,
        runId,
        services: services.map((s) => ({ name: s.name, sourcePath: s.sourcePath })),
    });
    log(`snapshot ${snapshotId}: ${coverage.totals.percent.toFixed(2)}% so far; reports in ${hostOut}`);
    return { action, runId, answers, coverage, reportDir: hostOut };
}

/**
 * One helper container per measured service of a local engine's stack, for a session of snapshots (watch): in the
 * service's process namespace, with its volumes and the report folder, as each snapshot's own containers would be,
 * idle until the snapshots run their commands in it. It ends with its service (the namespace's first process takes
 * the others with it when it exits) and is removed then (--rm): a killed session leaves none once its run stops.
 * None on a remote engine, whose harvest goes through copies. Returns them by service name.
 */
export function startSnapshotHelpers(stack: string, session: string): Record<string, string> {
    const helpers: Record<string, string> = {};
    for (const s of findLiveServices(stack).filter((s) => !s.remoteEngine)) {
        const name = `${s.container}-snapshots-${session}`;
        docker(
            [
                "run",
                "--detach",
                "--rm",
                "--name",
                name,
                "--network",
                "none",
                "--pid",
                `container:${s.container}`,
                "--volumes-from",
                s.container,
                "-v",
                `${s.reportDir}:${REPORTS_DIR}`,
                "--label",
                `${LABEL_ROLE}=snapshot-helper`,
                "--entrypoint",
                "sleep",
                s.harvesterImage,
                "infinity",
            ],
            `starting the snapshot helper of service ${s.name}`,
        );
        helpers[s.name] = name;
    }
    return helpers;
}

/** Removes the helpers startSnapshotHelpers started (those that have not ended with their service). */
export function removeSnapshotHelpers(helpers: Record<string, string>): void {
    for (const name of Object.values(helpers)) removeQuietly(name);
}
