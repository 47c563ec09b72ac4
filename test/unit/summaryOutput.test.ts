import * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStack } from "../../components/coverageSpyStack";
import { CoverageSummary } from "../../components/summary/coverageSummary";

/** The value an Output resolves to, as its type says. */
type Resolved<O> = O extends pulumi.OutputInstance<infer T> ? T : never;

/** true when the two types are the same type. */
type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

describe("the summary output's type", () => {
    it("says it is undefined when the harvest failed, so a program must check before reading it", () => {
        // Checked by the compiler (ts-jest's diagnostics): an Output<CoverageSummary> here fails this test's build.
        const saysUndefined: Same<Resolved<CoverageSpyStack["summary"]>, CoverageSummary | undefined> = true;
        expect(saysUndefined).toBe(true);
    });
});
