// tests.json, the run's results the harvester and the summary read: the suite's exit code, duration and time
// limit, each service's stop time and early exit.
import * as fs from "fs";
import * as path from "path";
import { ServiceDescription } from "./description";
import { Engine, describeExit } from "./engines/engine";
import { log } from "./log";
import { SuiteResult } from "./suite";
import { StopTimes } from "./stopWaves";

export interface EarlyExit {
    exitCode: number;
    oomKilled: boolean;
}

/**
 * The services that exited before the stop (crashed, OOM-killed): reported as such, not as a quick graceful stop,
 * each with its last log lines and a warning.
 */
export async function earlyExits(engine: Engine, services: ServiceDescription[]): Promise<Record<string, EarlyExit>> {
    const exited: Record<string, EarlyExit> = {};
    // Asked all at once (each its own engine call), then said in the services' order.
    const states = await Promise.all(services.map((s) => engine.state(s)));
    for (const [i, s] of services.entries()) {
        const state = states[i] ?? { running: false, exitCode: -1, oomKilled: false };
        if (state.running) continue;
        await engine.showLogs(s);
        log(
            `warning: service ${s.name} exited during the test suite (${describeExit(state)}): ` +
                "only the data it saved before is measured",
        );
        exited[s.name] = { exitCode: state.exitCode, oomKilled: state.oomKilled };
    }
    return exited;
}

/** The text of tests.json (one line): fields in a fixed order, timedOutAfterSeconds only when the suite timed out. */
export function testsJson(suite: SuiteResult, stops: StopTimes, exited: Record<string, EarlyExit>): string {
    return `${JSON.stringify({
        exitCode: suite.exitCode,
        durationMs: suite.durationMs,
        stopMs: Object.fromEntries(stops),
        exitedEarly: exited,
        ...(suite.timedOutAfterSeconds !== undefined ? { timedOutAfterSeconds: suite.timedOutAfterSeconds } : {}),
    })}\n`;
}

export function writeTestsJson(runDir: string, text: string): void {
    fs.writeFileSync(path.join(runDir, "tests.json"), text);
}
