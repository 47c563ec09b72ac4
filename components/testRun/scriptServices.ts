import { ResolvedService } from "../options/resolveArgs";
import { serviceUrlEnvName, stackObjectName } from "../naming";
import { ScriptService } from "./testRunScript";

/** What the test-run script needs of each service. */
export function scriptServices(
    services: ResolvedService[],
    stack: string,
    hasUrl: (name: string) => boolean,
): ScriptService[] {
    return services.map((s) => ({
        name: s.name,
        containerName: stackObjectName(stack, s.name),
        sourcePath: s.sourcePath,
        urlEnvName: hasUrl(s.name) ? serviceUrlEnvName(s.name) : undefined,
        readinessPath: s.readinessPath,
        readinessTimeoutSeconds: s.readinessTimeoutSeconds,
        hasHealthcheck: s.healthcheck !== undefined,
        stopGraceSeconds: s.stopGraceSeconds,
    }));
}
