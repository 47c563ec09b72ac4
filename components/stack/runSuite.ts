import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { contextRelayScriptService } from "../contexts/contextRelay";
import { runnerEnvironment } from "../contexts/runnerEnvironment";
import { createTestRun } from "../testRun/testRun";
import { measuredServices } from "../options/resolveArgs";
import { CONTEXT_RELAY_CONTAINER, serviceUrlEnvName } from "../shared/naming";
import { RunPlan } from "./planRun";
import { PreparedBase, RunEngine } from "./runEngine";
import { StartedServices } from "./startServices";

/**
 * Runs the test command against the live services once they are all up and ready, then stops them gracefully so
 * every process saves its data. With per-test contexts, the relay the test runner reports each test to is started
 * first and the runner's plugin goes first on the suite's PYTHONPATH.
 */
export function runSuite<P extends PreparedBase>(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine<P>>,
    prepared: P,
    services: StartedServices,
): command.local.Command {
    const { resolved, stack, engine } = plan;
    const urlEnv: Record<string, pulumi.Output<string>> = {};
    for (const [service, url] of Object.entries(services.urls)) urlEnv[serviceUrlEnvName(service)] = url;
    const described = [...services.described];
    const needs: pulumi.Resource[] = [...services.containers.values(), ...services.readiness.values()];
    let runnerEnv: Record<string, string> = {};
    if (resolved.perTestContexts) {
        const { relay, url, where } = engine.startContextRelay(component, name, plan, prepared);
        const relayUrlEnv = serviceUrlEnvName(CONTEXT_RELAY_CONTAINER);
        urlEnv[relayUrlEnv] = url;
        described.push({ ...contextRelayScriptService(stack, relayUrlEnv), ...where });
        needs.push(relay);
        // A plain string (validation): the runner's folder goes before it.
        const testPythonPath = resolved.testEnv.PYTHONPATH as string | undefined;
        runnerEnv = runnerEnvironment(resolved.assetsDir, testPythonPath ?? process.env.PYTHONPATH);
    }
    return createTestRun(
        name,
        {
            runId: resolved.runId,
            testCommand: resolved.testCommand,
            runDir: plan.runDir,
            testWorkingDir: resolved.testWorkingDir,
            testTimeoutSeconds: resolved.testTimeoutSeconds,
            // The stack lets the suite find its services (npm run coverage:snapshot inside a test, for one).
            // pulumi.output: a test environment value may be another resource's output.
            environment: pulumi
                .all([prepared.cliEnv, pulumi.output(resolved.testEnv)])
                .apply(([engineEnv, testEnv]) => ({
                    ...testEnv,
                    ...runnerEnv,
                    ...urlEnv,
                    ...engineEnv,
                    COVERAGE_SPY_STACK: stack,
                })),
            runTar: engine.runTar,
            remoteHost: engine.probeHost,
            engine: engine.testRunEngine(plan, prepared),
            patch: {
                base: resolved.patchBase,
                services: measuredServices(resolved.services).map((s) => ({
                    name: s.name,
                    ...(s.hostSourcePath !== undefined ? { hostSourcePath: s.hostSourcePath } : {}),
                })),
            },
            services: described,
        },
        { parent: component, dependsOn: needs },
    );
}
