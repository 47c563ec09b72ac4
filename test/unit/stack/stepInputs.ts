// What the unit tests of the component's steps (components/stack/) hand a step: its parent, a plan made by planRun,
// and stand-ins for the earlier steps' results, so each step is tested alone. Every module of the package is
// required inside the functions: they run after the test file installed the mock engine (test/unit/mockEngine.ts).
import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type * as docker from "@pulumi/docker";
import type { CoverageSpyStackArgs } from "../../../components/options/args";
import type { LocalImage } from "../../../components/engine/localImages";
import type { HarvestService } from "../../../components/harvester/harvester";
import type { RunContext, RunPlan } from "../../../components/stack/planRun";
import type { PreparedRun } from "../../../components/stack/prepareRun";
import type { StartedServices } from "../../../components/stack/startServices";
import type { ReadinessDescription, RunDescription } from "../../../components/testRun/runner/description";
import { FIXTURE_RUN_ID, tempDir } from "../fixtures";

export const CONTAINER = "docker:index/container:Container";
export const VOLUME = "docker:index/volume:Volume";
export const NETWORK = "docker:index/network:Network";
export const COMMAND = "command:local:Command";
export const STACK_REFERENCE = "pulumi:pulumi:StackReference";
export const PARENT = "test:index:Parent";

/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above the test's installMockEngine */
const sdk = {
    docker: () => require("@pulumi/docker") as typeof import("@pulumi/docker"),
    command: () => require("@pulumi/command") as typeof import("@pulumi/command"),
    planRun: () => require("../../../components/stack/planRun") as typeof import("../../../components/stack/planRun"),
    scriptServices: () =>
        require("../../../components/testRun/scriptServices") as typeof import("../../../components/testRun/scriptServices"),
    description: () =>
        require("../../../components/testRun/runner/description") as typeof import("../../../components/testRun/runner/description"),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The component a step's resources are children of, as the CoverageSpyStack would be. */
export function parentNamed(name: string): pulumi.ComponentResource {
    return new pulumi.ComponentResource(PARENT, name);
}

/** Two measured services, shop with a port and worker without, as the fixture run (test/fixtures/run) has them. */
export function stepArgs(reportDir: string, more: Partial<CoverageSpyStackArgs> = {}): CoverageSpyStackArgs {
    return {
        services: [
            { name: "shop", image: "shop:prod", sourcePath: "/app", ports: [{ internal: 8000 }] },
            { name: "worker", image: "worker:prod", sourcePath: "/srv/worker" },
        ],
        testCommand: "pytest tests/e2e",
        reportDir,
        runId: FIXTURE_RUN_ID,
        ...more,
    };
}

/** The run planned from `args` by planRun, in the mock engine's stack and project. */
export function planOf(args: CoverageSpyStackArgs, context: Partial<RunContext> = {}): RunPlan {
    return sdk.planRun().planRun(args, {
        stack: pulumi.getStack(),
        project: pulumi.getProject(),
        projectDir: tempDir(),
        ...context,
    });
}

/** What a stand-in for prepareRun's result may be given. */
export interface FakePreparation {
    cliEnv?: Record<string, string>;
    images?: Record<string, LocalImage>;
    /** `prepared`; by default the stand-in preparation's exit code. */
    prepared?: pulumi.Output<number>;
}

/**
 * A stand-in for prepareRun's result: its own volume, network, spy install and preparation (names that prepareRun
 * would never give, so what a step hands on is seen to come from here), the engine environment and images given.
 */
export function fakePrepared(
    parent: pulumi.ComponentResource,
    name: string,
    plan: RunPlan,
    fake: FakePreparation = {},
): PreparedRun {
    const { Volume, Network, Container } = sdk.docker();
    const child = { parent };
    const volume = new Volume(`${name}-fake-data`, { name: "fake-data-volume" }, child);
    const network = new Network(`${name}-fake-net`, { name: "fake-network" }, child);
    const installed = new Container(`${name}-fake-spy-install`, { image: plan.spyImage.image }, child);
    const preparation = new Container(`${name}-fake-prepare`, { image: plan.spyImage.image }, child);
    const spyFiles = { volumeName: "fake-spy-volume" };
    const services: HarvestService[] = plan.resolved.services
        .filter((s) => s.instrument)
        .map((s) => ({ name: s.name, sourcePath: s.sourcePath! }));
    return {
        cliEnv: pulumi.output(fake.cliEnv ?? {}),
        engineImages: pulumi.output(fake.images ?? {}),
        volume,
        network,
        spyFiles,
        spyReady: [installed],
        preparation,
        prepared: fake.prepared ?? preparation.exitCode.apply((code) => code ?? 0),
        oneShot: {
            stack: plan.stack,
            runId: plan.resolved.runId,
            image: plan.spyImage.image,
            labels: plan.labels,
            volumeName: volume.name,
            spyFiles,
            keepRuns: plan.resolved.keepRuns,
            services,
        },
    };
}

/**
 * A stand-in for startServices' result: a container per service of the plan, a readiness wait for each of
 * `ready` (after its container), a URL for each service with a port (the published one, as startServices reads it).
 */
export function fakeStarted(
    parent: pulumi.ComponentResource,
    name: string,
    plan: RunPlan,
    ready: string[] = [],
): StartedServices {
    const { Container } = sdk.docker();
    const { Command } = sdk.command().local;
    const started: StartedServices = {
        containers: new Map<string, docker.Container>(),
        readiness: new Map<string, command.local.Command>(),
        urls: {},
        described: sdk.scriptServices().scriptServices(plan.resolved.services, plan.stack),
    };
    for (const service of plan.resolved.services) {
        const ports = service.ports.map((p) => ({ internal: p.internal }));
        const container = new Container(`${name}-fake-${service.name}`, { image: "fake:1", ports }, { parent });
        started.containers.set(service.name, container);
        if (ports.length > 0)
            started.urls[service.name] = container.ports.apply(
                (published) => `http://${plan.resolved.serviceHost}:${published![0].external}`,
            );
    }
    // Each wait ends after its container started, as startServices' do.
    for (const service of ready)
        started.readiness.set(
            service,
            new Command(
                `${name}-fake-${service}-ready`,
                { create: "true" },
                { parent, dependsOn: [started.containers.get(service)!] },
            ),
        );
    return started;
}

/** The run description a test-run or readiness-wait command hands its program (components/testRun/runner). */
export function describedBy(inputs: Record<string, unknown>): RunDescription & ReadinessDescription {
    const variable = sdk.description().TEST_RUN_VARIABLE;
    return JSON.parse((inputs.environment as Record<string, string>)[variable]) as RunDescription &
        ReadinessDescription;
}

/** A container's "K=V" environment list as a map. */
export function envMap(envs: string[]): Record<string, string> {
    return Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/** A container's label list as a map. */
export function labelMap(labels: unknown): Record<string, string> {
    return Object.fromEntries((labels as Array<{ label: string; value: string }>).map((l) => [l.label, l.value]));
}

/**
 * Resolves once every resource declared so far reached the mock engine (the runtime's queue of engine calls ran dry):
 * what a step declared is then in engine.resources, and what is not there was not declared.
 */
export async function declarationsSettled(): Promise<void> {
    // The runtime's own wait before it disconnects; not in its typings (marked internal), present in every 3.x.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();
}
