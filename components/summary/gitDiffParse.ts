/** A file of a diff whose new side has lines added or changed, by its path in the repository (new side). */
export interface ChangedFile {
    path: string;
    /** New-side line numbers, ascending. */
    lines: number[];
}

const HUNK = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };

/** A path as git prints it: C-quoted ("a\tb", octal UTF-8 bytes) when it has unusual characters, else as it is. */
export function unquoteGitPath(text: string): string {
    if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return text;
    const body = text.slice(1, -1);
    const bytes: number[] = [];
    for (let i = 0; i < body.length; i++) {
        const ch = body[i];
        if (ch !== "\\") {
            bytes.push(...Buffer.from(ch, "utf8"));
            continue;
        }
        const next = body[i + 1];
        if (/[0-7]/.test(next ?? "")) {
            bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
            i += 3;
        } else {
            bytes.push(C_ESCAPES[next] ?? next.charCodeAt(0));
            i += 1;
        }
    }
    return Buffer.from(bytes).toString("utf8");
}

/**
 * The new side's path of a "+++ " header line, or undefined for a deleted file. Git puts a tab after an unquoted
 * name with a space in it (for patch(1)); a name that itself ends in a tab is quoted, so one trailing tab is git's.
 */
function newSidePath(header: string, prefix: string): string | undefined {
    let name = header.slice("+++ ".length);
    if (name === "/dev/null") return undefined;
    if (!name.startsWith('"')) name = name.replace(/\t$/, "");
    name = unquoteGitPath(name);
    return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/**
 * The added or changed lines per file of a unified `git diff` (made with -U0 and the new side's prefix `newPrefix`).
 * Only the hunk headers' counts are trusted: a hunk's body is skipped by counting its lines, so content that looks
 * like a header ("+++ x" as an added line "++ x") is never read as one, and CRLF or a missing final newline change
 * nothing. Deleted files, binary files, renames without edits and mode-only changes have no hunks, hence no lines.
 */
export function parseGitDiff(diff: string, newPrefix = "b/"): ChangedFile[] {
    const files = new Map<string, number[]>();
    const lines = diff.split("\n");
    let current: number[] | undefined;
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.startsWith("diff ")) current = undefined;
        else if (line.startsWith("+++ ")) {
            const name = newSidePath(line, newPrefix);
            current = undefined;
            if (name !== undefined) {
                current = files.get(name) ?? [];
                files.set(name, current);
            }
        } else if (line.startsWith("@@ ")) {
            const hunk = HUNK.exec(line);
            if (hunk === null) throw new Error(`git diff: unreadable hunk header ${JSON.stringify(line)}`);
            const removed = hunk[1] === undefined ? 1 : Number(hunk[1]);
            const start = Number(hunk[2]);
            const added = hunk[3] === undefined ? 1 : Number(hunk[3]);
            for (let n = 0; n < added; n++) current?.push(start + n);
            // Skip the body: `removed` "-" lines and `added` "+" lines, and any "\ No newline" markers among them.
            let body = removed + added;
            while (body > 0 && i + 1 < lines.length) {
                i += 1;
                if (!lines[i].startsWith("\\")) body -= 1;
            }
            while (i + 1 < lines.length && lines[i + 1].startsWith("\\")) i += 1;
        }
    }
    return [...files]
        .filter(([, changed]) => changed.length > 0)
        .map(([path, changed]) => ({ path, lines: [...new Set(changed)].sort((a, b) => a - b) }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
