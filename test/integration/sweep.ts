// Jest globalSetup of the integration tests: prepares the machine (../testEnvironment.ts) when npm test has not,
// then removes what earlier test runs left when their process was killed (a CI timeout, a Ctrl-C): Docker
// objects of stacks named itest-*-<pid> whose process is gone. Each test file destroys its own stacks even when
// it fails; this catches the runs that could not.
import { labelledObjects, removeObjects } from "../../components/stacks/recovery";
import { processGone } from "../../components/stacks/stackLocks";
import { ensureEngine } from "../testEnvironment";

export default function sweep(): void {
    ensureEngine();
    const stale = (["container", "volume", "network"] as const)
        .flatMap((kind) => labelledObjects(kind, "coverage-spy"))
        .filter((o) => {
            const pid = /^itest-[a-z-]+?-(\d+)(-|$)/.exec(o.stack)?.[1];
            return pid !== undefined && processGone(Number(pid));
        });
    for (const removed of removeObjects(stale))
        process.stderr.write(`[coverage-spy] removed ${removed}, left by a killed test run\n`);
}
