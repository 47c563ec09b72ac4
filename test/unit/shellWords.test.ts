import { spawnSync } from "child_process";
import { shellQuote, shownWord } from "../../components/shared/shell";

/** What a POSIX shell makes of `text` as one command line's arguments. */
function shellSplit(text: string): string[] {
    const out = spawnSync("sh", ["-c", `for a in ${text}; do printf '%s\\0' "$a"; done`], { encoding: "utf8" });
    return out.stdout.split("\0").slice(0, -1);
}

describe("values shown as a shell reads them", () => {
    const awkward = ["a b", "it's", "{{.Id}}", "$HOME", "*", "x;rm", 'say "hi"', "tab\there", "", "new\nline"];

    it("quotes what a shell would split, expand or glob, so pasting gives the value back", () => {
        for (const value of awkward) {
            expect(shownWord(value)).toBe(shellQuote(value));
            expect(shellSplit(shownWord(value))).toEqual([value]);
        }
    });

    it("leaves plain words as they are, as a reader would type them", () => {
        for (const value of ["kubectl", "deployment/web", "--namespace=coverage-spy-a", "user@host:22", "a,b+c%d"]) {
            expect(shownWord(value)).toBe(value);
            expect(shellSplit(shownWord(value))).toEqual([value]);
        }
    });
});
