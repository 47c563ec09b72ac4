/** A file of a diff whose new side has lines added or changed, by its path in the repository (new side). */
export interface ChangedFile {
    path: string;
    /** New-side line numbers, ascending. */
    lines: number[];
    /** Its path on the old side, when the diff found it renamed. */
    renamedFrom?: string;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
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

/** One hunk of a `-U0` diff: the old side's lines [oldStart, oldStart+oldCount) became the new side's. */
export interface DiffHunk {
    oldStart: number;
    oldCount: number;
    newStart: number;
    newCount: number;
}

/**
 * The hunks per file of a unified `git diff` (made with -U0 and the new side's prefix `newPrefix`), by the new side's
 * path; deleted files left out.
 * Only the hunk headers' counts are trusted: a hunk's body is skipped by counting its lines, so content that looks
 * like a header ("+++ x" as an added line "++ x") is never read as one, and CRLF or a missing final newline change
 * nothing. Binary files, renames without edits and mode-only changes have no hunks.
 */
export function parseGitDiffHunks(diff: string, newPrefix = "b/"): Map<string, DiffHunk[]> {
    const files = new Map<string, DiffHunk[]>();
    const lines = diff.split("\n");
    let current: DiffHunk[] | undefined;
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
            const oldCount = hunk[2] === undefined ? 1 : Number(hunk[2]);
            const newCount = hunk[4] === undefined ? 1 : Number(hunk[4]);
            current?.push({ oldStart: Number(hunk[1]), oldCount, newStart: Number(hunk[3]), newCount });
            // Skip the body: `oldCount` "-" lines and `newCount` "+" lines, and any "\ No newline" markers among them.
            let body = oldCount + newCount;
            while (body > 0 && i + 1 < lines.length) {
                i += 1;
                if (!lines[i].startsWith("\\")) body -= 1;
            }
            while (i + 1 < lines.length && lines[i + 1].startsWith("\\")) i += 1;
        }
    }
    return files;
}

/**
 * The renamed files of a `git diff -M`: each one's old path by its new path, from git's "rename from" and "rename to"
 * headers (paths without prefixes, C-quoted as in the other headers). No line of a hunk's body starts with "rename":
 * each is an added or removed line ("+", "-") or git's "\ No newline at end of file".
 */
export function parseGitRenames(diff: string): Map<string, string> {
    const renames = new Map<string, string>();
    let from: string | undefined;
    for (const line of diff.split("\n")) {
        if (line.startsWith("diff ")) from = undefined;
        else if (line.startsWith("rename from ")) from = unquoteGitPath(line.slice("rename from ".length));
        else if (line.startsWith("rename to ") && from !== undefined)
            renames.set(unquoteGitPath(line.slice("rename to ".length)), from);
    }
    return renames;
}

/**
 * The added or changed lines per file of a unified `git diff` (made with -U0 and the new side's prefix `newPrefix`).
 * Deleted files, binary files, renames without edits and mode-only changes have no hunks, hence no lines.
 */
export function parseGitDiff(diff: string, newPrefix = "b/"): ChangedFile[] {
    const renames = parseGitRenames(diff);
    return [...parseGitDiffHunks(diff, newPrefix)]
        .map(([path, hunks]): ChangedFile => {
            const changed = hunks.flatMap((h) => Array.from({ length: h.newCount }, (_, n) => h.newStart + n));
            const renamedFrom = renames.get(path);
            return {
                path,
                lines: [...new Set(changed)].sort((a, b) => a - b),
                ...(renamedFrom !== undefined ? { renamedFrom } : {}),
            };
        })
        .filter((file) => file.lines.length > 0)
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
