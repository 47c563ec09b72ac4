import { DockerCommandError, docker } from "./dockerCli";

/** What the Docker engine (the local one, or the provider's) says of one image. */
export interface LocalImage {
    /** `docker image inspect`'s JSON list of "K=V" strings (or "null"), when the image is there. */
    envJson?: string;
    /** The image's ID, when the image is there (and the engine says it). */
    id?: string;
    /** The TCP ports the image EXPOSEs, when the image is there. */
    exposedPorts?: number[];
    /** The image's USER ("" for none), when the image is there: whom a container runs as unless given a user. */
    user?: string;
    /** Why it is not: Docker's own words. */
    missing?: string;
}

/**
 * What is read of an image, tab-separated: its environment (JSON, which never holds a raw tab), its ID, its ports,
 * its user.
 * `index` reads the ports: `.Config.ExposedPorts` fails the whole inspect ("map has no entry") on an image without
 * EXPOSE, which would read as a missing image.
 */
export const INSPECT_FORMAT =
    '{{json .Config.Env}}\t{{.Id}}\t{{json (index .Config "ExposedPorts")}}\t{{.Config.User}}';

/** The TCP ports of `{{json .Config.ExposedPorts}}` ({"5432/tcp":{}}, or null). */
function tcpPorts(json: string | undefined): number[] {
    const exposed = json?.trim() ? (JSON.parse(json) as Record<string, unknown> | null) : null;
    return Object.keys(exposed ?? {})
        .flatMap((key) => {
            const match = /^(\d+)(?:\/tcp)?$/.exec(key);
            return match ? [Number(match[1])] : [];
        })
        .sort((a, b) => a - b);
}

/** An image `docker image inspect --format INSPECT_FORMAT` described. */
function foundImage(stdout: string): LocalImage {
    const [envJson, id, portsJson, user] = stdout.replace(/\n$/, "").split("\t");
    return {
        envJson: envJson.trim(),
        ...(id?.trim() ? { id: id.trim() } : {}),
        ...(portsJson !== undefined ? { exposedPorts: tcpPorts(portsJson) } : {}),
        ...(user !== undefined ? { user: user.trim() } : {}),
    };
}

/**
 * Looks images up in the Docker engine (the local one, or the one `engineEnv` names) now, while the program runs
 * (at preview too), so that a missing image is an input error before any resource is declared: coverage-spy pulls
 * no image, and a container create would fail only after the volume, network and prepare container were made.
 * Runs docker without a shell.
 */
export function inspectLocalImages(images: string[], engineEnv: Record<string, string> = {}): Map<string, LocalImage> {
    const found = new Map<string, LocalImage>();
    for (const image of new Set(images)) found.set(image, inspectImage(image, engineEnv));
    return found;
}

/** One image as the engine describes it; a failed inspect (no such image, or the engine's refusal) says why. */
function inspectImage(image: string, engineEnv: Record<string, string>): LocalImage {
    try {
        // DOCKER_HOST and friends of the engine the Docker resources use, when a provider names one.
        return foundImage(docker(["image", "inspect", "--format", INSPECT_FORMAT, image], { env: engineEnv }).stdout);
    } catch (err) {
        if (!(err instanceof DockerCommandError)) throw err;
        if (err.exitCode === null) throw new Error(`coverage-spy: cannot look up image ${image}: ${err.message}`);
        return { missing: err.stderr.trim() || `docker exited with ${err.exitCode}` };
    }
}

/** The engine as messages name it: its address when the docker CLI is sent to one, else the local engine. */
export function engineName(dockerHost: string | undefined): string {
    return dockerHost ? `the Docker engine at ${dockerHost}` : "the local Docker engine";
}

/** The problems to report for missing images, one per image and what needs it; `dockerHost`: the engine asked. */
export function missingImageProblems(
    needs: Array<{ owner: string; image: string }>,
    found: Map<string, LocalImage>,
    dockerHost?: string,
): string[] {
    return needs.flatMap(({ owner, image }) => {
        const missing = found.get(image)?.missing;
        return missing === undefined
            ? []
            : [
                  `${owner}: image ${image} is not in ${engineName(dockerHost)}; build or load it first, coverage-spy pulls no image (Docker says: ${missing})`,
              ];
    });
}
