import { failTheUpdate } from "../../components/gates/failTheUpdate";

describe("failTheUpdate", () => {
    let exitCode: typeof process.exitCode;
    let stderr: jest.SpyInstance;
    beforeEach(() => {
        exitCode = process.exitCode;
        process.exitCode = undefined;
        // Without an engine the error is written to stderr.
        stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    });
    afterEach(() => {
        process.exitCode = exitCode;
        stderr.mockRestore();
    });

    it.each([
        ["/usr/bin/node", "/home/u/shop/node_modules/@pulumi/pulumi/cmd/run/index.js"],
        ["/usr/bin/node", "/home/u/shop/node_modules/@pulumi/pulumi/cmd/run"],
        ["C:\\node.exe", "C:\\shop\\node_modules\\@pulumi\\pulumi\\cmd\\run\\index.js"],
    ])("fails the language host's program with its 'error already said' exit code (%s %s)", (node, runner) => {
        failTheUpdate("coverage-spy: the test suite failed (exit code 3)", undefined, [node, runner, "."]);
        expect(process.exitCode).toBe(32);
    });

    it("leaves the exit code of another process alone: an inline program runs in its caller's", () => {
        failTheUpdate("coverage-spy: the test suite failed (exit code 3)", undefined, [
            "/usr/bin/node",
            "/ci/driver.js",
        ]);
        expect(process.exitCode).toBeUndefined();
    });
});
