import * as fs from "fs";
import * as path from "path";
import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";
import { ScriptService, testRunDescription } from "../../components/testRun/testRunScript";
import { tempDir } from "./fixtures";
import { runnerProgram, scriptService } from "./runnerProgram";
import { runProgram } from "./scriptDocker";

jest.setTimeout(60_000);

const TEST_RUN = runnerProgram("testRunMain");

/**
 * A stand-in `docker` whose calls meet, as FAKE_MEET says: "cp" (every service's copy) or "inspect" (every service's
 * state after the suite). Each such call marks that it started, then
 * goes on only once every call it meets has started too. Calls made one after the other never meet: the first gives
 * up after 10 s and fails, which fails the run. Every call is logged.
 */
const MEETING_DOCKER = `#!/bin/bash
state=$FAKE_DOCKER_STATE
name=\${@: -1}
printf '%s\\n' "$*" >> "$state/calls.log"
# meet MARK WAITED [COUNT]: marks MARK, then waits until COUNT (1) files match the pattern WAITED.
meet() {
  touch "$state/$1"
  local _
  for _ in $(seq 200); do
    # shellcheck disable=SC2206
    local found=($state/$2)
    [ -e "\${found[0]}" ] && [ "\${#found[@]}" -ge "\${3:-1}" ] && return 0
    sleep 0.05
  done
  echo "fake docker: $1 met nothing" >&2
  return 1
}
case "$1" in
  inspect)
    # Only the look after the suite (its state with the exit code), not the readiness wait's, one service at a time.
    if [ "$FAKE_MEET" = inspect ] && [[ $3 == *ExitCode* ]]; then meet "inspect.$name" 'inspect.*' "$FAKE_COUNT" || exit 1; fi
    out=$3
    out=\${out//'{{.State.Running}}'/true}
    out=\${out//'{{.State.ExitCode}}'/0}
    out=\${out//'{{.State.OOMKilled}}'/false}
    printf '%s\\n' "$out" ;;
  cp)
    container=\${2%%:*}
    if [ "$FAKE_MEET" = cp ]; then meet "cp.$container" 'cp.*' "$FAKE_COUNT" || exit 1; fi
    mkdir -p "$3" && echo "print(1)" > "$3/app.py" ;;
esac
`;

function service(name: string): ScriptService {
    return scriptService(name, { stopGraceSeconds: 2 });
}

/** A test run of the services (ready once running) with a passing suite, its docker calls meeting as `meet` says. */
async function run(meet: string, names: string[]) {
    const dir = tempDir();
    const bin = path.join(dir, "bin");
    const state = path.join(dir, "state");
    fs.mkdirSync(bin);
    fs.mkdirSync(state);
    fs.writeFileSync(path.join(bin, "docker"), MEETING_DOCKER, { mode: 0o755 });
    const runDir = path.join(dir, "run");
    const description = testRunDescription(
        {
            runDir,
            testWorkingDir: dir,
            testTimeoutSeconds: 60,
            testCommand: "true",
            services: names.map(service),
        },
        {},
    );
    const result = await runProgram(TEST_RUN, {
        PATH: `${bin}:${process.env.PATH}`,
        FAKE_DOCKER_STATE: state,
        FAKE_MEET: meet,
        FAKE_COUNT: String(names.length),
        [TEST_RUN_VARIABLE]: JSON.stringify(description),
    });
    return { result, runDir };
}

describe("the test run's docker calls that do not wait for one another (components/testRun/runner)", () => {
    it("asks every service whether it still runs at once, after the suite", async () => {
        const { result } = await run("inspect", ["api", "db", "web"]);
        expect(result.stderr).not.toContain("met nothing");
        expect(result.status).toBe(0);
    });

    it("copies every measured service's source at once", async () => {
        const { result, runDir } = await run("cp", ["api", "web"]);
        expect(result.stderr).not.toContain("met nothing");
        expect(result.status).toBe(0);
        expect(fs.existsSync(path.join(runDir, "sources", "api", "app.py"))).toBe(true);
        expect(fs.existsSync(path.join(runDir, "sources", "web", "app.py"))).toBe(true);
    });
});
