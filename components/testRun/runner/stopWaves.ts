// The graceful stop: every service stopped with its own grace, in parallel within a wave, wave after wave (a
// service before those it depends on), each stop timed.
import { ServiceDescription } from "./description";
import { Engine, StopResult } from "./engines/engine";
import { RunFailure, log, nowMs } from "./log";

/** How long each service took to stop, by name, in the order given. */
export type StopTimes = Map<string, number>;

async function stopOne(engine: Engine, s: ServiceDescription): Promise<{ ms?: number; result: StopResult }> {
    const started = nowMs();
    const result = await engine.stop(s);
    return { ms: result.stopped ? nowMs() - started : undefined, result };
}

/**
 * Stops every service. Every stop is waited for before it returns, so none is left running behind an error; a wave
 * ends before the next begins: what it stopped may still need the services of the next. Throws a RunFailure naming
 * every service that could not be stopped (after their last log lines, and why when the engine says).
 */
export async function stopServices(engine: Engine, services: ServiceDescription[]): Promise<StopTimes> {
    const times: StopTimes = new Map();
    const why = new Map<string, string>();
    const lastWave = Math.max(0, ...services.map((s) => s.stopWave));
    for (let wave = 0; wave <= lastWave; wave++) {
        const inWave = services.filter((s) => s.stopWave === wave);
        const stopped = await Promise.all(inWave.map((s) => stopOne(engine, s)));
        inWave.forEach((s, i) => {
            const { ms, result } = stopped[i];
            if (ms !== undefined) times.set(s.name, ms);
            if (result.why !== undefined) why.set(s.name, result.why);
        });
    }
    const notStopped = services.filter((s) => !times.has(s.name));
    if (notStopped.length === 0) return times;
    for (const s of notStopped) {
        await engine.showLogs(s);
        const said = why.get(s.name);
        if (said !== undefined) log(`service ${s.name}: ${said}`);
    }
    throw new RunFailure(`could not stop service(s): ${notStopped.map((s) => s.name).join(", ")}`);
}
