import * as fs from "fs";
import * as path from "path";
import { Service } from "../../components/options/args";
import { REPO_ROOT } from "./engine";
import { ExecutedLines } from "./oracle";
import { copyExampleStack, exampleTestCommand, executedLines } from "./exampleStacks";
import { referenceRun } from "./serviceOracle";
import { destroyStack, runStack, stackRun, StackRun } from "./stackRun";

jest.setTimeout(10 * 60 * 1000);

/** The example stacks' secrets (stacks/Pulumi.example-django.yaml holds them encrypted), to look for in plain text. */
const DJANGO_SECRETS = {
    DB_PASSWORD: "library-pw-1",
    POSTGRES_PASSWORD: "library-pw-1",
    DJANGO_SECRET_KEY: "example-django-not-a-real-key",
};

interface Example {
    name: string;
    /** Measured processes per service: each saved one data file, none lost. */
    processes: Record<string, number>;
    /** What the reference sets in plain text that the stack gives as secrets. */
    extraEnv?: Record<string, Record<string, string>>;
    /** More `[run]` settings for the reference. */
    runSettings?: string[];
}

const EXAMPLES: Example[] = [
    // uvicorn's parent and resource tracker, and 4 workers started by multiprocessing's spawn.
    { name: "fastapi", processes: { api: 6 } },
    // manage.py wait_for_db and migrate, then gunicorn's master and 3 forked workers.
    {
        name: "django",
        processes: { web: 6 },
        extraEnv: {
            db: { POSTGRES_PASSWORD: DJANGO_SECRETS.POSTGRES_PASSWORD },
            web: { DB_PASSWORD: DJANGO_SECRETS.DB_PASSWORD, DJANGO_SECRET_KEY: DJANGO_SECRETS.DJANGO_SECRET_KEY },
        },
    },
    // gunicorn's master and 2 gevent workers, the app in greenlets. The reference uses the core the spy picks on 3.13:
    // sysmon follows greenlets exactly, while CTracer needs concurrency = gevent and even then drops lines after
    // gevent.joinall now and then (https://github.com/nedbat/coveragepy/issues/841).
    { name: "flask-gevent", processes: { web: 3 }, runSettings: ["core = sysmon"] },
    // gunicorn's master and 2 workers; celery's main process and 2 forked pool processes.
    { name: "celery", processes: { web: 3, worker: 3 } },
];

describe.each(EXAMPLES)("the $name example, measured from its unchanged images", (example) => {
    const stack = `itest-example-${example.name}-${process.pid}`;
    let run: StackRun;
    let output: string;
    let reference: Record<string, ExecutedLines>;
    let services: Service[];

    beforeAll(() => {
        services = copyExampleStack(example.name, stack);
        const up = runStack("up", stack);
        output = up.output;
        run = stackRun({ stack, service: services[0], testCommand: "" }, up);
        const testCommand = exampleTestCommand(example.name);
        reference = referenceRun({
            name: `itest-reference-${example.name.replace(/[^a-z]/g, "")}-${process.pid}`,
            services,
            extraEnv: example.extraEnv,
            runSettings: example.runSettings,
            testCommand,
        });
    });

    afterAll(() => destroyStack(stack));

    it("passes its suite and saves the data of every process it started, losing none", () => {
        // A red suite shows its own output: the report folder holding tests.log goes with the stack.
        const log = path.join(run.runDir, "tests.log");
        expect({
            succeeded: run.summary.tests.succeeded,
            log: run.summary.tests.succeeded ? "" : fs.existsSync(log) ? fs.readFileSync(log, "utf8").slice(-6000) : "",
        }).toEqual({ succeeded: true, log: "" });
        expect(run.summary.lostProcesses).toEqual([]);
        for (const [service, count] of Object.entries(example.processes)) {
            expect({ service, dataFiles: run.summary.services[service].dataFiles }).toEqual({
                service,
                dataFiles: count,
            });
            expect(run.summary.services[service].processes).toEqual({ ended: count, interrupted: 0, lost: 0 });
        }
        // Services it does not measure are not in the totals.
        expect(Object.keys(run.summary.services).sort()).toEqual(Object.keys(example.processes).sort());
    });

    it("measures exactly the lines coverage.py measures on its own, file by file, service by service", () => {
        for (const service of Object.keys(example.processes)) {
            expect({ service, lines: executedLines(run.summary, service) }).toEqual({
                service,
                lines: reference[service],
            });
        }
    });

    if (example.name === "django") {
        it("passes its secrets to the containers and writes them nowhere: not in output, reports or state", () => {
            // The app could not have answered without them: its database password and secret key.
            expect(run.summary.tests.passed).toBeGreaterThan(0);
            const written = [
                output,
                JSON.stringify(run.summary),
                ...filesUnder(path.dirname(path.dirname(run.runDir))),
                ...filesUnder(path.join(REPO_ROOT, ".state")),
            ].join("\n");
            for (const secret of Object.values(DJANGO_SECRETS)) expect(written.includes(secret)).toBe(false);
        });
    }
});

/** The text of every file under a folder. */
function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "latin1"));
}
