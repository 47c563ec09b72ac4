/**
 * The Automation API reports a failed CLI run as one text: "code: N\n stdout: ...\n stderr: ...\n err?: ...", with
 * the CLI's own error said twice (in stderr and again in err). A person needs the CLI's `error:` lines, once.
 * Returns them, or the text as it is when it is not such a report.
 */
export function cliErrorText(message: string): string {
    if (!/^code: -?\d+\n/.test(message)) return message;
    const stderr = /\n stderr: ([\s\S]*?)(?:\n err\?: |$)/.exec(message)?.[1] ?? "";
    const errors = [
        ...new Set(
            stderr
                .split("\n")
                .map((line) => line.trim())
                .filter((line) => line.startsWith("error: "))
                .map((line) => line.slice("error: ".length)),
        ),
    ];
    return errors.length > 0 ? errors.join("\n") : message;
}
