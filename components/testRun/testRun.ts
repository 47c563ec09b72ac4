import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { TEST_RUN_VARIABLE } from "./runner/description";
import { TEST_RUN_ENTRY, runnerEntryPath } from "../shared/runnerPath";
import { TestRunScriptInput, TestRunSettings, testRunDescription } from "./testRunScript";

export interface TestRunInput extends TestRunScriptInput, TestRunSettings {
    runId: string;
    /** COVERAGE_SPY_<SERVICE>_URL, the docker CLI's engine and the user's test environment. */
    environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * Runs the test suite against the live services, then stops them gracefully: runner/testRunMain.ts, run by the
 * Node that runs this program (no shell, no tool but docker on the host), its whole input in one variable.
 * Replaced on every new run id, so every `pulumi up` runs the tests again.
 */
export function createTestRun(
    name: string,
    input: TestRunInput,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    const entry = runnerEntryPath(TEST_RUN_ENTRY);
    return new command.local.Command(
        `${name}-test-run`,
        {
            // Run by path: a failure shows this path, not a whole program.
            create: entry,
            interpreter: [process.execPath],
            environment: pulumi.output(input.environment).apply((env) => ({
                ...env,
                // After the user's variables, so a test environment cannot redirect the run.
                [TEST_RUN_VARIABLE]: JSON.stringify(testRunDescription(input, env)),
                COVERAGE_SPY_RUN_ID: input.runId,
            })),
            triggers: [input.runId],
            // Test logs can be large; never feed them back into the next run's environment.
            addPreviousOutputInEnv: false,
        },
        opts,
    );
}
