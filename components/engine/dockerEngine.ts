import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
    EngineSettings,
    dockerEnvironmentFor,
    engineSettingsFromConfig,
    isRemoteDockerHost,
} from "../shared/engineAddress";

/** A Docker resource of the package, to ask a component which docker provider its children get. */
const DOCKER_MODULE_MEMBER = "docker:index/container:Container";

/** The docker provider the component's children get (its `providers` or `provider` option, or a parent's). */
export function dockerProviderOf(component: pulumi.Resource): docker.Provider | undefined {
    const provider = component.getProvider(DOCKER_MODULE_MEMBER);
    return provider !== undefined && docker.Provider.isInstance(provider) ? provider : undefined;
}

/**
 * The docker CLI's environment for the engine the Docker resources use: DOCKER_HOST and, with TLS, DOCKER_CERT_PATH
 * and DOCKER_TLS_VERIFY. Empty for the default engine: the CLI then finds it as the provider did (DOCKER_HOST in the
 * environment, else the local socket). Throws, naming the fix, when the provider's settings cannot reach the CLI or
 * contradict `remoteEngine`.
 */
export function dockerCliEnvironment(settings: EngineSettings, remoteEngine: boolean): Record<string, string> {
    if (settings.hasTlsMaterial && settings.certPath === undefined)
        throw new Error(
            "coverage-spy: the docker provider gives its TLS keys as text (caMaterial, certMaterial, keyMaterial); " +
                "the docker CLI of the test run needs them as files: set the provider's certPath instead",
        );
    if (isRemoteDockerHost(settings.host) && !remoteEngine)
        throw new Error(
            `coverage-spy: the docker provider's host ${settings.host} is a remote engine, which cannot see this ` +
                "machine's folders: set remoteEngine: true (files then go through the engine)",
        );
    return dockerEnvironmentFor(settings);
}

/**
 * The default docker provider's settings, known now: its stack config (`docker:host`, `docker:certPath`, ...). Its
 * fallback, DOCKER_HOST and friends in the environment, reaches the docker CLI as it is.
 */
export function defaultEngineSettings(): EngineSettings {
    return engineSettingsFromConfig((key) => pulumi.runtime.getConfig(`docker:${key}`));
}

/** The settings of a provider given to the component, once its outputs are known. */
export function providerEngineSettings(provider: docker.Provider): pulumi.Output<EngineSettings> {
    return pulumi
        .all([provider.host, provider.certPath, provider.caMaterial, provider.certMaterial, provider.keyMaterial])
        .apply(([host, certPath, ca, cert, key]) => ({
            ...(host ? { host } : {}),
            ...(certPath ? { certPath } : {}),
            hasTlsMaterial: Boolean(ca || cert || key),
        }));
}
