// Pure facts about a Docker engine (no Pulumi resource): where it is, what the docker CLI must be told of it, where
// services publish on it. Shared by the component, the driver and the option defaults.
/** The loopback address services publish their ports on and the test run reaches them at, on a local engine. */
export const LOCAL_SERVICE_HOST = "127.0.0.1";

/**
 * An engine behind a network address (`tcp://`, `ssh://`, `http(s)://`) has a filesystem of its own: bind mounts
 * of the program's folders would name folders on its machine. A unix socket or no address at all is this machine's.
 */
export function isRemoteDockerHost(host: string | undefined): boolean {
    return host !== undefined && /^(tcp|ssh|https?):\/\//.test(host.trim());
}

/** Where services publish their ports on the engine's machine: loopback when the tests reach them there. */
export function publishAddress(serviceHost: string): string {
    return serviceHost === LOCAL_SERVICE_HOST || serviceHost === "localhost" ? LOCAL_SERVICE_HOST : "0.0.0.0";
}

/** What the docker CLI must be told of an engine: its address and TLS folder (unset: the default engine). */
export interface EngineSettings {
    host?: string;
    certPath?: string;
    /** The provider carries TLS material as text, which the docker CLI cannot take. */
    hasTlsMaterial: boolean;
}

/** The settings a docker provider reads from its config (`docker:host`, `docker:certPath`, ...), via `setting`. */
export function engineSettingsFromConfig(setting: (key: string) => string | undefined): EngineSettings {
    const host = setting("host") || undefined;
    const certPath = setting("certPath") || undefined;
    return {
        ...(host !== undefined ? { host } : {}),
        ...(certPath !== undefined ? { certPath } : {}),
        hasTlsMaterial: ["caMaterial", "certMaterial", "keyMaterial"].some((key) => Boolean(setting(key))),
    };
}

/** DOCKER_HOST and, with TLS, DOCKER_CERT_PATH and DOCKER_TLS_VERIFY; empty for the default engine. */
export function dockerEnvironmentFor(settings: EngineSettings): Record<string, string> {
    if (settings.host === undefined) return {};
    return {
        DOCKER_HOST: settings.host,
        ...(settings.certPath !== undefined ? { DOCKER_CERT_PATH: settings.certPath, DOCKER_TLS_VERIFY: "1" } : {}),
    };
}
