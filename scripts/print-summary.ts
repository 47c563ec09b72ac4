// Prints the coverage summary stack output (JSON on stdin) for a person: `pulumi stack output coverage --json | node
// bin/scripts/print-summary.js`.
import * as fs from "fs";
import { CoverageSummary } from "../components/summary/coverageSummary";
import { formatSummary } from "../components/summary/formatSummary";

const input = fs.readFileSync(0, "utf8");
process.stdout.write(formatSummary(JSON.parse(input) as CoverageSummary) + "\n");
