import * as fs from "fs";
import * as path from "path";
import { Analyzer } from "@pulumi/pulumi/provider/experimental/analyzer";

const REPO = path.resolve(__dirname, "..", "..");

/**
 * Pulumi's schema inference over the component, as `pulumi package add` runs it for a Python, YAML or other program:
 * every property it rejects, not only the first (it stops at the first; analyzeType is wrapped to go on).
 */
function inferSchema(): { rejected: string[]; result: ReturnType<Analyzer["analyze"]> } {
    // As the plugin package (plugin/) has it analyzed: its tsconfig.json, from its entry.
    const pluginDir = path.join(REPO, "plugin");
    const manifest = JSON.parse(fs.readFileSync(path.join(pluginDir, "package.json"), "utf8")) as Record<
        string,
        unknown
    >;
    const analyzer = new Analyzer(pluginDir, "coverage-spy", manifest, new Set(["CoverageSpyStack"]));
    const rejected: string[] = [];
    const internals = analyzer as unknown as { analyzeType: (...args: unknown[]) => unknown };
    const analyzeType = internals.analyzeType.bind(analyzer);
    internals.analyzeType = (...args: unknown[]) => {
        try {
            return analyzeType(...args);
        } catch (err) {
            rejected.push((err as Error).message);
            return { type: "string" };
        }
    };
    return { rejected, result: analyzer.analyze() };
}

describe("the schema Pulumi infers for other languages", () => {
    const { rejected, result } = inferSchema();
    const component = result.components.CoverageSpyStack;

    it("accepts every property of the arguments and the outputs", () => {
        expect(rejected).toEqual([]);
        expect(Object.keys(component.inputs)).toEqual(expect.arrayContaining(["services", "testCommand", "coverage"]));
    });

    it("gives the choice options enums of their values", () => {
        expect(result.typeDefinitions.LostProcessPolicy.enum?.map((e) => e.value)).toEqual(["warn", "fail"]);
        expect(result.typeDefinitions.CoreChoice.enum?.map((e) => e.value)).toEqual([
            "auto",
            "ctrace",
            "pytrace",
            "sysmon",
        ]);
    });

    it("keeps the coverage output a map, whose documented camelCase keys no language renames", () => {
        expect(component.outputs.coverage).toEqual(
            expect.objectContaining({ type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } }),
        );
        expect(Object.keys(component.outputs).sort()).toEqual(
            ["coverage", "networkName", "reportDir", "runId", "serviceUrls", "summaryText", "volumeName"].sort(),
        );
    });
});
