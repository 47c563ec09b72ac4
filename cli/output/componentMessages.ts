import { EngineEvent } from "@pulumi/pulumi/automation";
import { COVERAGE_SPY_STACK_TYPE } from "../../components/coverageSpyStack";

/**
 * What the component said to the person running the update (info messages of a CoverageSpyStack: the run's
 * formatted summary, a notice that the spy image was built), each once, in the order said. The engine's own
 * "Diagnostics:" block, where the plain CLI shows them, is left out of this command's output: they are said again
 * at the end, before the warnings and causes.
 */
export class ComponentMessages {
    readonly messages: string[] = [];

    readonly onEvent = (event: EngineEvent): void => {
        const diag = event.diagnosticEvent;
        if (!diag || diag.severity !== "info" || diag.ephemeral || !isComponentUrn(diag.urn)) return;
        const message = diag.message.replace(/\s+$/, "");
        if (!this.messages.includes(message)) this.messages.push(message);
    };
}

/** Whether a URN names a CoverageSpyStack (its type is the last of the type chain: parent$child). */
function isComponentUrn(urn: string | undefined): boolean {
    const types = urn?.split("::")[2] ?? "";
    return types.split("$").pop() === COVERAGE_SPY_STACK_TYPE;
}
