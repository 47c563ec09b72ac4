// summary: prints the `coverage` stack output (JSON on stdin) for a person:
//   pulumi stack output coverage --json | npx coverage-spy summary
import * as fs from "fs";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { formatSummary } from "../../components/summary/formatSummary";
import { parseCommandArgs } from "./commandArgs";

const USAGE = "usage: pulumi stack output coverage --json | coverage-spy summary";

export function runSummary(argv: string[]): void {
    parseCommandArgs(argv, {}, USAGE);
    const input = fs.readFileSync(0, "utf8");
    let summary: CoverageSummary;
    try {
        summary = JSON.parse(input) as CoverageSummary;
    } catch (err) {
        throw new Error(`the input is not JSON (${(err as Error).message}); ${USAGE}`);
    }
    process.stdout.write(formatSummary(summary) + "\n");
}
