// The graceful stop: every service stopped with its own grace, in parallel within a wave, wave after wave (a
// service before those it depends on), each stop timed.
import { ServiceDescription } from "./description";
import { docker, showLogs } from "./docker";
import { RunFailure, nowMs } from "./log";

/** How long each service took to stop, by name, in the order given. */
export type StopTimes = Map<string, number>;

async function stopOne(s: ServiceDescription): Promise<number | undefined> {
    const started = nowMs();
    const result = await docker(["stop", "--time", String(s.stopGraceSeconds), s.containerName]);
    return result.status === 0 ? nowMs() - started : undefined;
}

/**
 * Stops every service. Every stop is waited for before it returns, so none is left running behind an error; a wave
 * ends before the next begins: what it stopped may still need the services of the next. Throws a RunFailure naming
 * every service that could not be stopped (after their last log lines).
 */
export async function stopServices(services: ServiceDescription[]): Promise<StopTimes> {
    const times: StopTimes = new Map();
    const lastWave = Math.max(0, ...services.map((s) => s.stopWave));
    for (let wave = 0; wave <= lastWave; wave++) {
        const inWave = services.filter((s) => s.stopWave === wave);
        const stopped = await Promise.all(inWave.map(stopOne));
        inWave.forEach((s, i) => {
            const ms = stopped[i];
            if (ms !== undefined) times.set(s.name, ms);
        });
    }
    const notStopped = services.filter((s) => !times.has(s.name));
    if (notStopped.length === 0) return times;
    for (const s of notStopped) await showLogs(s.containerName);
    throw new RunFailure(`could not stop service(s): ${notStopped.map((s) => s.name).join(", ")}`);
}
