// The test run's own lines on stderr, "[coverage-spy] ..." as the docs and the driver quote them.

export function log(message: string): void {
    process.stderr.write(`[coverage-spy] ${message}\n`);
}

/** A cause the run cannot go on after: its message becomes the run's one error line, its code the exit code. */
export class RunFailure extends Error {
    constructor(
        message: string,
        readonly exitCode = 1,
    ) {
        super(message);
    }
}

/** The cause on one line, so it stands out in Pulumi's error. */
export function errorLine(message: string): string {
    return `error: ${message.replace(/\n/g, " ")}`;
}

/** Milliseconds since some fixed moment, for durations (never goes back as the wall clock may). */
export function nowMs(): number {
    return Number(process.hrtime.bigint() / 1_000_000n);
}
