import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/**
 * Where the harvester writes a run's reports: into the host's report folder, mounted (a local engine), or into its
 * own filesystem, copied out afterwards (a remote engine: the test run's results are uploaded to it as a tar).
 */
export type HarvestReports =
    | { reportDir: string; /** "uid:gid" owning the reports on the host. */ owner?: string }
    | { inputsTar: string };

/** What bringing a run's reports into the host's run folder needs. */
export interface ReportsHome {
    runId: string;
    /** The harvester that wrote them. */
    harvester: docker.Container;
    /** The run's report folder as the harvester sees it. */
    from: string;
    /** The run's report folder on this machine. */
    to: string;
    /** The docker CLI's environment for the engine (DOCKER_HOST...). */
    cliEnv: pulumi.Input<Record<string, string>>;
}

/**
 * What differs for a run between a Docker engine that sees this machine's folders (local/) and one that does not
 * (remote/): how the test run reaches the services, how the run's results reach the harvester, how its reports come
 * back. The component asks the engine; it never branches on which one it is.
 */
export interface EngineKind {
    readonly remote: boolean;
    /** Where the test run's probes reach the services' published ports; undefined: the services' own addresses. */
    readonly probeHost?: string;
    /** The tar the test run packs its results into, for the harvester; undefined: the harvester reads the folder. */
    readonly runTar?: string;
    /** How the harvester gets the run's results and where it writes the reports. */
    readonly harvestReports: HarvestReports;
    /** Resolves once the run's reports are in the host's run folder, where the summary reads them. */
    reportsHome(name: string, home: ReportsHome, opts: pulumi.CustomResourceOptions): pulumi.Output<unknown>;
}
