/** The commands whose use messages advise. */
export type CommandName = "up" | "destroy" | "unlock" | "prune" | "who" | "snapshot";

/** How the user runs one of our commands, for advice in messages. */
export type CommandSpelling = (command: CommandName, args?: string) => string;

/** This repository's npm scripts (npm run coverage, npm run coverage:destroy, ...). */
export const NPM_SCRIPTS: CommandSpelling = (command, args) =>
    `npm run coverage${command === "up" ? "" : `:${command}`}${args ? ` -- ${args}` : ""}`;

/** The package's command, in any project that installed it. */
export const PACKAGE_COMMAND: CommandSpelling = (command, args) =>
    `npx coverage-spy ${command}${args ? ` ${args}` : ""}`;

/** The spelling for a project: the bundled demo is run through the npm scripts, a user's project through npx. */
export function commandSpelling(demo: boolean): CommandSpelling {
    return demo ? NPM_SCRIPTS : PACKAGE_COMMAND;
}
