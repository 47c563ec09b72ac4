import * as pulumi from "@pulumi/pulumi";
import { qualifiedStackName } from "../../components/stack/summarizeResults";

describe("a base stack's qualified name", () => {
    beforeAll(async () => {
        // A backend whose organization is not the file backend's "organization" (Pulumi Cloud's, say).
        await pulumi.runtime.setMocks(
            { newResource: (args) => ({ id: `${args.name}-id`, state: {} }), call: () => ({}) },
            "shop",
            "dev",
            false,
            "acme",
        );
    });

    it("is in the organization of the backend the program runs on", () => {
        expect(qualifiedStackName("main")).toBe("acme/shop/main");
    });

    it("keeps a name given with its organization and project", () => {
        expect(qualifiedStackName("other-org/other-project/main")).toBe("other-org/other-project/main");
    });
});
