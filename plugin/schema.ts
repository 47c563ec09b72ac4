import { COVERAGE_SPY_STACK_TYPE } from "../components/coverageSpyStack";
import {
    COVERAGE_OPTIONS,
    HEALTHCHECK_OPTIONS,
    KUBERNETES_OPTIONS,
    MOUNT_OPTIONS,
    OptionSpec,
    PORT_OPTIONS,
    SERVICE_OPTIONS,
    STACK_OPTIONS,
} from "../components/options/optionTable";

/** A property of the schema, as far as this module reads and writes it. */
export interface PropertySchema {
    type?: string;
    [key: string]: unknown;
}

/** The package schema Pulumi infers, as far as this module reads and writes it. */
export interface PackageSchema {
    name: string;
    version?: string;
    description?: string;
    resources: Record<string, { inputProperties?: Record<string, PropertySchema> }>;
    types: Record<string, { properties?: Record<string, PropertySchema> }>;
    [key: string]: unknown;
}

/** The option table of each object type of the arguments, by its TypeScript interface's name. */
const TYPE_TABLES: Record<string, Record<string, OptionSpec<unknown>>> = {
    Service: SERVICE_OPTIONS,
    ServicePort: PORT_OPTIONS,
    ServiceMount: MOUNT_OPTIONS,
    ServiceHealthcheck: HEALTHCHECK_OPTIONS,
    CoverageOptions: COVERAGE_OPTIONS,
    KubernetesOptions: KUBERNETES_OPTIONS,
};

/**
 * `properties` with each option its table calls an integer typed "integer": TypeScript has only number, which the
 * inference makes a float (a Python `float` keepRuns, a C# `double` port). Throws when the table names a property
 * the schema lacks or does not type number: the arguments and their table no longer agree.
 */
function typeIntegers(where: string, properties: Record<string, PropertySchema>, table: object): void {
    for (const [key, spec] of Object.entries(table) as Array<[string, OptionSpec<unknown>]>) {
        if (spec.kind !== "integer") continue;
        const property = properties[key];
        if (property?.type !== "number" && property?.type !== "integer")
            throw new Error(
                `coverage-spy: the inferred schema's ${where}.${key} is not a number: ${JSON.stringify(property)}`,
            );
        property.type = "integer";
    }
}

/**
 * The schema Pulumi infers from the TypeScript sources, completed with what their types cannot say: integers, and
 * the package's description.
 */
export function completeSchema(schema: PackageSchema, description: string | undefined): PackageSchema {
    const completed = JSON.parse(JSON.stringify(schema)) as PackageSchema;
    for (const [typeName, table] of Object.entries(TYPE_TABLES)) {
        const token = `${completed.name}:index:${typeName}`;
        const properties = completed.types[token]?.properties;
        if (properties === undefined) throw new Error(`coverage-spy: the inferred schema has no type ${token}`);
        typeIntegers(typeName, properties, table);
    }
    const inputs = completed.resources[COVERAGE_SPY_STACK_TYPE]?.inputProperties;
    if (inputs === undefined)
        throw new Error(`coverage-spy: the inferred schema has no resource ${COVERAGE_SPY_STACK_TYPE}`);
    typeIntegers("CoverageSpyStackArgs", inputs, STACK_OPTIONS);
    if (description !== undefined) completed.description = description;
    return completed;
}
