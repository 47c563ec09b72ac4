import { DEMO_TEST_COMMAND } from "./demoExpectations";
import { StackRun, measureDemo } from "./stackRun";
import { ExecutedLines, referenceRun } from "./oracle";

jest.setTimeout(5 * 60 * 1000);

/**
 * The fidelity oracle: the same demo code and test suite, once on the host under plain `coverage run`
 * (in-process, coverage.py installed by pip: the reference) and once in a container through coverage-spy. The executed
 * lines of every
 * source file must be identical: any difference is a coverage-spy bug, not a tolerance.
 * The host's Python is 3.11, so the container side uses the bookworm image (Python 3.11) too.
 */
describe("fidelity: coverage-spy in a container against plain coverage run on the host", () => {
    let reference: ExecutedLines;
    let demo: StackRun;

    beforeAll(async () => {
        reference = await referenceRun(DEMO_TEST_COMMAND);
        demo = measureDemo(`itest-oracle-${process.pid}`, "coverage-spy/demo-app:bookworm", DEMO_TEST_COMMAND, "fail");
    });

    afterAll(() => demo?.cleanup());

    it("measures exactly the lines plain coverage.py measures, file by file", () => {
        const spied = Object.fromEntries(demo.summary.files.map((f) => [f.path, f.executedLines]));
        expect(Object.keys(reference).sort()).toEqual(Object.keys(spied).sort());
        expect(spied).toEqual(reference);
    });
});
