import { CommandResult, runCommand } from "./command";

export type DockerResult = CommandResult;

/**
 * Runs the docker CLI with arguments, never through a shell. Resolves with its exit status (127 when it could not
 * start, as a shell would say) and output; its output goes to this process's stderr instead with `toStderr`.
 */
export function docker(args: string[], toStderr = false): Promise<DockerResult> {
    return runCommand("docker", args, toStderr);
}
