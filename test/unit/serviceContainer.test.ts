import * as pulumi from "@pulumi/pulumi";
import { resolveArgs } from "../../components/options/resolveArgs";
import { ServiceContainerInput, serviceContainerArgs } from "../../components/service/serviceContainer";
import { installMockEngine, valueOf } from "./mockEngine";

installMockEngine();

function input(env: Record<string, pulumi.Input<string>>, instrument: boolean): ServiceContainerInput {
    const resolved = resolveArgs(
        { services: [{ name: "web", image: "web:prod", sourcePath: "/app", env, instrument }], testCommand: "x" },
        {
            stack: "unit",
            projectDir: "/p",
            defaultDockerHost: undefined,
            defaultAssetsDir: () => "/assets",
            newRunId: () => "r1",
        },
    );
    return {
        service: resolved.services[0],
        stack: "unit",
        runId: "r1",
        labels: {},
        networkName: "net",
        publishIp: "127.0.0.1",
        instrumentation: instrument
            ? {
                  runId: "r1",
                  spyFiles: { volumeName: "spy" },
                  volumeName: "data",
                  imagePythonPath: "/app",
              }
            : undefined,
    };
}

describe("a service's environment", () => {
    it("carries a Pulumi secret to the container and keeps the whole list secret", async () => {
        const envs = serviceContainerArgs(input({ DB_PASSWORD: pulumi.secret("s3cr3t"), MODE: "web" }, true))
            .envs as pulumi.Output<string[]>;
        expect(await pulumi.isSecret(envs)).toBe(true);
        expect(await valueOf(envs)).toEqual([
            "DB_PASSWORD=s3cr3t",
            "MODE=web",
            "PYTHONPATH=/opt/coverage-spy/assets/site:/opt/coverage-spy/lib:/app",
            "COVERAGE_PROCESS_START=/opt/coverage-spy/config/coveragerc",
            "COVERAGE_FILE=/opt/coverage-spy/data/runs/r1/web/.coverage",
        ]);
    });

    it("is only the user's for a service that is not measured, and not secret without a secret", async () => {
        const envs = serviceContainerArgs(input({ MODE: "db" }, false)).envs as pulumi.Output<string[]>;
        expect(await pulumi.isSecret(envs)).toBe(false);
        expect(await valueOf(envs)).toEqual(["MODE=db"]);
    });
});
