import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LostProcessPolicy } from "../options/choices";
import { ASSETS_DIR, CONFIG_DIR, DATA_DIR, HARVEST_SCRIPT, RCFILE, REPORTS_DIR } from "../layout";
import {
    HARVESTER_CONTAINER,
    LABEL_ROLE,
    LABEL_RUN_ID,
    PREPARE_CONTAINER,
    stackObjectName,
    toLabelList,
} from "../naming";

/** What the harvester needs to know about each service's data. */
export interface HarvestService {
    name: string;
    /** Source path inside the service's container, as recorded in its data files. */
    sourcePath: string;
}

export interface OneShotInput {
    stack: string;
    runId: string;
    image: string;
    labels: Record<string, string>;
    volumeName: pulumi.Input<string>;
    assetsDir: string;
    keepRuns: number;
    services: HarvestService[];
}

export interface HarvesterInput extends OneShotInput {
    configDir: string;
    reportDir: string;
    /** "uid:gid" owning the reports on the host. */
    reportOwner?: string;
    /** What a process that saved no data does to the harvest. */
    lostProcesses: LostProcessPolicy;
}

/** Host path of a run's reports, and the same folder as the harvester sees it. */
export function runReportDir(reportDir: string, runId: string): string {
    return `${reportDir.replace(/\/+$/, "")}/runs/${runId}`;
}

function serviceFlags(services: HarvestService[]): string[] {
    return services.flatMap((s) => ["--service", `${s.name}=${s.sourcePath}`]);
}

/**
 * A container that runs once and exits. `attach` makes the create wait for its exit; its exit code
 * must still be checked by the caller, because a non-zero exit does not fail the create.
 */
function oneShot(
    resourceName: string,
    containerSuffix: string,
    role: string,
    input: OneShotInput,
    args: Partial<docker.ContainerArgs>,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    return new docker.Container(
        resourceName,
        {
            name: stackObjectName(input.stack, containerSuffix),
            image: input.image,
            attach: true,
            logs: true,
            mustRun: false,
            restart: "no",
            labels: toLabelList({ ...input.labels, [LABEL_RUN_ID]: input.runId, [LABEL_ROLE]: role }),
            ...args,
        },
        pulumi.mergeOptions(opts, { deleteBeforeReplace: true }),
    );
}

/** The prepare container's command and mounts: creates this run's data folders and prunes old runs. */
export function prepareContainerSpec(input: OneShotInput): Partial<docker.ContainerArgs> {
    return {
        command: [
            "python3",
            HARVEST_SCRIPT,
            "prepare",
            "--data-dir",
            DATA_DIR,
            "--run-id",
            input.runId,
            "--keep",
            String(input.keepRuns),
            ...serviceFlags(input.services),
        ],
        mounts: [{ type: "bind", source: input.assetsDir, target: ASSETS_DIR, readOnly: true }],
        volumes: [{ volumeName: input.volumeName, containerPath: DATA_DIR }],
    };
}

/** The harvester's command and mounts: the data volume read-only, reports into the host report folder. */
export function harvesterContainerSpec(input: HarvesterInput): Partial<docker.ContainerArgs> {
    return {
        command: [
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
            `${REPORTS_DIR}/runs/${input.runId}`,
            "--keep",
            String(input.keepRuns),
            "--lost",
            input.lostProcesses,
            ...serviceFlags(input.services),
        ],
        user: input.reportOwner,
        mounts: [
            { type: "bind", source: input.assetsDir, target: ASSETS_DIR, readOnly: true },
            { type: "bind", source: input.configDir, target: CONFIG_DIR, readOnly: true },
            { type: "bind", source: input.reportDir, target: REPORTS_DIR, readOnly: false },
        ],
        volumes: [{ volumeName: input.volumeName, containerPath: DATA_DIR, readOnly: true }],
    };
}

/** Creates this run's data folders (writable by any app user) and prunes old runs, before services start. */
export function createRunPreparation(
    name: string,
    input: OneShotInput,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    return oneShot(
        `${name}-${PREPARE_CONTAINER}`,
        PREPARE_CONTAINER,
        "prepare",
        input,
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
    return oneShot(
        `${name}-${HARVESTER_CONTAINER}`,
        HARVESTER_CONTAINER,
        "harvester",
        input,
        harvesterContainerSpec(input),
        opts,
    );
}
