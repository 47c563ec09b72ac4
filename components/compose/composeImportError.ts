/** Everything that keeps a compose file's services from being carried over, listed at once. */
export class ComposeImportError extends Error {
    constructor(
        readonly file: string,
        readonly problems: string[],
    ) {
        super(`cannot import services from ${file}:\n  - ${problems.join("\n  - ")}`);
        this.name = "ComposeImportError";
    }
}
