import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { plainSecretEnvProblem, refusePlainSecretEnv } from "../../cli/project/plainSecretEnv";
import { readStackConfig } from "../../components/programConfig";
import { installMockEngine } from "./mockEngine";
import { tempDir } from "./fixtures";

installMockEngine();

const FIX = "set each value with pulumi config set --secret --path 'secretEnv.SERVICE.VARIABLE' VALUE";
const encrypted = { secure: "v1:q6iYdGE0Ojg6NIPr:kNf8BxP3H2iEOi1O6jAhIZZm7/Up0d6RnoPO6Q==" };

describe("secretEnv kept in plain text in the stack file", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("is refused by the command, naming each plain value", () => {
        expect(
            plainSecretEnvProblem({
                "coverage-spy:testCommand": "pytest",
                "coverage-spy:secretEnv": { web: { DB_PASSWORD: "s3cr3t", API_KEY: encrypted }, db: { PW: "x" } },
            }),
        ).toBe(
            "coverage-spy: config: coverage-spy:secretEnv.web.DB_PASSWORD, coverage-spy:secretEnv.db.PW are stored " +
                `in plain text in the stack file: ${FIX}`,
        );
        expect(plainSecretEnvProblem({ "shop:secretEnv": { web: { PW: "x" } } })).toBe(
            `coverage-spy: config: shop:secretEnv.web.PW is stored in plain text in the stack file: ${FIX}`,
        );
    });

    it("lets values set with --secret --path, or the whole map set with --secret, through", () => {
        expect(
            plainSecretEnvProblem({ "coverage-spy:secretEnv": { web: { DB_PASSWORD: encrypted } } }),
        ).toBeUndefined();
        expect(plainSecretEnvProblem({ "coverage-spy:secretEnv": encrypted })).toBeUndefined();
        expect(plainSecretEnvProblem({ "coverage-spy:testCommand": "pytest" })).toBeUndefined();
    });

    it("reads the stack file before the update: this repository's example stack passes, a plain copy does not", () => {
        const example = path.join(__dirname, "..", "..", "stacks", "Pulumi.example-django.yaml");
        expect(() => refusePlainSecretEnv(example)).not.toThrow();
        const plain = path.join(tempDir(), "Pulumi.plain.yaml");
        fs.writeFileSync(plain, "config:\n  coverage-spy:secretEnv:\n    web:\n      DB_PASSWORD: s3cr3t\n");
        expect(() => refusePlainSecretEnv(plain)).toThrow(
            `coverage-spy: config: coverage-spy:secretEnv.web.DB_PASSWORD is stored in plain text in the stack file: ${FIX}`,
        );
        expect(() => refusePlainSecretEnv(undefined)).not.toThrow();
    });

    it("is read by the program with the SDK's public config API, each value made a secret there", () => {
        // No list of secret keys: the program no longer asks the SDK's private isConfigSecret.
        const value = JSON.stringify({ web: { DB_PASSWORD: "s3cr3t" } });
        pulumi.runtime.setAllConfig({ "coverage-spy:secretEnv": value });
        expect(readStackConfig("coverage-spy").secretEnv).toEqual({ web: { DB_PASSWORD: "s3cr3t" } });
    });
});
