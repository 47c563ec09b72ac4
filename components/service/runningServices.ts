import { spawnSync } from "child_process";
import { LABEL_ROLE, LABEL_STACK } from "../naming";

/**
 * Names of a stack's running service containers, sorted, found by the labels the component puts on them.
 * Throws, naming Docker's answer, when docker cannot run or fails.
 */
export function runningServiceContainers(stack: string): string[] {
    const filters = ["--filter", `label=${LABEL_STACK}=${stack}`, "--filter", `label=${LABEL_ROLE}=service`];
    const result = spawnSync("docker", ["ps", ...filters, "--format", "{{.Names}}"], { encoding: "utf8" });
    if (result.error) throw new Error(`cannot run docker (${result.error.message})`);
    if (result.status !== 0) throw new Error(`docker ps failed (exit ${result.status}): ${result.stderr.trim()}`);
    return result.stdout
        .split("\n")
        .filter((name) => name !== "")
        .sort();
}
