import { EngineKind } from "./engineKind";
import { localEngine } from "./local/localEngine";
import { remoteEngine } from "./remote/remoteEngine";

/** The engine a run uses, local or remote (the `remoteEngine` option, resolved), for its report folder. */
export function runEngine(options: { remoteEngine: boolean; reportDir: string; serviceHost: string }): EngineKind {
    return options.remoteEngine ? remoteEngine(options.reportDir, options.serviceHost) : localEngine(options.reportDir);
}
