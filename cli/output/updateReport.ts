import { EngineEvent } from "@pulumi/pulumi/automation";
import { CommandSpelling, NPM_SCRIPTS } from "../project/commandSpelling";

/** The engine's generic closing errors, said on top of the real cause: left out when a cause is known. */
const GENERIC_ERRORS = [/^update failed$/, /^preview failed$/, /^destroy failed$/, /^One or more errors occurred/];

export interface Diagnostic {
    severity: "warning" | "error";
    /** The resource's name from its URN, or "" for the stack itself. */
    resource: string;
    message: string;
}

/**
 * Follows one engine operation: streams its progress lines without the engine's own "Diagnostics:" block, and
 * collects warnings and errors from its events, so the driver can say them once, at the very end, causes last.
 * The engine says one input error twice (on the component and on the stack) and repeats everything in its
 * exception: this report says each message once.
 */
export class UpdateReport {
    private readonly diagnostics: Diagnostic[] = [];
    private inDiagnostics = false;
    private pending = "";

    constructor(private readonly write: (text: string) => void) {}

    /** For the Automation API's onOutput: text in arbitrary chunks. */
    onOutput = (chunk: string): void => {
        const lines = (this.pending + chunk).split("\n");
        this.pending = lines.pop()!;
        for (const line of lines) this.line(line);
    };

    /** For the Automation API's onEvent. */
    onEvent = (event: EngineEvent): void => {
        const diag = event.diagnosticEvent;
        if (!diag || (diag.severity !== "warning" && diag.severity !== "error") || diag.ephemeral) return;
        const message = diag.message.replace(/\s+$/, "");
        if (this.diagnostics.some((d) => d.severity === diag.severity && d.message === message)) return;
        const onStack = !diag.urn || diag.urn.includes("::pulumi:pulumi:Stack::");
        this.diagnostics.push({
            severity: diag.severity,
            resource: onStack ? "" : diag.urn!.split("::").pop()!,
            message,
        });
    };

    private line(line: string): void {
        if (line === "Diagnostics:") {
            this.inDiagnostics = true;
            return;
        }
        // The block ends at the next section heading (Outputs:, Resources:, Duration: ...), written flush left.
        if (this.inDiagnostics && /^\S/.test(line)) this.inDiagnostics = false;
        if (!this.inDiagnostics) this.write(`${line}\n`);
    }

    /** Warnings, then the errors that caused the failure (the generic "update failed" only if there is no other). */
    summary(): Diagnostic[] {
        this.flush();
        const errors = this.diagnostics.filter((d) => d.severity === "error");
        const causes = errors.filter((d) => !GENERIC_ERRORS.some((re) => re.test(d.message)));
        return [...this.diagnostics.filter((d) => d.severity === "warning"), ...(causes.length > 0 ? causes : errors)];
    }

    private flush(): void {
        if (this.pending !== "") this.line(this.pending);
        this.pending = "";
    }
}

/** What to do about errors whose cause lies outside the stack: said under the error, made from what it matched. */
const HINTS: Array<{ match: RegExp; hint: (found: RegExpExecArray, spell: CommandSpelling) => string }> = [
    {
        match: /could not find an available, non-overlapping IPv4 address pool/,
        hint: (_found, spell) =>
            "Docker has no network address pool left: every coverage stack that is up holds a bridge network. " +
            "`docker network ls --filter label=coverage-spy.stack --format '{{.Label \"coverage-spy.stack\"}}'` names the stacks " +
            `that hold one; \`${spell("destroy", "--stack NAME")}\` frees one, \`${spell("prune")}\` lists stacks whose branch is gone.`,
    },
    {
        // Docker's words when a container of the same name exists that the stack's state does not hold.
        match: /The container name "\/?([^"]+)" is already in use by container "([^"]+)"/,
        hint: ([, name, id]) =>
            `the container name ${name} is taken by a container this stack does not own (${id}): if you no longer ` +
            `need it, remove it with \`docker rm -f ${name}\` (on the stack's engine; \`docker inspect ${name}\` ` +
            "shows what it is first); else run coverage-spy under another stack name (--stack NAME).",
    },
];

/** The hint lines for one error's message. */
function hintsFor(message: string, spell: CommandSpelling): string[] {
    return HINTS.flatMap(({ match, hint }) => {
        const found = match.exec(message);
        return found === null ? [] : [`  hint: ${hint(found, spell)}`];
    });
}

/**
 * The diagnostics as the last lines a user reads: each message once, indented under its resource, with a hint where one
 * helps (its commands spelt as the user runs them).
 */
export function formatDiagnostics(diagnostics: Diagnostic[], spell: CommandSpelling = NPM_SCRIPTS): string {
    return diagnostics
        .map((d) => {
            const where = d.resource === "" ? "" : ` (${d.resource})`;
            const [first, ...rest] = d.message.split("\n");
            const hints = d.severity === "error" ? hintsFor(d.message, spell) : [];
            return [`[coverage-spy] ${d.severity}${where}: ${first}`, ...rest.map((l) => `  ${l}`), ...hints].join(
                "\n",
            );
        })
        .join("\n");
}
