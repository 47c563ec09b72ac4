// The kubernetes option as Python and YAML programs get it: Pulumi's schema inference over the plugin package.
import * as fs from "fs";
import * as path from "path";
import { Analyzer } from "@pulumi/pulumi/provider/experimental/analyzer";

const REPO = path.resolve(__dirname, "..", "..", "..");

describe("the kubernetes option in the plugin package's schema", () => {
    const pluginDir = path.join(REPO, "plugin");
    const manifest = JSON.parse(fs.readFileSync(path.join(pluginDir, "package.json"), "utf8")) as Record<
        string,
        unknown
    >;
    const result = new Analyzer(pluginDir, "coverage-spy", manifest, new Set(["CoverageSpyStack"])).analyze();

    it("is an optional input of CoverageSpyStack typed KubernetesOptions: kubeconfig, context, namespace", () => {
        const input = result.components.CoverageSpyStack.inputs.kubernetes;
        expect(input).toEqual(expect.objectContaining({ optional: true }));
        expect(JSON.stringify(input)).toContain("KubernetesOptions");
        const type = result.typeDefinitions.KubernetesOptions;
        expect(Object.keys(type.properties ?? {}).sort()).toEqual(["context", "kubeconfig", "namespace"]);
        for (const property of Object.values(type.properties ?? {}))
            expect(property).toEqual(expect.objectContaining({ type: "string", optional: true }));
    });
});
