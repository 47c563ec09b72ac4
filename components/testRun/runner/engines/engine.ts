// What the test run asks of the engine that runs the services: their state, their last log lines, their graceful
// stop, their readiness probe and the copy of their measured source. One module per engine implements it; the run
// reads which one from its description and never asks which it has.
import { ServiceDescription } from "../description";
import { ProbeResult } from "../probes";

/** A service's state, as "did it die?" needs it. */
export interface ServiceState {
    /** False once any of its processes ended (exited, was killed, was restarted). */
    running: boolean;
    /** -1 when the engine said nothing that reads as a number. */
    exitCode: number;
    oomKilled: boolean;
    /** Where it ended, when the engine runs several copies ("in pod web-1 on node n1, container app"). */
    where?: string;
}

export interface StopResult {
    stopped: boolean;
    /** Why it was not stopped, with how to look into it, when the engine can say more than its own output. */
    why?: string;
}

export interface CopyResult {
    /** What the engine's command said when the copy failed (shown as it is), or undefined when it worked. */
    said?: string;
    /** The failure's cause and fix, when the engine knows it better than "could not copy ...". */
    failure?: string;
}

export interface Engine {
    /** Refuses, naming the fix, what the engine cannot do on this machine, before the run waits for anything. */
    check(): Promise<void>;
    /** The service's state, or undefined when the engine does not know the service. */
    state(s: ServiceDescription): Promise<ServiceState | undefined>;
    /** Whether the service runs: the readiness wait's frequent check. */
    running(s: ServiceDescription): Promise<boolean>;
    /** The service's last log lines on stderr, under a line that names it. */
    showLogs(s: ServiceDescription): Promise<void>;
    /** Stops the service with its grace (stopGraceSeconds), so every process saves; ends once it stopped. */
    stop(s: ServiceDescription): Promise<StopResult>;
    /**
     * Whether copySource reads something the stop does not touch (the image, not the stopping container), so the
     * copy may run while the services stop.
     */
    readonly copiesBesideStop: boolean;
    /** Copies the service's measured source (sourcePath) into the host folder `target`. */
    copySource(s: ServiceDescription, target: string): Promise<CopyResult>;
    /** One readiness probe, or undefined when the service has nothing to probe (ready once running). */
    probe(s: ServiceDescription, remoteHost: string | undefined): Promise<ProbeResult> | undefined;
    /** The pause after a probe that failed. */
    probeInterval(s: ServiceDescription): number;
    /** How the service's readiness is probed, as a failure names it. */
    probeDescription(s: ServiceDescription): string;
    /** What makes the service's probe pass, as a failure names it. */
    readinessFix(s: ServiceDescription): string;
}

/**
 * "exit code 3", with ", killed for lack of memory (OOM)" when it was, and where when the engine says; only where
 * when there is no exit code to tell (a pod that is gone).
 */
export function describeExit(state: ServiceState): string {
    const code = `exit code ${state.exitCode}${state.oomKilled ? ", killed for lack of memory (OOM)" : ""}`;
    if (state.where === undefined) return code;
    return state.exitCode === -1 && !state.oomKilled ? state.where : `${code}, ${state.where}`;
}
