import { EngineEvent } from "@pulumi/pulumi/automation";

/** Resource step timings from the engine's events: each step from its start to its outputs. */
export class StepTimings {
    private readonly started = Date.now();
    private firstStepAt?: number;
    private readonly open = new Map<string, number>();
    readonly steps: Array<{ name: string; type: string; op: string; ms: number }> = [];

    onEvent = (event: EngineEvent): void => {
        const now = Date.now();
        const pre = event.resourcePreEvent?.metadata;
        const done = event.resOutputsEvent?.metadata;
        if (pre) {
            this.firstStepAt ??= now;
            this.open.set(`${pre.urn}|${pre.op}`, now);
        } else if (done) {
            const began = this.open.get(`${done.urn}|${done.op}`);
            if (began !== undefined)
                this.steps.push({ name: done.urn.split("::").pop()!, type: done.type, op: done.op, ms: now - began });
        }
    };

    toJSON() {
        return {
            engineStartMs: (this.firstStepAt ?? Date.now()) - this.started,
            totalMs: Date.now() - this.started,
            steps: this.steps,
        };
    }
}
