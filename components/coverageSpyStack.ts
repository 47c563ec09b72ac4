import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { CoverageSpyStackArgs } from "./options/args";
import { generateCoveragerc } from "./config/coveragerc";
import { createHarvester, createRunPreparation, harvesterReportDir, runReportDir } from "./harvester/harvester";
import {
    CONTEXT_RELAY_CONTAINER,
    LABEL_HARVESTER_IMAGE,
    LABEL_PROJECT,
    LABEL_REMOTE_ENGINE,
    LABEL_REPORT_DIR,
    LABEL_STACK,
    newRunId,
    serviceUrlEnvName,
} from "./shared/naming";
import { createServiceContainer } from "./service/serviceContainer";
import { dependedOn, startOrder } from "./service/dependencyOrder";
import { createReadinessWait } from "./service/readinessWait";
import { pythonPathFromImageEnv, readImagePythonPath } from "./service/imagePythonPath";
import { LocalImage } from "./engine/localImages";
import { CoverageSummary } from "./summary/coverageSummary";
import { summarizeRun } from "./gates/gatedSummary";
import { warnAboutTheSuite } from "./summary/suiteWarnings";
import { announceSummary } from "./summary/announceSummary";
import { failTheUpdate, failTheUpdateIfNeeded } from "./gates/failTheUpdate";
import { checkOneShotExit, oneShotFailure } from "./harvester/oneShotExit";
import { createTestRun } from "./testRun/testRun";
import { scriptServices } from "./testRun/scriptServices";
import { CoverageSpyInputError } from "./options/inputError";
import { validateStackArgs } from "./options/validation";
import { ResolvedService, ResolvedStackArgs, measuredServices, resolveArgs } from "./options/resolveArgs";
import { pulumiProjectDir } from "./programConfig";
import { createStackNetwork } from "./infra/stackNetwork";
import { createCoverageVolume } from "./infra/coverageVolume";
import { contextRelayScriptService, contextRelayUrl, createContextRelay } from "./contexts/contextRelay";
import { defaultEngineSettings } from "./engine/dockerEngine";
import { engineAccess } from "./engine/engineAccess";
import { engineChecks } from "./engine/imageChecks";
import { publishAddress } from "./shared/engineAddress";
import { SpySource } from "./engine/spyFiles";
import { createSpyVolume } from "./engine/spyVolume";
import { SpyImagePlan, planSpyImage, provideSpyImage } from "./engine/spyDelivery";
import { runEngine } from "./engine/runEngine";
import { publishedUrl } from "./service/publishedUrl";
import { runnerEnvironment } from "./contexts/runnerEnvironment";
import { findUp } from "./shared/findUp";

export const COVERAGE_SPY_STACK_TYPE = "coverage-spy:index:CoverageSpyStack";

/** The spy's assets folder shipped with this library, whether it runs from source or from bin/. */
export function defaultAssetsDir(start: string = __dirname): string {
    const found = findUp(start, (dir) => {
        const candidate = path.join(dir, "coverage-spy");
        return fs.existsSync(path.join(candidate, "site", "sitecustomize.py")) ? candidate : undefined;
    });
    if (found === undefined) throw new Error(`coverage-spy: cannot find the coverage-spy/ assets above ${start}`);
    return found;
}

/**
 * "main" → "<organization>/<this project>/main", in the organization of the backend the program runs on ("organization"
 * on a file backend, the user's or team's on Pulumi Cloud); qualified names stay.
 */
export function qualifiedStackName(stack: string): string {
    return stack.includes("/") ? stack : `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`;
}

/** Resolves once the one-shot container exited 0; fails the update with its logs otherwise. */
function requireSuccess(container: docker.Container, what: string): pulumi.Output<number> {
    return pulumi.all([container.exitCode, container.containerLogs]).apply(([code, logs]) => {
        checkOneShotExit(what, code, logs);
        return code;
    });
}

/**
 * Measures the line coverage of Python services running from their unchanged images, while a test suite
 * runs against them, and exports the parsed result.
 *
 * Children: a data volume and network; per service an instrumented container (coverage injected by env
 * and read-only mounts only); a command that waits for readiness, runs the tests and stops the services
 * gracefully; a harvester that combines the data and writes reports. Every `pulumi up` is a new run.
 */
export class CoverageSpyStack extends pulumi.ComponentResource {
    /**
     * The parsed coverage of this run (its schema: docs/outputs.md), with the same camelCase keys in every language;
     * undefined when the harvest failed (the update then fails, naming why). TypeScript programs read it typed as
     * `summary`.
     */
    // A map for Pulumi's schema inference, which gives a typed object's fields snake_case names in Python: the
    // documented shape is what other stacks (baseStack, StackReference) and scripts read.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly coverage: pulumi.Output<Record<string, any>>;
    /** The run's summary for a person: a few lines (totals, tests, per service, the reports); empty when it failed. */
    readonly summaryText: pulumi.Output<string>;

    /** `coverage`, typed: the parsed coverage of this run; undefined when the harvest failed. */
    get summary(): pulumi.Output<CoverageSummary | undefined> {
        return this.coverage as pulumi.Output<CoverageSummary | undefined>;
    }
    readonly runId: pulumi.Output<string>;
    /** Host folder of this run's reports. */
    readonly reportDir: pulumi.Output<string>;
    /** Service name → URL on 127.0.0.1, for services with a port. */
    readonly serviceUrls: pulumi.Output<Record<string, string>>;
    readonly volumeName: pulumi.Output<string>;
    readonly networkName: pulumi.Output<string>;

    /** The image's own PYTHONPATH: given, read from the engine's image at preview, or once an Output image is built. */
    private imagePythonPath(
        service: ResolvedService,
        engineImages: pulumi.Output<Record<string, LocalImage>>,
        cliEnv: pulumi.Output<Record<string, string>>,
    ): pulumi.Output<string> {
        if (service.imagePythonPath !== undefined) return pulumi.output(service.imagePythonPath);
        const image = service.image;
        if (typeof image === "string")
            return engineImages.apply((found) => pythonPathFromImageEnv(found[image].envJson!));
        return readImagePythonPath(service.name, image, cliEnv, { parent: this });
    }

    /** An input error found once the engine's settings are known: said on this component, without a stack. */
    private inputError(message: string): pulumi.ResourceError {
        return new pulumi.ResourceError(message, this, /* hideStack: the user's input, not our code */ true);
    }

    constructor(name: string, args: CoverageSpyStackArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COVERAGE_SPY_STACK_TYPE, name, {}, opts);
        const stack = pulumi.getStack();
        const projectDir = pulumiProjectDir();
        let resolved: ResolvedStackArgs;
        let needs: Array<{ owner: string; image: string }>;
        let spyPlan: SpyImagePlan;
        try {
            resolved = resolveArgs(args, {
                stack,
                projectDir,
                defaultDockerHost: defaultEngineSettings().host ?? process.env.DOCKER_HOST,
                defaultAssetsDir,
                newRunId,
            });
            validateStackArgs(resolved);
            spyPlan = planSpyImage(resolved);
            // Images named by plain strings are looked up now; one that is an Output (built in this program) later.
            needs = [
                ...resolved.services.flatMap((s) =>
                    typeof s.image === "string" ? [{ owner: `service ${s.name}`, image: s.image }] : [],
                ),
                ...(spyPlan.need !== undefined ? [spyPlan.need] : []),
            ];
        } catch (err) {
            if (err instanceof CoverageSpyInputError) throw this.inputError(err.message);
            throw err;
        }
        // What differs between a local and a remote engine: the test run's address of the services, the way of the
        // run's results to the harvester and of the reports back.
        const engine = runEngine(resolved);
        // The docker CLI of every command must reach the engine the Docker resources use.
        const { cliEnv, images: engineImages } = engineAccess(
            this,
            needs,
            engine.remote,
            (message) => this.inputError(message),
            engineChecks(stack, pulumi.getProject(), resolved.services),
            // The spy image coverage-spy builds may be missing: then it is built, once per engine.
            spyPlan.recipe !== undefined ? [spyPlan.image] : [],
        );
        const { runId, reportDir, assetsDir, keepRuns, serviceHost } = resolved;
        const publishIp = publishAddress(serviceHost);
        const labels = { [LABEL_PROJECT]: pulumi.getProject(), [LABEL_STACK]: stack };
        const child: pulumi.CustomResourceOptions = { parent: this };
        const measured = measuredServices(resolved.services);
        const harvestServices = measured.map((s) => ({ name: s.name, sourcePath: s.sourcePath }));

        const volume = createCoverageVolume(name, stack, labels, child);
        const network = createStackNetwork(name, stack, labels, child);

        const coveragerc = generateCoveragerc({
            options: resolved.coverage,
            sourcePaths: harvestServices.map((s) => s.sourcePath),
            perTestContexts: resolved.perTestContexts,
        });
        const remoteHost = engine.probeHost;
        // Every engine, local or remote, gets the spy's files the same way: a volume filled from the spy image.
        const spyImage = provideSpyImage(this, name, spyPlan, { images: engineImages, cliEnv });
        const spyImageName = spyImage.image;
        const spy = createSpyVolume(
            name,
            { stack, labels, image: spyImageName, imageIdentity: spyImage.identity, coveragerc },
            { parent: this, dependsOn: spyImage.ready },
        );
        const spyFiles: SpySource = { volumeName: spy.volume.name };
        const spyReady: pulumi.Resource[] = [spy.installed];
        const spyInstalled = requireSuccess(spy.installed, "filling the spy volume");

        const oneShot = {
            stack,
            runId,
            image: spyImageName,
            labels,
            volumeName: volume.name,
            spyFiles,
            keepRuns,
            services: harvestServices,
        };
        const prepare = createRunPreparation(name, oneShot, { parent: this, dependsOn: spyReady });
        const prepared = pulumi
            .all([spyInstalled, requireSuccess(prepare, "preparing the data volume")])
            .apply(([, code]) => code);

        const serviceUrls: Record<string, pulumi.Output<string>> = {};
        const scripted = new Map(scriptServices(resolved.services, stack).map((s) => [s.name, s]));
        const needed = dependedOn(resolved.services);
        const containers = new Map<string, docker.Container>();
        const readiness = new Map<string, command.local.Command>();
        // Each service starts once those it depends on are ready; the others in the order given.
        for (const service of startOrder(resolved.services)) {
            const container = createServiceContainer(
                name,
                {
                    service,
                    stack,
                    runId,
                    // A snapshot (npm run coverage:snapshot) finds its report folder and harvester here.
                    labels: {
                        ...labels,
                        [LABEL_REPORT_DIR]: reportDir,
                        [LABEL_HARVESTER_IMAGE]: spyImageName,
                        [LABEL_REMOTE_ENGINE]: String(engine.remote),
                    },
                    networkName: network.name,
                    publishIp,
                    instrumentation: service.instrument
                        ? {
                              runId,
                              spyFiles,
                              volumeName: volume.name,
                              // Waiting on `prepared` keeps services from starting when the volume was not made ready.
                              imagePythonPath: pulumi
                                  .all([this.imagePythonPath(service, engineImages, cliEnv), prepared])
                                  .apply(([p]) => p),
                          }
                        : undefined,
                },
                { parent: this, dependsOn: [...spyReady, prepare, ...service.dependsOn.map((d) => readiness.get(d)!)] },
            );
            containers.set(service.name, container);
            if (service.ports.length > 0)
                serviceUrls[service.name] = publishedUrl(
                    container,
                    service.ports[0].internal,
                    serviceHost,
                    `service ${service.name}`,
                );
            if (needed.has(service.name)) {
                readiness.set(
                    service.name,
                    createReadinessWait(
                        name,
                        {
                            service: scripted.get(service.name)!,
                            runId,
                            url: serviceUrls[service.name],
                            remoteHost,
                            cliEnv,
                        },
                        { parent: this, dependsOn: [container] },
                    ),
                );
            }
        }
        const urlEnv: Record<string, pulumi.Output<string>> = {};
        for (const [service, url] of Object.entries(serviceUrls)) urlEnv[serviceUrlEnvName(service)] = url;
        const testRunServices = resolved.services.map((s) => scripted.get(s.name)!);
        const testRunNeeds: pulumi.Resource[] = [...containers.values(), ...readiness.values()];
        let runnerEnv: Record<string, string> = {};
        if (resolved.perTestContexts) {
            const relay = createContextRelay(name, { ...oneShot, publishIp }, { parent: this, dependsOn: [prepare] });
            const relayUrlEnv = serviceUrlEnvName(CONTEXT_RELAY_CONTAINER);
            urlEnv[relayUrlEnv] = contextRelayUrl(relay, serviceHost);
            testRunServices.push(contextRelayScriptService(stack, relayUrlEnv));
            testRunNeeds.push(relay);
            // A plain string (validation): the runner's folder goes before it.
            const testPythonPath = resolved.testEnv.PYTHONPATH as string | undefined;
            runnerEnv = runnerEnvironment(assetsDir, testPythonPath ?? process.env.PYTHONPATH);
        }

        const runDir = runReportDir(reportDir, runId);
        const testRun = createTestRun(
            name,
            {
                runId,
                testCommand: resolved.testCommand,
                runDir,
                testWorkingDir: resolved.testWorkingDir,
                testTimeoutSeconds: resolved.testTimeoutSeconds,
                // The stack lets the suite find its services (npm run coverage:snapshot inside a test, for one).
                // pulumi.output: a test environment value may be another resource's output.
                environment: pulumi.all([cliEnv, pulumi.output(resolved.testEnv)]).apply(([engineEnv, testEnv]) => ({
                    ...testEnv,
                    ...runnerEnv,
                    ...urlEnv,
                    ...engineEnv,
                    COVERAGE_SPY_STACK: stack,
                })),
                runTar: engine.runTar,
                remoteHost,
                services: testRunServices,
            },
            { parent: this, dependsOn: testRunNeeds },
        );

        const harvesterInput = {
            ...oneShot,
            lostProcesses: resolved.lostProcesses,
            reports: engine.harvestReports,
        };
        const harvester = createHarvester(name, harvesterInput, { parent: this, dependsOn: [testRun, ...spyReady] });
        // Where the summary reads the reports: the host's folder, which a remote engine's are copied into first.
        const reportsHere = engine.reportsHome(
            name,
            { runId, harvester, from: harvesterReportDir(harvesterInput), to: runDir, cliEnv },
            child,
        );

        const gates = {
            ...(resolved.failUnder !== undefined ? { failUnder: resolved.failUnder } : {}),
            ...(resolved.failUnderPerService !== undefined
                ? { failUnderPerService: resolved.failUnderPerService }
                : {}),
            ...(resolved.maxDrop !== undefined ? { maxDrop: resolved.maxDrop } : {}),
        };
        const baseStack = resolved.baseStack;
        const baseOutput =
            baseStack === undefined
                ? pulumi.output(undefined as unknown)
                : new pulumi.StackReference(
                      `${name}-base`,
                      { name: qualifiedStackName(baseStack) },
                      { parent: this },
                  ).getOutput("coverage");
        const harvestFailure = pulumi
            .all([harvester.exitCode, harvester.containerLogs, reportsHere])
            .apply(([code, logs]) => oneShotFailure("harvesting coverage", code, logs));
        const summary = pulumi
            .all([harvestFailure, baseOutput])
            .apply(([failure, base]): CoverageSummary | undefined => {
                try {
                    if (failure !== undefined) throw new Error(failure);
                    return summarizeRun({ runDir, runId, services: measured }, { gates, baseStack, baseOutput: base });
                } catch (err) {
                    // Said once, on this component, failing the update; a rejected output would be said again by the
                    // stack, wrapped in "error serializing property ...".
                    failTheUpdate((err as Error).message, this);
                    return undefined;
                }
            });
        // The same output, only typed as the schema's map (Output's lifted properties make the types differ).
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        this.coverage = summary as unknown as pulumi.Output<Record<string, any>>;
        this.summaryText = announceSummary(summary, this);
        failTheUpdateIfNeeded(summary, resolved.failOnTestFailure, this);
        warnAboutTheSuite(summary, this);
        this.runId = pulumi.output(runId);
        this.reportDir = pulumi.output(runDir);
        this.serviceUrls = pulumi.output(serviceUrls);
        this.volumeName = volume.name;
        this.networkName = network.name;
        this.registerOutputs({
            coverage: this.coverage,
            summaryText: this.summaryText,
            runId: this.runId,
            reportDir: this.reportDir,
            serviceUrls: this.serviceUrls,
            volumeName: this.volumeName,
            networkName: this.networkName,
        });
    }
}
