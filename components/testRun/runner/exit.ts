/** Exits with `code` once stdout and stderr took everything written to them (a pipe may be written to later). */
export function exitAfterOutput(code: number): void {
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
