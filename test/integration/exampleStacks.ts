import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { Service } from "../../components/options/args";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { REPO_ROOT } from "./engine";
import { ExecutedLines } from "./oracle";
import { trackStack } from "./stackRun";

/** A stack config file of this repository's, stacks/<file>, as parsed. */
interface StackFile {
    config: Record<string, unknown>;
}

function stackFile(file: string): StackFile {
    return parse(fs.readFileSync(path.join(REPO_ROOT, "stacks", file), "utf8")) as StackFile;
}

/** An example's stack config, stacks/Pulumi.example-NAME.yaml. */
function exampleConfig(example: string): StackFile {
    return stackFile(`Pulumi.example-${example}.yaml`);
}

/** The services of stacks/<file>, as it gives them. */
export function stackFileServices(file: string): Service[] {
    return stackFile(file).config["coverage-spy:services"] as Service[];
}

/** The suite of stacks/<file>, as it gives it. */
export function stackFileTestCommand(file: string): string {
    return stackFile(file).config["coverage-spy:testCommand"] as string;
}

/**
 * stacks/Pulumi.example-NAME.yaml under a test stack name (its secrets stay encrypted), reports in a temp folder,
 * with `more` config keys (e.g. `coverage-spy:kubernetes`); returns its services.
 */
export function copyExampleStack(example: string, stack: string, more: Record<string, unknown> = {}): Service[] {
    const file = exampleConfig(example);
    Object.assign(file.config, more, { "coverage-spy:reportDir": trackStack(stack) });
    fs.writeFileSync(path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`), stringify(file));
    return file.config["coverage-spy:services"] as Service[];
}

/** The example's services, as its stack config gives them. */
export function exampleServices(example: string): Service[] {
    return stackFileServices(`Pulumi.example-${example}.yaml`);
}

/** The example's suite, as its stack config gives it. */
export function exampleTestCommand(example: string): string {
    return stackFileTestCommand(`Pulumi.example-${example}.yaml`);
}

/** The executed lines of one service's files in a run's summary, by path. */
export function executedLines(summary: CoverageSummary, service: string): ExecutedLines {
    return Object.fromEntries(summary.files.filter((f) => f.service === service).map((f) => [f.path, f.executedLines]));
}
