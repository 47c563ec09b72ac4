// The readiness wait of one service: the engine's probe (its healthcheck, TCP port or URL on Docker; the
// Deployment's ready pods on Kubernetes) until it passes, checking that the service still runs.
import { ServiceDescription } from "./description";
import { Engine, describeExit } from "./engines/engine";
import { RunFailure, log, nowMs } from "./log";

/** How often a wait asks the engine whether the service still runs, however often it probes. */
const RUNNING_CHECK_INTERVAL_MS = 200;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The failure of a service that stopped before it was ready, below its last log lines. */
async function stoppedEarly(engine: Engine, s: ServiceDescription): Promise<RunFailure> {
    const state = await engine.state(s);
    const ended =
        state === undefined
            ? "the container no longer exists"
            : state.running
              ? "it was not running"
              : describeExit(state);
    await engine.showLogs(s);
    return new RunFailure(
        `service ${s.name} stopped before it was ready (${ended}; its last log lines are above): ` +
            "check its command, entrypoint and env",
    );
}

/**
 * Waits until the service is ready and says how long it took. Throws a RunFailure naming the cause when it stops
 * first or its time runs out (with its last probe result and the options that fix it); its last log lines are
 * shown then.
 */
export async function waitReady(engine: Engine, s: ServiceDescription, remoteHost?: string): Promise<void> {
    const start = nowMs();
    let checkedRunning = -Infinity;
    for (;;) {
        const pending = engine.probe(s, remoteHost);
        if (pending === undefined) {
            if (!(await engine.running(s))) throw await stoppedEarly(engine, s);
            break;
        }
        const { ready, last } = await pending;
        if (ready) break;
        const outOfTime = nowMs() - start >= s.readinessTimeoutSeconds * 1000;
        // Asked only after a probe failed: a ready probe proves the service runs (each probe's own docker inspect
        // says so where it has one), and on a warm run the service is usually ready at the first probe. Always
        // before the wait gives up, so a service that stopped is named as such.
        if (outOfTime || nowMs() - checkedRunning >= RUNNING_CHECK_INTERVAL_MS) {
            if (!(await engine.running(s))) throw await stoppedEarly(engine, s);
            checkedRunning = nowMs();
        }
        if (outOfTime) {
            await engine.showLogs(s);
            throw new RunFailure(
                `service ${s.name} was not ready within ${s.readinessTimeoutSeconds} s ` +
                    `(${engine.probeDescription(s)}; last: ${last}): ${engine.readinessFix(s)}`,
            );
        }
        await pause(engine.probeInterval(s));
    }
    log(`service ${s.name} ready in ${nowMs() - start} ms`);
}
