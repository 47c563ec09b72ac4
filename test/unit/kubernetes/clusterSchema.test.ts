// The kubernetes option as Python and YAML programs get it: Pulumi's schema inference over the plugin package.
import * as fs from "fs";
import * as path from "path";
import { Analyzer } from "@pulumi/pulumi/provider/experimental/analyzer";
import { KUBERNETES_OPTIONS } from "../../../components/options/optionTable";

const REPO = path.resolve(__dirname, "..", "..", "..");

describe("the kubernetes option in the plugin package's schema", () => {
    const pluginDir = path.join(REPO, "plugin");
    const manifest = JSON.parse(fs.readFileSync(path.join(pluginDir, "package.json"), "utf8")) as Record<
        string,
        unknown
    >;
    const result = new Analyzer(pluginDir, "coverage-spy", manifest, new Set(["CoverageSpyStack"])).analyze();

    it("is an optional input of CoverageSpyStack typed KubernetesOptions, each option of its table optional", () => {
        const input = result.components.CoverageSpyStack.inputs.kubernetes;
        expect(input).toEqual(expect.objectContaining({ optional: true }));
        expect(JSON.stringify(input)).toContain("KubernetesOptions");
        const properties = result.typeDefinitions.KubernetesOptions.properties ?? {};
        expect(Object.keys(properties).sort()).toEqual(Object.keys(KUBERNETES_OPTIONS).sort());
        expect(Object.keys(properties)).toEqual(expect.arrayContaining(["kubeconfig", "context", "namespace"]));
        // Inference types every number "number"; the plugin's schema makes the table's integers "integer".
        for (const [name, spec] of Object.entries(KUBERNETES_OPTIONS))
            expect({ name, ...properties[name] }).toEqual(
                expect.objectContaining({ name, type: spec.kind === "integer" ? "number" : "string", optional: true }),
            );
    });
});
