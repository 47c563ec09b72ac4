import { CommandArgs } from "./commandArgs";
import { CommandTarget, resolveTarget } from "../project/commandTarget";
import { packageRoot } from "../project/projectFolder";

/** Every command's way to name its project and stack. */
export const TARGET_OPTIONS = ["--cwd", "--stack"];

/** The project and stack a command works on, from its --cwd and --stack and this process's environment. */
export function commandTarget(args: CommandArgs): Promise<CommandTarget> {
    return resolveTarget(
        { cwd: args.values.get("--cwd"), stack: args.values.get("--stack") },
        {
            env: process.env,
            ownRoot: packageRoot(__dirname),
            // Loaded only when no stack is named: the Automation API takes most of a second to load.
            selectedStack: async (dir) => (await import("../project/stackWorkspace")).selectedStack(dir),
            cwd: process.cwd(),
        },
    );
}

/** A progress line of the command, on stderr (stdout is for what the command produces). */
export const log = (line: string): void => {
    process.stderr.write(`[coverage-spy] ${line}\n`);
};
