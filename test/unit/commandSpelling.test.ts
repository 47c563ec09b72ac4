import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatDiagnostics } from "../../cli/output/updateReport";
import { NPM_SCRIPTS, PACKAGE_COMMAND, commandSpelling } from "../../cli/project/commandSpelling";
import { describeReportFolder } from "../../cli/project/reportFolder";
import { explainLock } from "../../cli/recovery/stackLocks";
import { tempDir } from "./fixtures";

const NO_POOL = "Unable to create network: could not find an available, non-overlapping IPv4 address pool";

describe("the commands advice names, spelt as the user runs them", () => {
    it("in a user's project: npx coverage-spy COMMAND; in this repository: its npm scripts", () => {
        expect(commandSpelling(false)("unlock", "--stack ci")).toBe("npx coverage-spy unlock --stack ci");
        expect(commandSpelling(false)("up")).toBe("npx coverage-spy up");
        expect(commandSpelling(true)("unlock", "--stack ci")).toBe("npm run coverage:unlock -- --stack ci");
        expect(commandSpelling(true)("up")).toBe("npm run coverage");
    });

    it("in the lock error, the report folder's note and the hints of an update's causes", () => {
        const locks = tempDir();
        fs.writeFileSync(
            path.join(locks, "a.json"),
            JSON.stringify({ pid: 2 ** 22 + 1, username: "u", hostname: os.hostname(), timestamp: "t" }),
        );
        expect(explainLock("the stack is currently locked", "ci", locks, PACKAGE_COMMAND)).toContain(
            "Clear the stale lock with:\n  npx coverage-spy unlock --stack ci",
        );

        const project = tempDir();
        fs.mkdirSync(path.join(project, "reports", "ci"), { recursive: true });
        expect(describeReportFolder(project, "ci", false, PACKAGE_COMMAND)).toContain(
            "npx coverage-spy destroy --stack ci --remove-reports removes them",
        );

        const causes = [{ severity: "error" as const, resource: "coverage-network", message: NO_POOL }];
        const hint = formatDiagnostics(causes, PACKAGE_COMMAND);
        expect(hint).toContain("`npx coverage-spy destroy --stack NAME` frees one, `npx coverage-spy prune` lists");
        expect(formatDiagnostics(causes, NPM_SCRIPTS)).toContain(
            "`npm run coverage:destroy -- --stack NAME` frees one",
        );
    });
});
