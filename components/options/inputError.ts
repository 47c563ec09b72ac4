/** Thrown for bad input; the component turns it into a pulumi.ResourceError at preview time. */
export class CoverageSpyInputError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid coverage-spy input:\n  - ${problems.join("\n  - ")}`);
        this.name = "CoverageSpyInputError";
    }
}
