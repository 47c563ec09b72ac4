import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { TEST_RUN_VARIABLE } from "./runner/description";
import { NODE_START_VARIABLES, TEST_RUN_ENTRY, runnerEntryPath, runnerStartEnvironment } from "../shared/runnerPath";
import { TestRunScriptInput, TestRunSettings, testRunDescription } from "./testRunScript";

export interface TestRunInput extends TestRunScriptInput, TestRunSettings {
    runId: string;
    /** COVERAGE_SPY_<SERVICE>_URL, the docker CLI's engine and the user's test environment. */
    environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * What Node reads as it starts, as the suite would have had it without the runner's blanking: the test
 * environment's value, else this machine's (the Command's process has the same environment as this one), null for
 * unset.
 */
export function suiteNodeVariables(
    env: Record<string, string>,
    host: NodeJS.ProcessEnv = process.env,
): Record<string, string | null> {
    return Object.fromEntries(NODE_START_VARIABLES.map((name) => [name, env[name] ?? host[name] ?? null]));
}

/**
 * Runs the test suite against the live services, then stops them gracefully: runner/testRunMain.ts, run by the
 * Node that runs this program (no shell, no tool but docker on the host), its whole input in one variable, without
 * what Node would read at its start and the run does not need (runnerStartEnvironment).
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
                // After the user's variables, so a test environment cannot redirect the run; the suite gets them back.
                ...runnerStartEnvironment(),
                [TEST_RUN_VARIABLE]: JSON.stringify({
                    ...testRunDescription(input, env),
                    suiteNodeVariables: suiteNodeVariables(env),
                }),
                COVERAGE_SPY_RUN_ID: input.runId,
            })),
            triggers: [input.runId],
            // Test logs can be large; never feed them back into the next run's environment.
            addPreviousOutputInEnv: false,
        },
        opts,
    );
}
