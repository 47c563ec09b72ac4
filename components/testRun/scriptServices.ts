import { ResolvedService } from "../options/resolveArgs";
import { serviceUrlEnvName, stackObjectName } from "../shared/naming";
import { stopWaves } from "../service/dependencyOrder";
import { ScriptService } from "./testRunScript";

/** What the test-run script needs of each service. */
export function scriptServices(services: ResolvedService[], stack: string): ScriptService[] {
    const waves = stopWaves(services);
    return services.map((s) => ({
        name: s.name,
        containerName: stackObjectName(stack, s.name),
        sourcePath: s.instrument ? s.sourcePath : undefined,
        // The first published port is the service's URL.
        urlEnvName: s.ports.length > 0 ? serviceUrlEnvName(s.name) : undefined,
        readinessPath: s.readinessPath,
        readinessTimeoutSeconds: s.readinessTimeoutSeconds,
        readinessTcpPort: s.readinessTcpPort,
        hasHealthcheck: s.healthcheck !== undefined,
        stopGraceSeconds: s.stopGraceSeconds,
        stopWave: waves.get(s.name) ?? 0,
    }));
}
