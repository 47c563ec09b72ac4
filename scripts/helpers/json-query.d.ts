// The types of json-query.js (plain JavaScript node runs directly), for the TypeScript that imports it: its tests.

/** The top-level field of a JSON object, as printed by the shell (strings bare, anything else as JSON). */
export function field(text: string, name: string): string;

/** Does `pulumi plugin ls --json`'s output (empty: no plugins) list the plugin KIND NAME at VERSION? */
export function hasPlugin(text: string, kind: string, name: string, version: string): boolean;

/**
 * A line per failed test of a jest --json result, as `FILE › TEST NAME: what its error says`, and one per test
 * file that failed to run at all (a syntax error, a failing hook), paths relative to `root`.
 */
export function failedTests(text: string, root: string): string[];

/** Runs one command (argv without node and the script) on the input text; returns [stdout lines, exit code]. */
export function run(argv: string[], readInput: (file?: string) => string): [string[], number];
