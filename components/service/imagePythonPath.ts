import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { engineName } from "../engine/localImages";

/**
 * Reads the image's own PYTHONPATH from the engine's image, at preview time, so the spy can keep it.
 * It doubles as the preview-time check that the image exists, before any container is created.
 */
export function readImagePythonPath(
    serviceName: string,
    image: pulumi.Input<string>,
    cliEnv: pulumi.Input<Record<string, string>>,
    opts: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
    // The names travel in the environment, so no image or service name is ever parsed as shell code.
    const result = pulumi.all([image, cliEnv]).apply(([img, engineEnv]) =>
        command.local.runOutput(
            {
                command: `docker image inspect --format '{{json .Config.Env}}' "$COVERAGE_SPY_IMAGE" 2>&1 || { echo "coverage-spy: service $COVERAGE_SPY_SERVICE: image $COVERAGE_SPY_IMAGE is not in $COVERAGE_SPY_ENGINE (build or load it first)" >&2; exit 1; }`,
                environment: {
                    ...engineEnv,
                    COVERAGE_SPY_IMAGE: img,
                    COVERAGE_SPY_SERVICE: serviceName,
                    COVERAGE_SPY_ENGINE: engineName(engineEnv.DOCKER_HOST ?? process.env.DOCKER_HOST),
                },
                addPreviousOutputInEnv: false,
                logging: "none",
            },
            opts,
        ),
    );
    return result.apply((r) => pythonPathFromImageEnv(r.stdout));
}

/** Extracts PYTHONPATH from `docker image inspect`'s JSON list of "K=V" strings; "" when unset. */
export function pythonPathFromImageEnv(envJson: string): string {
    const trimmed = envJson.trim();
    const env: unknown = trimmed === "" || trimmed === "null" ? [] : JSON.parse(trimmed);
    if (!Array.isArray(env)) throw new Error(`unexpected image environment: ${envJson}`);
    const entry = (env as string[]).find((e) => e.startsWith("PYTHONPATH="));
    return entry ? entry.slice("PYTHONPATH=".length) : "";
}
