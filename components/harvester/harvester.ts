import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LostProcessPolicy } from "../options/choices";
import { DATA_DIR, ENGINE_REPORTS_DIR, HARVEST_SCRIPT, RCFILE, REPORTS_DIR } from "../shared/layout";
import { dataVolumeMount } from "../infra/coverageVolume";
import { SpyFileMounts, SpySource, spyFileMounts } from "../engine/spyFiles";
import { HARVESTER_CONTAINER, PREPARE_CONTAINER } from "../shared/naming";
import { createOneShot } from "../engine/oneShot";
import { HarvestReports } from "../engine/engineKind";

/** What the harvester needs to know about each service's data. */
export interface HarvestService {
    name: string;
    /** Source path inside the service's container, as recorded in its data files. */
    sourcePath: string;
}

export interface OneShotInput {
    stack: string;
    runId: string;
    /** The spy image: python3 with coverage.py, to run the assets' scripts. */
    image: pulumi.Input<string>;
    labels: Record<string, string>;
    volumeName: pulumi.Input<string>;
    /** The stack's spy volume. */
    spyFiles: SpySource;
    keepRuns: number;
    services: HarvestService[];
}

export { HarvestReports };

export interface HarvesterInput extends OneShotInput {
    reports: HarvestReports;
    /** What a process that saved no data does to the harvest. */
    lostProcesses: LostProcessPolicy;
}

/** Where the test run's results are uploaded in a remote engine's harvester. */
const INPUTS_IN_CONTAINER = "/tmp/coverage-spy-run.tar";

/** Host path of a run's reports, and the same folder as the harvester sees it. */
export function runReportDir(reportDir: string, runId: string): string {
    return `${reportDir.replace(/\/+$/, "")}/runs/${runId}`;
}

function serviceFlags(services: HarvestService[]): string[] {
    return services.flatMap((s) => ["--service", `${s.name}=${s.sourcePath}`]);
}

/**
 * The prepare container's command and mounts: makes the data volume's runs/ folder, where each run's first measured
 * process makes the run's folders (the harvest prunes old runs). Once per volume, not per run.
 */
export function prepareContainerSpec(input: OneShotInput): Partial<docker.ContainerArgs> {
    return {
        command: ["python3", HARVEST_SCRIPT, "init", "--data-dir", DATA_DIR],
        ...withDataVolume(spyFileMounts(input.spyFiles, ["assets"]), input.volumeName),
    };
}

/** The spy's files plus the data volume. */
function withDataVolume(
    files: SpyFileMounts,
    volumeName: pulumi.Input<string>,
): Pick<docker.ContainerArgs, "mounts" | "volumes"> {
    return { mounts: files.mounts, volumes: [...files.volumes, dataVolumeMount(volumeName)] };
}

/** The run's report folder as the harvester sees it. */
export function harvesterReportDir(input: Pick<HarvesterInput, "reports" | "runId">): string {
    return `${"reportDir" in input.reports ? REPORTS_DIR : ENGINE_REPORTS_DIR}/runs/${input.runId}`;
}

/** What the harvester's command line is made of: no container's part (image, mounts). */
export type HarvestCommandInput = Pick<
    HarvesterInput,
    "stack" | "runId" | "keepRuns" | "services" | "volumeName" | "reports" | "lostProcesses"
>;

/**
 * The harvester's command line, the same on every engine: `harvest.py harvest` of the run's data into its report
 * folder (harvesterReportDir). Its --volume-name is the data volume's (or claim's) name, known once it exists.
 */
export function harvestCommand(input: HarvestCommandInput): pulumi.Input<string>[] {
    const { reports } = input;
    return [
        "python3",
        HARVEST_SCRIPT,
        "harvest",
        "--data-dir",
        DATA_DIR,
        "--run-id",
        input.runId,
        "--rcfile",
        RCFILE,
        "--out",
        harvesterReportDir(input),
        "--keep",
        String(input.keepRuns),
        "--lost",
        input.lostProcesses,
        // Whose runs these are: the harvest prunes only runs its marker says are this stack's.
        "--project",
        pulumi.getProject(),
        "--stack",
        input.stack,
        // Named when the volume fills up.
        "--volume-name",
        input.volumeName,
        ...serviceFlags(input.services),
        ...("inputsTar" in reports ? ["--inputs", INPUTS_IN_CONTAINER] : []),
        ...("reportDir" in reports && reports.owner !== undefined ? ["--owner", reports.owner] : []),
    ];
}

/**
 * The harvester's command and mounts: the data volume (it prunes old runs); reports to the host folder or its own.
 * The command's --volume-name is the volume's name, known once the volume exists.
 */
export function harvesterContainerSpec(input: HarvesterInput): Partial<docker.ContainerArgs> {
    const { reports } = input;
    const files = spyFileMounts(input.spyFiles, ["assets", "config"]);
    return {
        command: harvestCommand(input),
        // Root, and the data volume writable: it prunes old runs, whichever user's processes wrote them.
        user: "0:0",
        ...withDataVolume(files, input.volumeName),
        ...("reportDir" in reports
            ? {
                  mounts: [
                      ...files.mounts,
                      { type: "bind", source: reports.reportDir, target: REPORTS_DIR, readOnly: false },
                  ],
              }
            : { uploads: [{ file: INPUTS_IN_CONTAINER, source: reports.inputsTar }] }),
    };
}

/** Makes the data volume ready for runs, once (not replaced by a new run), before any service starts. */
export function createRunPreparation(
    name: string,
    input: OneShotInput,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    // No run id: the volume is made ready once, not by every run.
    const { stack, image, labels } = input;
    return createOneShot(
        `${name}-${PREPARE_CONTAINER}`,
        PREPARE_CONTAINER,
        "prepare",
        { stack, image, labels },
        prepareContainerSpec(input),
        opts,
    );
}

/** Combines the run's data files per service and in total, and writes every report into the host report folder. */
export function createHarvester(
    name: string,
    input: HarvesterInput,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    return createOneShot(
        `${name}-${HARVESTER_CONTAINER}`,
        HARVESTER_CONTAINER,
        "harvester",
        input,
        harvesterContainerSpec(input),
        opts,
    );
}
