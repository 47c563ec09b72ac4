// The readiness wait of one service others depend on, a process of its own on the user's host
// (components/testRun/readinessWait.ts starts it with Node, before their containers are made): the test run's own
// probes. A service that is not ready in time is stopped gracefully and the wait fails, naming the cause. Its one
// input is its description (description.ts), in COVERAGE_SPY_TEST_RUN.
import { TEST_RUN_VARIABLE, readReadinessDescription } from "./description";
import { engineFor } from "./engines/select";
import { exitAfterOutput } from "./exit";
import { RunFailure, errorLine, log } from "./log";
import { waitReady } from "./readiness";

async function main(): Promise<void> {
    const description = readReadinessDescription(process.env[TEST_RUN_VARIABLE]);
    const { service, remoteHost } = description;
    const engine = engineFor(description.engine);
    await engine.check();
    try {
        await waitReady(engine, service, remoteHost);
    } catch (err) {
        const stop = await engine.stop(service);
        if (!stop.stopped)
            log(`could not stop ${service.containerName}${stop.why !== undefined ? `: ${stop.why}` : ""}`);
        throw err;
    }
}

main().then(
    () => exitAfterOutput(0),
    (err: unknown) => {
        log(errorLine(err instanceof RunFailure ? err.message : (err as Error).message));
        exitAfterOutput(1);
    },
);
