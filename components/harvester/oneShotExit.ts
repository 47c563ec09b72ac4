import * as pulumi from "@pulumi/pulumi";

/** The header before each chunk of a multiplexed Docker log: stream (0/1/2), three zero bytes, a 4-byte length. */
// eslint-disable-next-line no-control-regex -- the header is made of control bytes: matching them is the point.
const HEADER = /[\x00-\x02]\x00\x00\x00[\s\S]{4}/;

/**
 * A container's log as the docker provider returns it: without a TTY, Docker multiplexes stdout and stderr,
 * each chunk behind an 8-byte header (stream 0/1/2, three zero bytes, a 4-byte length). Drops the headers,
 * so a log reads as text (and `grep` does not call a CI log binary).
 */
export function demuxDockerLog(raw: string): string {
    // The header's length bytes may arrive as any characters (U+FFFD where they were not valid UTF-8): skip 4.
    return raw.replace(new RegExp(`(^|\\n)${HEADER.source}`, "g"), "$1").replace(new RegExp(HEADER.source, "g"), "");
}

/** What to say when a one-shot container failed (its non-zero exit does not fail its create), or undefined. */
export function oneShotFailure(
    what: string,
    exitCode: number | undefined,
    logs: string | undefined,
): string | undefined {
    return exitCode === 0
        ? undefined
        : `coverage-spy: ${what} failed with exit code ${exitCode}:\n${demuxDockerLog(logs ?? "").trimEnd()}`;
}

/** The same, as an error: for a step nothing may follow when it failed. */
export function checkOneShotExit(what: string, exitCode: number | undefined, logs: string | undefined): void {
    const failure = oneShotFailure(what, exitCode, logs);
    if (failure !== undefined) throw new pulumi.RunError(failure);
}
