import * as fs from "fs";
import * as path from "path";
import { checkoutChanges, checkoutRoot, defaultPatchBase, fileHunks } from "../../components/summary/gitChanges";
import { parseGitDiff, parseGitDiffHunks, unquoteGitPath } from "../../components/summary/gitDiffParse";
import { git, tempDir, writeFiles } from "./fixtures";

const numbered = (n: number, prefix = "line") => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join("");

/** A repository on main with `files` committed, then on branch "feature". */
function repoWith(files: Record<string, string | Buffer>): string {
    const dir = tempDir();
    git(dir, "init", "-q", "-b", "main");
    writeFiles(dir, files);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "base");
    git(dir, "checkout", "-q", "-b", "feature");
    return fs.realpathSync(dir);
}

function commitAll(dir: string, message = "change"): void {
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", message);
}

/** The changed lines per path, as the checkout's diff against main gives them. */
function changed(dir: string, base = "main"): Record<string, number[]> {
    return Object.fromEntries(checkoutChanges(dir, base).files.map((f) => [f.path, f.lines]));
}

describe("the changes of a checkout (real git)", () => {
    it("gives changed and added lines on the new side, never deleted ones", () => {
        const dir = repoWith({ "app.py": numbered(10) });
        const lines = numbered(10).split("\n");
        lines[2] = "line 3 changed"; // line 3
        lines.splice(5, 0, "added a", "added b"); // new lines 6 and 7
        lines.splice(9, 1); // old line 8 (now at index 9) deleted
        fs.writeFileSync(path.join(dir, "app.py"), lines.join("\n"));
        commitAll(dir);
        expect(changed(dir)).toEqual({ "app.py": [3, 6, 7] });
    });

    it("counts every line of a new file, and nothing of a deleted one", () => {
        // Unlike contents: a similar pair would be read as a rename.
        const dir = repoWith({ "old.py": numbered(3, "old") });
        fs.rmSync(path.join(dir, "old.py"));
        writeFiles(dir, { "pkg/new.py": numbered(4, "new") });
        commitAll(dir);
        expect(changed(dir)).toEqual({ "pkg/new.py": [1, 2, 3, 4] });
    });

    it("follows a rename: only the lines edited in it count, under the new name", () => {
        const dir = repoWith({ "a/moved.py": numbered(30), "a/kept.py": numbered(30, "kept") });
        fs.mkdirSync(path.join(dir, "b"));
        git(dir, "mv", "a/moved.py", "b/moved.py");
        git(dir, "mv", "a/kept.py", "b/kept.py");
        const text = numbered(30).replace("line 12\n", "line twelve\n");
        fs.writeFileSync(path.join(dir, "b/moved.py"), text);
        commitAll(dir);
        expect(changed(dir)).toEqual({ "b/moved.py": [12] });
        expect(checkoutChanges(dir, "main").files).toEqual([
            { path: "b/moved.py", lines: [12], renamedFrom: "a/moved.py" },
        ]);
    });

    it("leaves out binary files and mode-only changes", () => {
        const dir = repoWith({ "tool.sh": "echo hi\n", "data.bin": Buffer.from([0, 1, 2, 0, 3]) });
        fs.chmodSync(path.join(dir, "tool.sh"), 0o755);
        fs.writeFileSync(path.join(dir, "data.bin"), Buffer.from([0, 9, 9, 0, 3, 4]));
        writeFiles(dir, { "image.bin": Buffer.from([0, 0, 1]) });
        commitAll(dir);
        expect(git(dir, "diff", "--stat", "main").trim()).not.toBe("");
        expect(changed(dir)).toEqual({});
    });

    it("reads CRLF files and a missing final newline", () => {
        const dir = repoWith({ "win.py": "a\r\nb\r\nc\r\n", "tail.py": "x\ny" });
        fs.writeFileSync(path.join(dir, "win.py"), "a\r\nB\r\nc\r\nd\r\n");
        fs.writeFileSync(path.join(dir, "tail.py"), "x\nY");
        commitAll(dir);
        expect(changed(dir)).toEqual({ "tail.py": [2], "win.py": [2, 4] });
    });

    it("reads paths with spaces, tabs, quotes and non-ASCII letters", () => {
        const dir = repoWith({ "sp ace/m odule.py": numbered(3) });
        fs.writeFileSync(path.join(dir, "sp ace/m odule.py"), numbered(4));
        writeFiles(dir, { "tab\there.py": "t\n", 'quo"te.py': "q\n", "café/ünï.py": "u\n" });
        commitAll(dir);
        expect(changed(dir)).toEqual({
            "café/ünï.py": [1],
            'quo"te.py': [1],
            "sp ace/m odule.py": [4],
            "tab\there.py": [1],
        });
    });

    it("is not fooled by added lines that look like diff headers", () => {
        const dir = repoWith({ "tricky.py": "keep\n" });
        // Added lines "++ b/other.py" and "@@ -1 +1 @@" are printed as "+++ b/other.py" and "+@@ -1 +1 @@".
        fs.writeFileSync(path.join(dir, "tricky.py"), "keep\n++ b/other.py\n@@ -1 +1 @@\ndiff --git a/x b/x\n");
        commitAll(dir);
        expect(changed(dir)).toEqual({ "tricky.py": [2, 3, 4] });
    });

    it("includes staged and unstaged changes of tracked files, not untracked files", () => {
        const dir = repoWith({ "a.py": numbered(3), "b.py": numbered(3) });
        fs.writeFileSync(path.join(dir, "a.py"), numbered(3).replace("line 2", "staged"));
        git(dir, "add", "a.py");
        fs.writeFileSync(path.join(dir, "b.py"), numbered(3).replace("line 3", "unstaged"));
        writeFiles(dir, { "untracked.py": "u\n" });
        expect(changed(dir)).toEqual({ "a.py": [2], "b.py": [3] });
    });

    it("starts at the merge-base: what the base branch did since is not the branch's change", () => {
        const dir = repoWith({ "a.py": numbered(5), "b.py": numbered(5) });
        fs.writeFileSync(path.join(dir, "a.py"), numbered(5).replace("line 1", "mine"));
        commitAll(dir);
        git(dir, "checkout", "-q", "main");
        fs.writeFileSync(path.join(dir, "b.py"), numbered(5).replace("line 5", "theirs"));
        commitAll(dir, "main moves on");
        git(dir, "checkout", "-q", "feature");
        const changes = checkoutChanges(dir, "main");
        expect(changes.commit).toBe(git(dir, "merge-base", "HEAD", "main").trim());
        expect(changes.ref).toBe("main");
        expect(changed(dir)).toEqual({ "a.py": [1] });
    });

    it("gives the same lines whatever the user's git config says about diffs", () => {
        const dir = repoWith({ "sub/a.py": numbered(3), "sp ace.py": "s\n" });
        fs.writeFileSync(path.join(dir, "sub/a.py"), numbered(3).replace("line 2", "two"));
        fs.writeFileSync(path.join(dir, "sp ace.py"), "S\n");
        commitAll(dir);
        for (const [key, value] of [
            ["diff.noprefix", "true"],
            ["diff.mnemonicPrefix", "true"],
            ["color.ui", "always"],
            ["color.diff", "always"],
            ["diff.external", "false"],
            ["diff.relative", "true"],
            ["core.quotePath", "false"],
            ["diff.renames", "false"],
        ])
            git(dir, "config", key, value);
        expect(changed(dir)).toEqual({ "sp ace.py": [1], "sub/a.py": [2] });
    });

    it("says which base git cannot find, and how to fix it", () => {
        const dir = repoWith({ "a.py": "a\n" });
        expect(() => checkoutChanges(dir, "no-such-branch")).toThrow(
            /patch base "no-such-branch" has no merge-base with HEAD .*patchBase \(--patch-base\)/,
        );
        expect(() => checkoutChanges(dir, "--output=/tmp/x")).toThrow(/starts with "-"/);
    });

    it("defaults to the remote's default branch in a clone, else main", () => {
        const origin = repoWith({ "a.py": "a\n" });
        git(origin, "checkout", "-q", "main");
        expect(defaultPatchBase(origin)).toBe("main");
        const clone = path.join(tempDir(), "clone");
        git(path.dirname(clone), "clone", "-q", origin, clone);
        expect(defaultPatchBase(clone)).toBe("origin/main");
        expect(defaultPatchBase(tempDir())).toBe("main");
        expect(checkoutRoot(path.join(clone, "."))).toBe(fs.realpathSync(clone));
        expect(checkoutRoot(tempDir())).toBeUndefined();
    });
});

describe("parseGitDiff", () => {
    it("reads a hunk's counts, defaults and pure deletions", () => {
        const diff = [
            "diff --git a/f.py b/f.py",
            "--- a/f.py",
            "+++ b/f.py",
            "@@ -2 +2 @@",
            "-old",
            "+new",
            "@@ -5,2 +4,0 @@",
            "-gone",
            "-gone too",
            "@@ -9,0 +8,3 @@ def f():",
            "+a",
            "+b",
            "\\ No newline at end of file",
            "+c",
            "",
        ].join("\n");
        expect(parseGitDiff(diff)).toEqual([{ path: "f.py", lines: [2, 8, 9, 10] }]);
        expect(parseGitDiffHunks(diff).get("f.py")).toEqual([
            { oldStart: 2, oldCount: 1, newStart: 2, newCount: 1 },
            { oldStart: 5, oldCount: 2, newStart: 4, newCount: 0 },
            { oldStart: 9, oldCount: 0, newStart: 8, newCount: 3 },
        ]);
    });

    it("names a renamed file's old path, quoted names unquoted, and no other file's", () => {
        const diff = [
            "diff --git a/old.py b/new.py",
            "similarity index 90%",
            "rename from old.py",
            "rename to new.py",
            "--- a/old.py",
            "+++ b/new.py",
            "@@ -3 +3 @@",
            "-rename from x",
            "+rename to y",
            'diff --git "a/sp ace.py" "b/d\\303\\251j\\303\\240.py"',
            "similarity index 95%",
            'rename from "sp ace.py"',
            'rename to "d\\303\\251j\\303\\240.py"',
            '--- "a/sp ace.py"',
            '+++ "b/d\\303\\251j\\303\\240.py"',
            "@@ -1,0 +2 @@",
            "+added",
            "diff --git a/plain.py b/plain.py",
            "--- a/plain.py",
            "+++ b/plain.py",
            "@@ -1 +1 @@",
            "-a",
            "+b",
            "",
        ].join("\n");
        expect(parseGitDiff(diff)).toEqual([
            { path: "déjà.py", lines: [2], renamedFrom: "sp ace.py" },
            { path: "new.py", lines: [3], renamedFrom: "old.py" },
            { path: "plain.py", lines: [1] },
        ]);
    });

    it("diffs two files outside any checkout, hunk by hunk, and finds none between equal ones", () => {
        const dir = tempDir();
        writeFiles(dir, { "ran.py": numbered(6), "now.py": numbered(6).replace("line 3\n", "line 3\nadded\n") });
        expect(fileHunks(path.join(dir, "ran.py"), path.join(dir, "now.py"))).toEqual([
            { oldStart: 3, oldCount: 0, newStart: 4, newCount: 1 },
        ]);
        expect(fileHunks(path.join(dir, "ran.py"), path.join(dir, "ran.py"))).toEqual([]);
    });

    it("unquotes git's C-quoted paths", () => {
        expect(unquoteGitPath('"b/caf\\303\\251 \\"x\\"\\t\\\\.py"')).toBe('b/café "x"\t\\.py');
        expect(unquoteGitPath("b/plain.py")).toBe("b/plain.py");
    });
});
