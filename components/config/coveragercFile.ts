import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { shellQuote } from "../shell";

/**
 * Writes the generated .coveragerc on the host, where services mount it read-only.
 * A command (not a write during the program) so preview never touches the disk.
 */
export function createCoveragercFile(
    name: string,
    hostConfigDir: string,
    content: string,
    opts: pulumi.CustomResourceOptions,
): { resource: command.local.Command; hostDir: string } {
    const file = path.join(hostConfigDir, "coveragerc");
    const quotedDir = shellQuote(hostConfigDir);
    const quotedFile = shellQuote(file);
    const resource = new command.local.Command(
        `${name}-coveragerc`,
        {
            create: `mkdir -p ${quotedDir} && cat > ${quotedFile}.tmp && mv ${quotedFile}.tmp ${quotedFile}`,
            // rmdir removes only empty folders: ours, once no other stack's rcfile is beside it.
            delete: `rm -f ${quotedFile} && { rmdir ${[hostConfigDir, path.dirname(hostConfigDir), path.dirname(path.dirname(hostConfigDir))].map(shellQuote).join(" ")} 2>/dev/null || true; }`,
            stdin: content,
            addPreviousOutputInEnv: false,
        },
        opts,
    );
    return { resource, hostDir: hostConfigDir };
}
