import * as pulumi from "@pulumi/pulumi";
import { LIB_DIR, RCFILE, SITE_DIR, spyRunEnvironment } from "../shared/layout";
import { SpyFileMounts, SpySource, spyFileMounts } from "../engine/spyFiles";

/** What measuring a service adds to its container: nothing else of coverage-spy reaches it. */
export interface Instrumentation {
    runId: string;
    /** The spy's files, mounted read-only: host folders or the spy volume. */
    spyFiles: SpySource;
    /** The coverage-data volume. */
    volumeName: pulumi.Input<string>;
    /** The image's own PYTHONPATH ("" when it has none). */
    imagePythonPath: pulumi.Input<string>;
}

/**
 * The whole of coverage-spy's footprint in a service's environment: three variables. PYTHONPATH puts
 * sitecustomize.py and coverage.py first and keeps the app's own entries (the user's PYTHONPATH, else the
 * image's) after them.
 */
export function spyEnvironment(serviceName: string, runId: string, appPythonPath: string): Record<string, string> {
    return {
        PYTHONPATH: [SITE_DIR, LIB_DIR, appPythonPath].filter((p) => p !== "").join(":"),
        COVERAGE_PROCESS_START: RCFILE,
        ...spyRunEnvironment(runId, serviceName),
    };
}

/** The spy's read-only files in a service: its assets, coverage.py and the generated config. */
export function serviceSpyFiles(source: SpySource): SpyFileMounts {
    return spyFileMounts(source, ["assets", "lib", "config"]);
}
