import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { TEST_COMMAND_ENV, TestRunScriptInput, testRunScript } from "./testRunScript";

export interface TestRunInput extends TestRunScriptInput {
    runId: string;
    testCommand: string;
    /** COVERAGE_SPY_<SERVICE>_URL and the user's test environment. */
    environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * Runs the test suite against the live services, then stops them gracefully.
 * Replaced on every new run id, so every `pulumi up` runs the tests again.
 */
export function createTestRun(name: string, input: TestRunInput, opts: pulumi.CustomResourceOptions): command.local.Command {
    return new command.local.Command(`${name}-test-run`, {
        create: testRunScript(input),
        interpreter: ["/bin/bash", "-c"],
        environment: pulumi.output(input.environment).apply((env) => ({
            ...env,
            [TEST_COMMAND_ENV]: input.testCommand,
            COVERAGE_SPY_RUN_ID: input.runId,
        })),
        triggers: [input.runId],
        // Test logs can be large; never feed them back into the next run's environment.
        addPreviousOutputInEnv: false,
    }, opts);
}
