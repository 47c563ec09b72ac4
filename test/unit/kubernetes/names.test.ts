import { MAX_LABEL_LENGTH, labelValue, stackLabels, stackNamespace } from "../../../components/engine/kubernetes/names";
import { DNS_1123_LABEL, LABEL_VALUE } from "./kubernetesInputs";

/** Project and stack names as users write them: plain, branch-like, odd, long. */
const ODD_STACKS = [
    "dev",
    "feature/login",
    "feature-login",
    "Feature-Login",
    "feature_login",
    "feature.login",
    "---",
    "__x__",
    "ÄÖÜ-stack",
    "a".repeat(100),
    `${"a".repeat(99)}b`,
    "UPPER.case_mix-123",
];

const isLabelValue = (value: string) => LABEL_VALUE.test(value) && value.length <= 63;

describe("a stack's namespace", () => {
    it("is coverage-spy-<project>-<stack> unchanged when that is already a DNS-1123 label", () => {
        expect(stackNamespace("shop", "dev")).toBe("coverage-spy-shop-dev");
        expect(stackNamespace("my-app", "pr-12")).toBe("coverage-spy-my-app-pr-12");
    });

    it("is lowercased and cleaned, with a hash suffix, when the name had to change", () => {
        expect(stackNamespace("Shop", "feature/login")).toMatch(/^coverage-spy-shop-feature-login-[0-9a-f]{8}$/);
        expect(stackNamespace("shop", "__x__")).toMatch(/^coverage-spy-shop-x-[0-9a-f]{8}$/);
    });

    it("is a DNS-1123 label of at most 63 characters for every project and stack, however odd or long", () => {
        for (const stack of ODD_STACKS)
            for (const project of ["shop", "My_Project.v2", "p".repeat(80)])
                expect([project, stack, stackNamespace(project, stack)]).toEqual([
                    project,
                    stack,
                    expect.stringMatching(DNS_1123_LABEL),
                ]);
        const lengths = ODD_STACKS.map((s) => stackNamespace("p".repeat(80), s).length);
        expect(Math.max(...lengths)).toBe(MAX_LABEL_LENGTH);
    });

    it("is stable: the same project and stack always give the same name", () => {
        for (const stack of ODD_STACKS) expect(stackNamespace("shop", stack)).toBe(stackNamespace("shop", stack));
    });

    it("never gives two stacks of a project the same namespace, even when they clean or cut to the same text", () => {
        const names = ODD_STACKS.map((s) => stackNamespace("shop", s));
        expect(new Set(names).size).toBe(ODD_STACKS.length);
        // Two long branch names that differ only past the cut.
        const long = "feature-" + "x".repeat(70);
        expect(stackNamespace("shop", `${long}-a`)).not.toBe(stackNamespace("shop", `${long}-b`));
    });

    it("keeps the project and the stack apart in its hash: moving a part across the boundary changes it", () => {
        expect(stackNamespace("A", "b-c")).not.toBe(stackNamespace("A-b", "c"));
    });
});

describe("the stack's labels", () => {
    it("carry the project and stack as they are when they are valid label values", () => {
        expect(stackLabels("shop", "dev.1_a")).toEqual({
            "coverage-spy.project": "shop",
            "coverage-spy.stack": "dev.1_a",
        });
    });

    it("are valid label values for odd and long names, and distinct for distinct stacks", () => {
        const values = ODD_STACKS.map((s) => stackLabels("shop", s)["coverage-spy.stack"]);
        for (const value of values) expect(isLabelValue(value)).toBe(true);
        expect(new Set(values).size).toBe(ODD_STACKS.length);
        expect(labelValue("feature/login")).toMatch(/^feature-login-[0-9a-f]{8}$/);
    });
});
