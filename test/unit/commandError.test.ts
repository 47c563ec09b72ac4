import { cliErrorText } from "../../cli/output/commandError";

describe("the CLI's error out of the Automation API's report", () => {
    it("keeps the CLI's error lines, once, without the command line and the dump around them", () => {
        const report = [
            "code: -2",
            " stdout: ",
            " stderr: Command failed with exit code 1: pulumi up --yes --skip-preview --stack s --non-interactive",
            'error: parsing time "now" as "2006-01-02T15:04:05Z07:00": cannot parse "now" as "2006"',
            " err?: Error: Command failed with exit code 1: pulumi up --yes --skip-preview --stack s --non-interactive",
            'error: parsing time "now" as "2006-01-02T15:04:05Z07:00": cannot parse "now" as "2006"',
            "",
        ].join("\n");
        expect(cliErrorText(report)).toBe(
            'parsing time "now" as "2006-01-02T15:04:05Z07:00": cannot parse "now" as "2006"',
        );
    });

    it("leaves any other text as it is", () => {
        expect(cliErrorText("coverage-spy: something clear")).toBe("coverage-spy: something clear");
        const noErrorLine = "code: 1\n stdout: x\n stderr: y\n err?: z";
        expect(cliErrorText(noErrorLine)).toBe(noErrorLine);
    });
});
