/** A command's arguments: options with a value, flags, and the words that are neither. */
export interface CommandArgs {
    values: Map<string, string>;
    flags: Set<string>;
    positional: string[];
}

export interface ArgsSpec {
    /** Options that take a value (`--stack NAME`). */
    values?: string[];
    /** Options without one (`--yes`). */
    flags?: string[];
    /** How many positional words the command takes. */
    positional?: number;
}

/** A command line the user got wrong: said with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** Parses a command's arguments by its spec; anything else is a UsageError naming it and the usage. */
export function parseCommandArgs(argv: string[], spec: ArgsSpec, usage: string): CommandArgs {
    const parsed: CommandArgs = { values: new Map(), flags: new Set(), positional: [] };
    for (let i = 0; i < argv.length; i++) {
        const word = argv[i];
        if (spec.values?.includes(word)) {
            const value = argv[i + 1];
            if (value === undefined || value.startsWith("--")) throw new UsageError(`${word} needs a value; ${usage}`);
            parsed.values.set(word, value);
            i += 1;
        } else if (spec.flags?.includes(word)) {
            parsed.flags.add(word);
        } else if (!word.startsWith("-") && parsed.positional.length < (spec.positional ?? 0)) {
            parsed.positional.push(word);
        } else {
            throw new UsageError(`unexpected ${word}; ${usage}`);
        }
    }
    return parsed;
}
