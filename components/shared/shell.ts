/** Single-quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A value as a reader would type it in a shell: bare when no shell would split or expand it, quoted otherwise. */
export function shownWord(value: string): string {
    return /^[\w@%+=:,./-]+$/.test(value) ? value : shellQuote(value);
}
