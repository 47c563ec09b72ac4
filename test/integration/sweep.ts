// Jest globalSetup of the integration tests: prepares the machine (../testEnvironment.ts) when npm test has not,
// then removes what earlier test runs left when their process was killed (a CI timeout, a Ctrl-C): Docker
// objects of stacks named itest-*-<pid> whose process is gone. Each test file destroys its own stacks even when
// it fails; this catches the runs that could not.
import { LABEL_STACK } from "../../components/naming";
import { ensureEngine } from "../testEnvironment";
import { removeObjects } from "../../components/stacks/recovery";
import { spawnSync } from "child_process";

const KINDS = ["container", "volume", "network"] as const;

function stacksOf(kind: (typeof KINDS)[number]): Array<{ kind: (typeof KINDS)[number]; name: string; stack: string }> {
    const list = kind === "container" ? ["ps", "-a"] : [kind, "ls"];
    const result = spawnSync("docker", [...list, "--filter", `label=${LABEL_STACK}`, "--format", `{{.Name${kind === "container" ? "s" : ""}}} {{.Label "${LABEL_STACK}"}}`], { encoding: "utf8" });
    return result.stdout.trim().split("\n").filter((l) => l !== "").map((l) => {
        const [name, stack] = l.split(" ");
        return { kind, name, stack };
    });
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code !== "ESRCH";
    }
}

export default function sweep(): void {
    ensureEngine();
    const stale = KINDS.flatMap(stacksOf).filter((o) => {
        const pid = /^itest-[a-z-]+?-(\d+)(-|$)/.exec(o.stack)?.[1];
        return pid !== undefined && !alive(Number(pid));
    });
    for (const removed of removeObjects(stale)) process.stderr.write(`[coverage-spy] removed ${removed}, left by a killed test run\n`);
}
