import * as pulumi from "@pulumi/pulumi";

/** A one-shot container's non-zero exit does not fail its create, so every caller checks it here. */
export function checkOneShotExit(what: string, exitCode: number | undefined, logs: string | undefined): void {
    if (exitCode !== 0) {
        throw new pulumi.RunError(`coverage-spy: ${what} failed with exit code ${exitCode}:\n${logs ?? ""}`);
    }
}
