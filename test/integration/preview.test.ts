import { devStackConfig, labelledObjects, removeStackConfig, writeStackConfig } from "./engine";
import { runStack } from "./stackRun";

const STACK = `itest-preview-${process.pid}`;

jest.setTimeout(5 * 60 * 1000);

describe("bad input, through the real engine", () => {
    afterAll(() => {
        runStack("destroy", STACK);
        removeStackConfig(STACK);
    });

    it("fails preview and up with every problem named, and creates nothing", () => {
        const config = devStackConfig();
        const services = config["coverage-spy:services"] as Array<Record<string, unknown>>;
        writeStackConfig(STACK, {
            ...config,
            "coverage-spy:services": [{ ...services[0], name: "demo app", ports: [{ internal: 0 }] }],
            "coverage-spy:failUnder": 120,
            "coverage-spy:maxDrop": 1,
            "coverage-spy:coverage": { snapshotSignal: "SIGTERM" },
        });
        for (const action of ["preview", "up"] as const) {
            const run = runStack(action, STACK);
            expect(run.status).toBe(1);
            expect(run.output).toContain('services[0].name "demo app" is not a valid Docker name');
            expect(run.output).toContain("services[0].ports[0].internal must be a whole number from 1 to 65535, got 0");
            expect(run.output).toContain("failUnder must be a number from 0 to 100, got 120");
            expect(run.output).toContain("maxDrop needs baseStack: the stack whose coverage it compares with");
            expect(run.output).toContain(
                'coverage.snapshotSignal must be "off", SIGUSR1, SIGUSR2, SIGRTMIN+n or SIGRTMAX-n',
            );
        }
        expect(labelledObjects("container", STACK)).toEqual([]);
        expect(labelledObjects("volume", STACK)).toEqual([]);
        expect(labelledObjects("network", STACK)).toEqual([]);
    });

    it("rejects an unknown config key (a typo) at preview", () => {
        writeStackConfig(STACK, { ...devStackConfig(), "coverage-spy:testComand": "pytest" });
        const run = runStack("preview", STACK);
        expect(run.status).toBe(1);
        expect(run.output).toContain('config: unknown key "coverage-spy:testComand"');
    });

    it("rejects a missing image (a service's or the spy image named) before anything is created, even on up", () => {
        const config = devStackConfig();
        const services = config["coverage-spy:services"] as Array<Record<string, unknown>>;
        writeStackConfig(STACK, {
            ...config,
            "coverage-spy:services": [{ ...services[0], image: "coverage-spy/no-such-image:1" }],
            "coverage-spy:spyImage": "coverage-spy/no-such-spy:1",
        });
        const run = runStack("up", STACK);
        expect(run.status).toBe(1);
        expect(run.output).toContain(
            "service demo: image coverage-spy/no-such-image:1 is not in the local Docker engine; build or load it first",
        );
        expect(run.output).toContain("spyImage: image coverage-spy/no-such-spy:1 is not in the local Docker engine");
        expect(run.output).not.toContain("error serializing");
        expect(run.output).not.toMatch(/\n\s+at /);
        for (const kind of ["container", "volume", "network"] as const)
            expect(labelledObjects(kind, STACK)).toEqual([]);
    });

    it("rejects service names that coverage-spy's own containers use", () => {
        const config = devStackConfig();
        const services = config["coverage-spy:services"] as Array<Record<string, unknown>>;
        writeStackConfig(STACK, { ...config, "coverage-spy:services": [{ ...services[0], name: "harvester" }] });
        const run = runStack("up", STACK);
        expect(run.status).toBe(1);
        expect(run.output).toContain(
            'services[0].name "harvester" is taken by coverage-spy\'s own harvester container',
        );
        for (const kind of ["container", "volume", "network"] as const)
            expect(labelledObjects(kind, STACK)).toEqual([]);
    });
});
