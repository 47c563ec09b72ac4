// The engine a run's description names: Docker when it names none.
import { EngineDescription } from "../description";
import { dockerEngine } from "./docker";
import { Engine } from "./engine";
import { kubectlEngine } from "./kubectl";

export function engineFor(description: EngineDescription | undefined): Engine {
    return description?.kind === "kubectl" ? kubectlEngine(description) : dockerEngine;
}
