import { EngineEvent } from "@pulumi/pulumi/automation";
import { UpdateReport, formatDiagnostics } from "../../cli/output/updateReport";

const STACK_URN = "urn:pulumi:dev::coverage-spy::pulumi:pulumi:Stack::coverage-spy-dev";
const COMPONENT_URN = "urn:pulumi:dev::coverage-spy::coverage-spy:index:CoverageSpyStack::coverage";

function diagnostic(urn: string, severity: "error" | "warning" | "info#err", message: string): EngineEvent {
    return { sequence: 0, timestamp: 0, diagnosticEvent: { urn, severity, message, color: "never" } };
}

describe("UpdateReport", () => {
    it("streams the progress without the engine's Diagnostics block, in whatever chunks it comes", () => {
        let out = "";
        const report = new UpdateReport((text) => (out += text));
        const engine =
            "Updating (dev):\n\n + created\nDiagnostics:\n  x (y):\n    error: boom\n\n      detail\nResources:\n    + 1 created\n\nDuration: 3s\n";
        for (let i = 0; i < engine.length; i += 7) report.onOutput(engine.slice(i, i + 7));
        report.summary();
        expect(out).toBe("Updating (dev):\n\n + created\nResources:\n    + 1 created\n\nDuration: 3s\n");
    });

    it("says each message once, warnings first, the causes last and without the generic 'update failed'", () => {
        const report = new UpdateReport(() => undefined);
        const cause = "invalid coverage-spy input:\n  - failUnder must be a number from 0 to 100, got 120\n";
        report.onEvent(diagnostic(COMPONENT_URN, "error", cause));
        report.onEvent(diagnostic(STACK_URN, "error", cause));
        report.onEvent(diagnostic(STACK_URN, "error", "update failed"));
        report.onEvent(diagnostic(STACK_URN, "warning", "compose: build-only service skipped"));
        report.onEvent(diagnostic(COMPONENT_URN, "info#err", "test output on stderr"));
        const summary = report.summary();
        expect(summary).toEqual([
            { severity: "warning", resource: "", message: "compose: build-only service skipped" },
            { severity: "error", resource: "coverage", message: cause.trimEnd() },
        ]);
        expect(formatDiagnostics(summary)).toBe(
            [
                "[coverage-spy] warning: compose: build-only service skipped",
                "[coverage-spy] error (coverage): invalid coverage-spy input:",
                "    - failUnder must be a number from 0 to 100, got 120",
            ].join("\n"),
        );
    });

    it("keeps the generic error when it is the only one", () => {
        const report = new UpdateReport(() => undefined);
        report.onEvent(diagnostic(STACK_URN, "error", "update failed"));
        expect(report.summary()).toEqual([{ severity: "error", resource: "", message: "update failed" }]);
    });

    it("says what to do when Docker has no network address pool left", () => {
        const text = formatDiagnostics([
            {
                severity: "error",
                resource: "coverage-network",
                message:
                    "Unable to create network: could not find an available, non-overlapping IPv4 address pool among the defaults",
            },
        ]);
        expect(text).toContain(
            "hint: Docker has no network address pool left: every coverage stack that is up holds a bridge network.",
        );
        expect(text).toContain("npm run coverage:prune");
    });
});
