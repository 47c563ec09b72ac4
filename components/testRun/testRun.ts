import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
    TEST_COMMAND_ENV,
    TEST_RUN_SCRIPT,
    TestRunScriptInput,
    assetScriptPath,
    testRunEnvironment,
} from "./testRunScript";

export interface TestRunInput extends TestRunScriptInput {
    runId: string;
    testCommand: string;
    /** The spy's assets folder, which holds test-run.sh. */
    assetsDir: string;
    /** COVERAGE_SPY_<SERVICE>_URL and the user's test environment. */
    environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * Runs the test suite against the live services, then stops them gracefully.
 * Replaced on every new run id, so every `pulumi up` runs the tests again.
 */
export function createTestRun(
    name: string,
    input: TestRunInput,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    const script = assetScriptPath(input.assetsDir, TEST_RUN_SCRIPT);
    return new command.local.Command(
        `${name}-test-run`,
        {
            // Run by path with every parameter in the environment: a failure shows this path, not a whole script.
            create: script,
            interpreter: ["/bin/bash"],
            environment: pulumi.output(input.environment).apply((env) => ({
                ...env,
                // After the user's variables, so a test environment cannot redirect the run.
                ...testRunEnvironment(input),
                [TEST_COMMAND_ENV]: input.testCommand,
                COVERAGE_SPY_RUN_ID: input.runId,
            })),
            triggers: [input.runId],
            // Test logs can be large; never feed them back into the next run's environment.
            addPreviousOutputInEnv: false,
        },
        opts,
    );
}
