import * as pulumi from "@pulumi/pulumi";
import { readStackConfig, stackArgsFromConfig } from "../../components/programConfig";
import { installMockEngine, valueOf } from "./mockEngine";

installMockEngine();

const web = { name: "web", image: "web:prod", sourcePath: "/app", env: { MODE: "prod" } };

describe("secretEnv in stack config", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("adds each value to its service's env as a Pulumi secret", async () => {
        const args = stackArgsFromConfig({ services: [web], secretEnv: { web: { DB_PASSWORD: "s3cr3t" } } }, "/p");
        const env = args.services[0].env!;
        expect(env.MODE).toBe("prod");
        expect(await pulumi.isSecret(pulumi.output(env.DB_PASSWORD))).toBe(true);
        expect(await valueOf(pulumi.output(env.DB_PASSWORD))).toBe("s3cr3t");
    });

    it("names a service it does not know and a value that is no string", () => {
        expect(() =>
            stackArgsFromConfig({ services: [web], secretEnv: { db: { X: "1" }, web: { N: 5 } } }, "/p"),
        ).toThrow(/config: secretEnv names no service "db"[\s\S]*config: secretEnv\.web\.N must be a string/);
    });

    it("is read from the engine's config, secret or not (the command refuses it in plain text: plainSecretEnv)", () => {
        const value = JSON.stringify({ web: { DB_PASSWORD: "s3cr3t" } });
        pulumi.runtime.setAllConfig({ "coverage-spy:secretEnv": value }, ["coverage-spy:secretEnv"]);
        expect(readStackConfig("coverage-spy").secretEnv).toEqual({ web: { DB_PASSWORD: "s3cr3t" } });
        pulumi.runtime.setAllConfig({ "coverage-spy:secretEnv": value }, []);
        expect(readStackConfig("coverage-spy").secretEnv).toEqual({ web: { DB_PASSWORD: "s3cr3t" } });
    });
});
