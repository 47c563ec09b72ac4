import * as pulumi from "@pulumi/pulumi";
import { EngineKind } from "../engineKind";

/** The user running the update, "uid:gid", who should own the reports the harvester writes; none on Windows. */
export function hostOwner(): string | undefined {
    return typeof process.getuid === "function" && typeof process.getgid === "function"
        ? `${process.getuid()}:${process.getgid()}`
        : undefined;
}

/**
 * An engine on this machine (or one that sees its folders): the test run probes the services where it finds them,
 * and the harvester reads the run folder and writes the reports into the report folder, both mounted.
 */
export function localEngine(reportDir: string): EngineKind {
    return {
        remote: false,
        harvestReports: { reportDir, owner: hostOwner() },
        // The harvester wrote them there itself.
        reportsHome: () => pulumi.output(0),
    };
}
