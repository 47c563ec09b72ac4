import { LABEL_PROJECT, LABEL_STACK, stackObjectName } from "../../components/shared/naming";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "./demoExpectations";
import { docker } from "./engine";
import { StackInput, demoService, destroyStack, upStack } from "./stackRun";

jest.setTimeout(15 * 60 * 1000);

/** Room for the runs/ folders and a few records, not for coverage.py's SQLite data files. */
const VOLUME_SIZE = "64k";

describe("a data volume that fills up during the run", () => {
    const input: StackInput = {
        stack: `itest-full-${process.pid}`,
        service: demoService(DEMO_IMAGE),
        testCommand: `${DEMO_TEST_COMMAND} -k health -k price`,
        lostProcesses: "warn",
    };
    const volume = stackObjectName(input.stack, "data");
    const keeper = stackObjectName(input.stack, "volume-keeper");
    const labels = ["--label", `${LABEL_PROJECT}=coverage-spy`, "--label", `${LABEL_STACK}=${input.stack}`];
    afterAll(() => {
        docker("rm", "--force", keeper);
        destroyStack(input.stack);
    });

    it("fails naming the full volume and its free space, not killed processes or the sourcePath", () => {
        // The stack's volume made beforehand, small: the engine hands the stack this one when it asks for its name.
        docker(
            "volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
            "--opt", `o=size=${VOLUME_SIZE}`, ...labels, volume,
        ); // prettier-ignore
        // A tmpfs volume lives while some container mounts it: this one keeps the services' data for the harvester.
        docker(
            "run", "--detach", "--name", keeper, ...labels, "--volume", `${volume}:/keep`,
            "coverage-spy/harvester:latest", "python3", "-c", "import signal; signal.pause()",
        ); // prettier-ignore
        const up = upStack(input);
        expect(up.status).not.toBe(0);
        expect(up.output).toMatch(
            new RegExp(
                `the data volume ${volume} \\(/opt/coverage-spy/data in the containers\\) is full: [\\d,]+ of 65,536` +
                    " bytes free; [1-9]\\d* process\\(es\\) could not save their coverage data there",
            ),
        );
        expect(up.output).toContain("Make room on the disk where the Docker engine keeps its volumes");
        for (const misleading of ["was killed", "were killed", "check the service's sourcePath", "saved no data"])
            expect(up.output).not.toContain(misleading);
    });
});
