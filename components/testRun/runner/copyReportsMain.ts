// Brings a run's reports back from a remote engine, a process of its own on the user's host
// (components/engine/remote/reportCopy.ts starts it with Node): the harvester wrote them into its own filesystem, which
// this machine cannot see, so they are copied out of the stopped container. Its parameters:
//   COVERAGE_SPY_HARVESTER       the harvester container
//   COVERAGE_SPY_FROM            the run's report folder inside it
//   COVERAGE_SPY_TO              the run's report folder on this machine
//   COVERAGE_SPY_HARVEST_EXIT    the harvester's exit code: when it failed, a missing folder is not this step's
//                                error (the update fails naming the harvester's own)
// DOCKER_HOST and friends name the engine.
import * as fs from "fs";
import { docker } from "./docker";
import { exitAfterOutput } from "./exit";
import { RunFailure, errorLine, log, nowMs } from "./log";

function parameter(name: string): string {
    const value = process.env[name];
    if (value === undefined) throw new RunFailure(`${name} is not set`);
    return value;
}

async function main(): Promise<void> {
    const harvester = parameter("COVERAGE_SPY_HARVESTER");
    const from = parameter("COVERAGE_SPY_FROM");
    const to = parameter("COVERAGE_SPY_TO");
    const harvestExit = parameter("COVERAGE_SPY_HARVEST_EXIT");
    try {
        fs.mkdirSync(to, { recursive: true });
    } catch {
        throw new RunFailure(`could not create ${to}`);
    }
    const started = nowMs();
    const copied = await docker(["cp", `${harvester}:${from}/.`, to], true);
    if (copied.status !== 0) {
        if (harvestExit !== "0") return log(`no reports to copy: the harvester failed (exit code ${harvestExit})`);
        throw new RunFailure(`could not copy the reports out of ${harvester} (${from}) into ${to}`);
    }
    log(`reports copied from the engine in ${nowMs() - started} ms`);
}

main().then(
    () => exitAfterOutput(0),
    (err: unknown) => {
        log(errorLine((err as Error).message));
        exitAfterOutput(err instanceof RunFailure ? err.exitCode : 1);
    },
);
