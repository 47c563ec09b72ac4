// What the command's entry point knows of the updates without loading them (the Automation API takes most of a
// second to load, and `who`, `summary` and `help` need none of it).

/** The commands that run an update of the stack with the engine. */
export const UPDATE_ACTIONS = ["preview", "up", "destroy"] as const;
export type UpdateAction = (typeof UPDATE_ACTIONS)[number];

/** The run ended because the user interrupted it: said in one line, exit code 130. */
export class InterruptedError extends Error {}
