import * as fs from "fs";
import * as path from "path";
import { COVERAGE_SPY_STACK_TYPE } from "../../components/coverageSpyStack";
import {
    COVERAGE_OPTIONS,
    KUBERNETES_OPTIONS,
    HEALTHCHECK_OPTIONS,
    MOUNT_OPTIONS,
    OptionSpec,
    PORT_OPTIONS,
    SERVICE_OPTIONS,
    STACK_OPTIONS,
} from "../../components/options/optionTable";
import { CoverageSpyProvider, packageRootOf, readManifest } from "../../plugin/provider";
import { PackageSchema, PropertySchema, completeSchema } from "../../plugin/schema";
import { tempDir } from "./fixtures";

const REPO = path.resolve(__dirname, "..", "..");

/** The number-typed properties of the schema ("where.option" → type), the arguments' and their object types'. */
function numberProperties(schema: PackageSchema): Record<string, string> {
    const found: Record<string, string> = {};
    const collect = (where: string, properties: Record<string, PropertySchema> = {}) => {
        for (const [key, property] of Object.entries(properties))
            if (property.type === "number" || property.type === "integer") found[`${where}.${key}`] = property.type;
    };
    collect("CoverageSpyStackArgs", schema.resources[COVERAGE_SPY_STACK_TYPE].inputProperties);
    for (const [token, type] of Object.entries(schema.types)) collect(token.split(":")[2], type.properties);
    return found;
}

/** The same, from the option tables: "integer" where they say integer, "number" elsewhere. */
function tableNumbers(): Record<string, string> {
    const tables: Record<string, Record<string, OptionSpec<unknown>>> = {
        CoverageSpyStackArgs: STACK_OPTIONS,
        Service: SERVICE_OPTIONS,
        ServicePort: PORT_OPTIONS,
        ServiceMount: MOUNT_OPTIONS,
        ServiceHealthcheck: HEALTHCHECK_OPTIONS,
        CoverageOptions: COVERAGE_OPTIONS,
        KubernetesOptions: KUBERNETES_OPTIONS,
    };
    const numbers: Record<string, string> = {};
    for (const [where, table] of Object.entries(tables))
        for (const [key, spec] of Object.entries(table))
            if (spec.kind === "integer" || spec.kind === "number") numbers[`${where}.${key}`] = spec.kind;
    return numbers;
}

describe("the plugin package's schema (what Python, YAML and other programs are generated from)", () => {
    let schema: PackageSchema;
    beforeAll(async () => {
        schema = JSON.parse(await new CoverageSpyProvider(REPO).getSchema()) as PackageSchema;
    }, 120_000);

    it("carries the package's own name, version and description: a release's schema is never an older one's", () => {
        const manifest = readManifest(REPO);
        expect(schema.name).toBe("coverage-spy");
        expect(schema.version).toBe(manifest.version);
        expect(schema.description).toBe(manifest.description);
    });

    it("types integer every option its table calls integer (a Python int, not a float), number the others", () => {
        expect(numberProperties(schema)).toEqual(tableNumbers());
        expect(schema.types["coverage-spy:index:ServicePort"].properties?.internal.type).toBe("integer");
    });

    it("names the argument types without an Args suffix, which the Python SDK adds itself", () => {
        const names = Object.keys(schema.types).map((token) => token.split(":")[2]);
        expect(names).toEqual(expect.arrayContaining(["Service", "ServicePort", "ServiceMount", "CoverageOptions"]));
        expect(names.filter((name) => name.endsWith("Args"))).toEqual([]);
    });

    it("refuses a schema in which an integer option is missing: its table and the arguments no longer agree", () => {
        const broken = JSON.parse(JSON.stringify(schema)) as PackageSchema;
        delete broken.types["coverage-spy:index:ServicePort"].properties?.external;
        expect(() => completeSchema(broken, undefined)).toThrow(/ServicePort\.external is not a number/);
    });
});

describe("the plugin's package root", () => {
    it("is the folder whose plugin/ holds PulumiPlugin.yaml, from the sources and from a compiled copy", () => {
        expect(packageRootOf(path.join(REPO, "plugin"))).toBe(REPO);
        const root = tempDir();
        fs.mkdirSync(path.join(root, "plugin"));
        fs.mkdirSync(path.join(root, "dist", "plugin"), { recursive: true });
        fs.writeFileSync(path.join(root, "plugin", "PulumiPlugin.yaml"), "runtime: nodejs\n");
        expect(packageRootOf(path.join(root, "dist", "plugin"))).toBe(root);
    });
});
