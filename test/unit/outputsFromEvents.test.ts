import { EngineEvent, OutputMap, Stack } from "@pulumi/pulumi/automation";
import { OutputsFromEvents, answerReadBackFromEvents } from "../../cli/output/outputsFromEvents";

function outputsEvent(type: string, outputs: Record<string, unknown>): EngineEvent {
    return {
        sequence: 1,
        timestamp: 0,
        resOutputsEvent: {
            metadata: {
                op: "same",
                urn: `urn:pulumi:s::p::${type}::x`,
                type,
                provider: "",
                new: { type, urn: "", id: "", parent: "", inputs: {}, outputs, provider: "" },
            },
        },
    } as EngineEvent;
}

describe("the stack's outputs from the update's events", () => {
    it("takes the root Stack resource's outputs, and no other resource's", () => {
        const events = new OutputsFromEvents();
        expect(events.outputMap()).toBeUndefined();
        events.onEvent(outputsEvent("docker:index/container:Container", { name: "c" }));
        expect(events.outputMap()).toBeUndefined();
        events.onEvent(outputsEvent("pulumi:pulumi:Stack", { runId: "r1", coverage: { totals: { percent: 94.2 } } }));
        expect(events.outputMap()).toEqual({
            runId: { value: "r1", secret: false },
            coverage: { value: { totals: { percent: 94.2 } }, secret: false },
        });
    });

    it("gives nothing when an output is a secret, which events show masked", () => {
        const events = new OutputsFromEvents();
        events.onEvent(outputsEvent("pulumi:pulumi:Stack", { token: "[secret]", nested: { ok: 1 } }));
        expect(events.outputMap()).toBeUndefined();
    });

    it("answers the read-back after an update from them, and falls back to the CLI without them", async () => {
        const cli: string[] = [];
        const stack = {
            outputs: (): Promise<OutputMap> => {
                cli.push("outputs");
                return Promise.resolve({ fromCli: { value: 1, secret: false } });
            },
            info: () => {
                cli.push("info");
                return Promise.resolve(undefined);
            },
        } as unknown as Stack;
        const events = new OutputsFromEvents();
        answerReadBackFromEvents(stack, events);
        expect(await stack.outputs()).toEqual({ fromCli: { value: 1, secret: false } });
        events.onEvent(outputsEvent("pulumi:pulumi:Stack", { runId: "r2" }));
        expect(await stack.outputs()).toEqual({ runId: { value: "r2", secret: false } });
        await stack.info();
        await stack.info();
        expect(cli).toEqual(["outputs", "info"]);
    });
});
