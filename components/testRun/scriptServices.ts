import { ServiceArgs } from "../args";
import { serviceUrlEnvName, stackObjectName } from "../naming";
import { DEFAULT_STOP_GRACE_SECONDS } from "../service/instrumentedService";
import { ScriptService } from "./testRunScript";

export const DEFAULT_READINESS_TIMEOUT_SECONDS = 60;

/** What the test-run script needs of each service, with the defaults applied. */
export function scriptServices(services: ServiceArgs[], stack: string, hasUrl: (name: string) => boolean): ScriptService[] {
    return services.map((s) => ({
        name: s.name,
        containerName: stackObjectName(stack, s.name),
        sourcePath: s.sourcePath,
        urlEnvName: hasUrl(s.name) ? serviceUrlEnvName(s.name) : undefined,
        readinessPath: s.readinessPath ?? "/",
        readinessTimeoutSeconds: s.readinessTimeoutSeconds ?? DEFAULT_READINESS_TIMEOUT_SECONDS,
        hasHealthcheck: s.healthcheck !== undefined,
        stopGraceSeconds: s.stopGraceSeconds ?? DEFAULT_STOP_GRACE_SECONDS,
    }));
}
