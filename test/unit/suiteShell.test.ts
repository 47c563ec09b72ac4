import * as fs from "fs";
import * as path from "path";
import { suiteShell } from "../../components/testRun/runner/suite";
import { tempDir } from "./fixtures";

describe("the shell that runs the test command", () => {
    it("is the first bash on PATH", () => {
        const [empty, first, second] = [tempDir(), tempDir(), tempDir()];
        for (const dir of [first, second]) fs.writeFileSync(path.join(dir, "bash"), "#!/bin/sh\n", { mode: 0o755 });
        expect(suiteShell([empty, first, second].join(path.delimiter))).toBe(path.join(first, "bash"));
    });

    it("is /bin/sh where PATH has no bash (a bash that cannot run does not count)", () => {
        const dir = tempDir();
        fs.writeFileSync(path.join(dir, "bash"), "not a program\n", { mode: 0o644 });
        expect(suiteShell(dir)).toBe("/bin/sh");
        expect(suiteShell(undefined)).toBe(suiteShell(process.env.PATH));
        expect(suiteShell("")).toBe("/bin/sh");
    });
});
