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
