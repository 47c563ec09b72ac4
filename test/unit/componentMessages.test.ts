import { EngineEvent } from "@pulumi/pulumi/automation";
import { ComponentMessages } from "../../cli/output/componentMessages";

const COMPONENT = "urn:pulumi:ci::shop::pulumi:pulumi:Stack$coverage-spy:index:CoverageSpyStack::coverage";
const CHILD =
    "urn:pulumi:ci::shop::pulumi:pulumi:Stack$coverage-spy:index:CoverageSpyStack$docker:index/container:Container::c";
const STACK = "urn:pulumi:ci::shop::pulumi:pulumi:Stack::shop-ci";

function diagnostic(urn: string, severity: string, message: string, ephemeral = false): EngineEvent {
    return {
        sequence: 1,
        timestamp: 1,
        diagnosticEvent: { urn, severity, message, ephemeral, color: "never" },
    } as EngineEvent;
}

describe("what the component said (ComponentMessages)", () => {
    it("keeps the info messages of a CoverageSpyStack, each once, in order, without trailing space", () => {
        const said = new ComponentMessages();
        for (const event of [
            diagnostic(COMPONENT, "info", "built the spy image\n"),
            diagnostic(COMPONENT, "info", "coverage-spy run r1\nTOTAL  80.0%\n"),
            diagnostic(COMPONENT, "info", "built the spy image\n"),
        ])
            said.onEvent(event);
        expect(said.messages).toEqual(["built the spy image", "coverage-spy run r1\nTOTAL  80.0%"]);
    });

    it("leaves out warnings and errors (said last, as causes), other resources' messages and progress", () => {
        const said = new ComponentMessages();
        for (const event of [
            diagnostic(COMPONENT, "warning", "a warning"),
            diagnostic(COMPONENT, "error", "an error"),
            diagnostic(CHILD, "info", "a container's message"),
            diagnostic(STACK, "info", "the program's own message"),
            diagnostic(COMPONENT, "info", "progress", true),
            { sequence: 2, timestamp: 2 } as EngineEvent,
        ])
            said.onEvent(event);
        expect(said.messages).toEqual([]);
    });
});
