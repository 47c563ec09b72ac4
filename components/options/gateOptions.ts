import { CoverageSpyStackArgs } from "./args";

/** Coverage thresholds a run must meet: the gate options of the stack (documented there). */
export type GateThresholds = Pick<
    CoverageSpyStackArgs,
    "failUnder" | "failUnderPatch" | "failUnderPerService" | "maxDrop"
>;

/** Problems with the gate settings themselves, found at preview time. */
export function validateGates(gates: GateThresholds, serviceNames: string[]): string[] {
    const problems: string[] = [];
    const percent = (where: string, value: unknown) => {
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 100) {
            problems.push(`${where} must be a number from 0 to 100, got ${JSON.stringify(value)}`);
        }
    };
    if (gates.failUnder !== undefined) percent("failUnder", gates.failUnder);
    if (gates.failUnderPatch !== undefined) percent("failUnderPatch", gates.failUnderPatch);
    if (gates.maxDrop !== undefined) percent("maxDrop", gates.maxDrop);
    if (gates.failUnderPerService !== undefined) {
        if (
            typeof gates.failUnderPerService !== "object" ||
            gates.failUnderPerService === null ||
            Array.isArray(gates.failUnderPerService)
        ) {
            problems.push("failUnderPerService must map service names to percentages");
        } else {
            for (const [name, value] of Object.entries(gates.failUnderPerService)) {
                if (!serviceNames.includes(name))
                    problems.push(
                        `failUnderPerService names an unknown service "${name}" (services: ${serviceNames.join(", ")})`,
                    );
                percent(`failUnderPerService.${name}`, value);
            }
        }
    }
    return problems;
}
