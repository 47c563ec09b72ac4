// The lines a watch session's services ran at start-up, kept for every cycle's report: a reset discards what the
// processes collected, yet a fresh run's report has their start-up lines (imports, the app's set-up, the readiness
// probes), so they are put where each harvest combines them, once, under a name no reset removes.
import { docker } from "../../components/engine/dockerCli";
import { RCFILE, runDataDir } from "../../components/shared/layout";
import { LABEL_ROLE } from "../../components/shared/naming";
import { LiveService } from "../snapshot/snapshotCoverage";

/**
 * The start-up data's name in a service's data folder: a coverage.py data file name (`.coverage.*`, which the
 * harvest combines) that names no process (records.data_file_owner), so a reset, which deletes the files of the
 * processes that ended, leaves it in place.
 */
export const STARTUP_DATA_FILE = ".coverage.coverage-spy-watch-startup";

/**
 * Combines what every process of each measured service saved so far (a snapshot was just taken: their start-up)
 * into STARTUP_DATA_FILE in the service's data folder, through a helper container on the service's volumes. The
 * processes' own files stay as they are; coverage.py's combine reads them as SQLite, whole, even while a process
 * saves.
 */
export function keepStartupLines(services: LiveService[]): void {
    for (const service of services) {
        const folder = `${runDataDir(service.runId)}/${service.name}`;
        // Combined outside the folder first: the folder's `.coverage.*` would otherwise include the output itself.
        const script =
            'mkdir -p /tmp/startup && python3 -m coverage combine --keep -q --rcfile "$1" --data-file /tmp/startup/.coverage "$2" && cp /tmp/startup/.coverage "$2/$3"';
        try {
            docker(
                [
                    "run",
                    "--rm",
                    "--network",
                    "none",
                    "--volumes-from",
                    service.container,
                    "--label",
                    `${LABEL_ROLE}=watch-startup`,
                    "--entrypoint",
                    "sh",
                    service.harvesterImage,
                    "-c",
                    script,
                    "sh",
                    RCFILE,
                    folder,
                    STARTUP_DATA_FILE,
                ],
                { waits: "container" },
            );
        } catch (err) {
            throw new Error(
                `coverage-spy: keeping the start-up lines of service ${service.name}: ${(err as Error).message}`,
            );
        }
    }
}
