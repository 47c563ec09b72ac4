import * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStackArgs } from "./options/args";
import { CoverageSpyInputError } from "./options/inputError";
import { CoverageSummary } from "./summary/coverageSummary";
import { pulumiProjectDir } from "./programConfig";
import { RunPlan, planRun } from "./stack/planRun";
import { RunEngine } from "./stack/runEngine";
import { prepareRun } from "./stack/prepareRun";
import { startServices } from "./stack/startServices";
import { runSuite } from "./stack/runSuite";
import { harvestRun } from "./stack/harvestRun";
import { summarizeResults } from "./stack/summarizeResults";

export const COVERAGE_SPY_STACK_TYPE = "coverage-spy:index:CoverageSpyStack";

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

    /** An input error: said on this component, without a stack trace (the user's input, not our code). */
    private inputError(message: string): pulumi.ResourceError {
        return new pulumi.ResourceError(message, this, /* hideStack */ true);
    }

    /** The run, planned from the arguments before anything is created; every input problem is said at once. */
    private plan(args: CoverageSpyStackArgs): RunPlan<RunEngine> {
        try {
            return planRun(args, {
                stack: pulumi.getStack(),
                project: pulumi.getProject(),
                projectDir: pulumiProjectDir(),
                component: this,
            });
        } catch (err) {
            if (err instanceof CoverageSpyInputError) throw this.inputError(err.message);
            throw err;
        }
    }

    constructor(name: string, args: CoverageSpyStackArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COVERAGE_SPY_STACK_TYPE, name, {}, opts);
        const plan = this.plan(args);
        const prepared = prepareRun(this, name, plan, (message) => this.inputError(message));
        const services = startServices(this, name, plan, prepared);
        const testRun = runSuite(this, name, plan, prepared, services);
        const harvest = harvestRun(this, name, plan, prepared, testRun);
        const results = summarizeResults(this, name, plan, harvest);

        // The same output, only typed as the schema's map (Output's lifted properties make the types differ).
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        this.coverage = results.summary as unknown as pulumi.Output<Record<string, any>>;
        this.summaryText = results.summaryText;
        this.runId = pulumi.output(plan.resolved.runId);
        this.reportDir = pulumi.output(plan.runDir);
        this.serviceUrls = pulumi.output(services.urls);
        const places = plan.engine.stackPlaces(prepared);
        this.volumeName = places.volumeName;
        this.networkName = places.networkName;
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
