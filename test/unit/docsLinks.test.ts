import * as fs from "fs";
import * as path from "path";

const REPO = path.join(__dirname, "..", "..");

/** The Markdown a reader of this repository starts from: the README, CONTRIBUTING.md and every page under docs/. */
function documentationFiles(): string[] {
    const docs = path.join(REPO, "docs");
    const pages = fs.existsSync(docs)
        ? fs
              .readdirSync(docs)
              .filter((f) => f.endsWith(".md"))
              .map((f) => path.join(docs, f))
        : [];
    return [path.join(REPO, "README.md"), path.join(REPO, "CONTRIBUTING.md"), ...pages];
}

/** Markdown without its fenced code blocks and inline code, where brackets are code, not links. */
function prose(markdown: string): string {
    return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Every inline link target `[text](target)` that is not an absolute URL or a mail address. */
function relativeLinks(markdown: string): string[] {
    return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1])
        .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2... */
function anchors(markdown: string): Set<string> {
    const seen = new Map<string, number>();
    const found = new Set<string>();
    const withoutFences = markdown.replace(/^```[\s\S]*?^```/gm, "");
    for (const match of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
        const slug = match[1]
            .toLowerCase()
            .replace(/[^\p{L}\p{N}\s_-]/gu, "")
            .replace(/\s/g, "-");
        const count = seen.get(slug) ?? 0;
        seen.set(slug, count + 1);
        found.add(count === 0 ? slug : `${slug}-${count}`);
    }
    return found;
}

/** The problem with one link from `file`, or undefined when its file (and heading, if named) exists. */
function brokenLink(file: string, target: string): string | undefined {
    const [filePart, anchor] = target.split("#", 2);
    const resolved = filePart === "" ? file : path.resolve(path.dirname(file), decodeURIComponent(filePart));
    if (!fs.existsSync(resolved)) return `${target}: no ${path.relative(REPO, resolved)}`;
    if (anchor === undefined || fs.statSync(resolved).isDirectory()) return undefined;
    if (!resolved.endsWith(".md")) return `${target}: an anchor into a file that is not Markdown`;
    return anchors(fs.readFileSync(resolved, "utf8")).has(anchor)
        ? undefined
        : `${target}: no heading #${anchor} in ${path.relative(REPO, resolved)}`;
}

describe("the documentation", () => {
    it.each(documentationFiles().map((f) => [path.relative(REPO, f), f]))("%s exists", (_name, file) => {
        expect(fs.existsSync(file)).toBe(true);
    });

    it.each(documentationFiles().map((f) => [path.relative(REPO, f), f]))(
        "%s links only to files and headings that exist",
        (_name, file) => {
            const markdown = fs.readFileSync(file, "utf8");
            const broken = relativeLinks(markdown)
                .map((target) => brokenLink(file, target))
                .filter((problem) => problem !== undefined);
            expect(broken).toEqual([]);
        },
    );

    it("keeps the README a front door: at most about 150 lines, with an index of the reference in docs/", () => {
        const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
        expect(readme.split("\n").length).toBeLessThanOrEqual(160);
        expect(relativeLinks(readme)).toEqual(expect.arrayContaining(["docs/README.md", "CONTRIBUTING.md"]));
    });

    it("indexes every page of docs/ in docs/README.md", () => {
        const index = relativeLinks(fs.readFileSync(path.join(REPO, "docs", "README.md"), "utf8")).map(
            (t) => t.split("#")[0],
        );
        const pages = fs.readdirSync(path.join(REPO, "docs")).filter((f) => f.endsWith(".md") && f !== "README.md");
        expect(pages.filter((p) => !index.includes(p))).toEqual([]);
    });
});
