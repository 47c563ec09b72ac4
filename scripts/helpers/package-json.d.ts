// The types of package-json.js (plain JavaScript node runs directly), for the TypeScript that imports it: its tests.

/** The exact version (x.y.z) a dependency or devDependency is pinned at; throws when it is missing or a range. */
export function pinnedVersion(pkg: object, name: string): string;

/** The string at config.KEY; throws when there is none. */
export function configValue(pkg: object, key: string): string;

/** [name, sha256] of each release archive config.upstreamArchives pins. */
export function upstreamArchives(pkg: object): [string, string][];

/** Runs one command (argv without node and the script); returns the lines to print. Throws on a bad answer. */
export function run(argv: string[]): string[];
