/**
 * What the engine and the provider say when an update ends because the user interrupted it. The driver stopped
 * the suite and the services itself, so these are consequences of the interrupt, not causes to report: the
 * provider sees the container it was waiting on stopped ("container exited immediately"), the command provider
 * sees its script killed, the engine its context cancelled.
 */
const INTERRUPT_CONSEQUENCES = [
    /container exited immediately/,
    /signal: (killed|terminated|interrupt)/,
    /context canceled/,
    /update canceled|operation canceled|canceled by user/i,
    /the run was interrupted/,
    /^update failed$/,
    /^destroy failed$/,
];

/** Whether a diagnostic of an interrupted update only says that it was interrupted. */
export function isInterruptConsequence(message: string): boolean {
    return INTERRUPT_CONSEQUENCES.some((re) => re.test(message));
}

/** The last line of an interrupted run. */
export function interruptedEnding(action: string): string {
    return action === "up"
        ? "interrupted: the update was cancelled; the test suite and the services were stopped, so the data " +
              "they saved is kept in the data volume (no coverage summary for this run). Run again to measure."
        : `interrupted: the ${action} was cancelled. Run it again to finish.`;
}
