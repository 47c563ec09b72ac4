import * as path from "path";
import { EngineKind } from "../engineKind";
import { createReportCopy } from "./reportCopy";

/**
 * An engine that cannot see this machine's folders: the test run reaches the services through their published ports
 * on `serviceHost` and packs its results into a tar the harvester's create uploads; the harvester writes the reports
 * into its own filesystem, from which they are copied back into the run folder.
 */
export function remoteEngine(reportDir: string, serviceHost: string): EngineKind {
    const runTar = path.join(reportDir, "engine", "run-inputs.tar");
    return {
        remote: true,
        probeHost: serviceHost,
        runTar,
        harvestReports: { inputsTar: runTar },
        reportsHome: (name, home, opts) => createReportCopy(name, home, opts).stdout,
    };
}
