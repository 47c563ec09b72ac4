import { docker } from "../engine/dockerCli";
import { LABEL_ROLE, LABEL_STACK } from "../shared/naming";

/**
 * Names of a stack's running service containers, sorted, found by the labels the component puts on them.
 * Throws a DockerCommandError, naming Docker's answer, when docker cannot run or fails.
 */
export function runningServiceContainers(stack: string): string[] {
    const filters = ["--filter", `label=${LABEL_STACK}=${stack}`, "--filter", `label=${LABEL_ROLE}=service`];
    return docker(["ps", ...filters, "--format", "{{.Names}}"])
        .stdout.split("\n")
        .filter((name) => name !== "")
        .sort();
}
