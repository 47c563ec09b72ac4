import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { ResolvedService } from "../options/resolveArgs";
import type { EngineDescription } from "../testRun/runner/description";
import type { ScriptService } from "../testRun/testRunScript";
import type { HarvestedRun } from "./harvestRun";
import type { RunPlan } from "./planRun";

/** What every engine's preparation gives the later steps. */
export interface PreparedBase {
    /** The environment of every command the run starts on this machine (DOCKER_HOST..., KUBECONFIG). */
    cliEnv: pulumi.Output<Record<string, string>>;
}

/** One service to start, as the start step hands it to the engine. */
export interface ServiceToStart {
    service: ResolvedService;
    /** The service as the test run sees it. */
    described: ScriptService;
    /** Whether another service waits for it to be ready (then the engine says what it is ready by). */
    needed: boolean;
    /** What must be ready before it starts: the services it depends on. */
    dependsOn: pulumi.Resource[];
}

/** A service the engine started. */
export interface StartedService {
    /** What runs it (a container, a Deployment): the test run starts after it. */
    workload: pulumi.Resource;
    /** Its URL on this machine, for a service with a port. */
    url?: pulumi.Output<string>;
    /** Done once it is ready, for a service another depends on. */
    readiness?: pulumi.Resource;
}

/** The relay telling each measured process the current test, as the test run reaches it. */
export interface ContextRelay {
    relay: pulumi.Resource;
    url: pulumi.Output<string>;
    /** Where the test run finds it to stop it, when not as a container of the Docker engine (a Deployment). */
    where?: Pick<ScriptService, "containerName" | "deployment">;
}

/** What the component exports about where the run's data lives. */
export interface StackPlaces {
    volumeName: pulumi.Output<string>;
    networkName: pulumi.Output<string>;
}

/**
 * The run's engine: what each step of the component (components/stack/) asks of whatever runs the services, a Docker
 * engine (local or remote) or a Kubernetes cluster. The steps call it and never ask which one it is; `Prepared` is
 * what its own preparation hands its later operations.
 */
export interface RunEngine<Prepared extends PreparedBase = PreparedBase> {
    /** Whether the engine cannot see this machine's folders (the run's results then go to it as `runTar`). */
    readonly remote: boolean;
    /** Where the test run's probes reach the services' published ports; undefined: where it finds them. */
    readonly probeHost?: string;
    /** The tar the test run packs its results into, for the harvest; undefined: the harvest reads the folder. */
    readonly runTar?: string;
    /** Reaches the engine, checks what it must hold, and makes the stack's data home ready for this run. */
    prepare(
        component: pulumi.ComponentResource,
        name: string,
        plan: RunPlan<RunEngine>,
        inputError: (message: string) => Error,
    ): Prepared;
    /** Each service as the test run sees it, in the order given. */
    describeServices(plan: RunPlan<RunEngine>): ScriptService[];
    /** Starts one service from its unchanged image, measured or not. */
    startService(
        component: pulumi.ComponentResource,
        name: string,
        plan: RunPlan<RunEngine>,
        prepared: Prepared,
        start: ServiceToStart,
    ): StartedService;
    /** Starts the per-test context relay (perTestContexts). */
    startContextRelay(
        component: pulumi.ComponentResource,
        name: string,
        plan: RunPlan<RunEngine>,
        prepared: Prepared,
    ): ContextRelay;
    /** What the test run's description says about the engine; undefined: Docker, as the runner assumes. */
    testRunEngine(plan: RunPlan<RunEngine>, prepared: Prepared): EngineDescription | undefined;
    /** Once the test run ended: the harvest of the run's data into reports, brought into the host's run folder. */
    harvest(
        component: pulumi.ComponentResource,
        name: string,
        plan: RunPlan<RunEngine>,
        prepared: Prepared,
        testRun: command.local.Command,
    ): HarvestedRun;
    /** Where the stack's data lives, as the component exports it. */
    stackPlaces(prepared: Prepared): StackPlaces;
}
