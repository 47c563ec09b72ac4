import * as pulumi from "@pulumi/pulumi";
import { errorOf, installMockEngine, loggedDuring, valueOf } from "../mockEngine";
import { fakeDockerOnPath, tempDir } from "../fixtures";
import {
    COMMAND,
    CONTAINER,
    NETWORK,
    PARENT,
    VOLUME,
    declarationsSettled,
    labelMap,
    parentNamed,
    planOf,
    stepArgs,
} from "./stepInputs";

// A create takes a while, so that a resource declared without waiting for another registers before that one exists.
const engine = installMockEngine({
    createDelayMs: { [CONTAINER]: 60, [COMMAND]: 60 },
    exitCodes: { "badspy-spy-install": 5, "badprep-prepare": 4 },
});
const ENGINE_IMAGES = {
    "shop:prod": '["PATH=/usr/bin"]',
    "worker:prod": '["PATH=/usr/bin"]',
    "postgres:prod": '["PATH=/usr/bin"]',
    "registry.example/team/spy:1": '["PATH=/usr/bin"]',
};
fakeDockerOnPath(ENGINE_IMAGES);

// Imported after the mocks are in place.
/* eslint-disable @typescript-eslint/no-require-imports -- an import is hoisted above installMockEngine */
const { prepareRun } =
    require("../../../components/stack/prepareRun") as typeof import("../../../components/stack/prepareRun");
/* eslint-enable @typescript-eslint/no-require-imports */

/** What the test hands prepareRun to make its input errors: recognisable as the caller's. */
class CallerInputError extends Error {}
const inputError = (message: string) => new CallerInputError(message);

/** prepareRun of `args` under a parent named `name`. */
function prepare(name: string, args = stepArgs(tempDir())) {
    const plan = planOf(args);
    const parent = parentNamed(name);
    return { plan, parent, prepared: prepareRun(parent, name, plan, inputError) };
}

/**
 * The error an output fails with, once every promise of it settled: the runtime says a failed output's rejected
 * "known" and "secret" promises as unhandled (how it fails the update), which would fail the next test here.
 */
async function failureOf(output: pulumi.Output<unknown>): Promise<Error> {
    const parts = output as unknown as { isKnown: Promise<boolean>; isSecret: Promise<boolean> };
    await Promise.allSettled([parts.isKnown, parts.isSecret]);
    return errorOf(output);
}

/** What `body` said through pulumi.log.info: (message, resource) pairs. */
async function infoSaid(body: () => Promise<void>): Promise<Array<[string, pulumi.Resource | undefined]>> {
    const { said } = await loggedDuring(body);
    return said.filter(([level]) => level === "info").map(([, message, resource]) => [message, resource]);
}

describe("prepareRun's resources", () => {
    let prepared: ReturnType<typeof prepare>["prepared"];
    beforeAll(async () => {
        ({ prepared } = prepare("prep", stepArgs(tempDir(), { keepRuns: 7 })));
        await valueOf(prepared.prepared);
    });

    it("declares the stack's data volume, network and spy volume, children of the component, with the plan's labels", async () => {
        expect(await valueOf(prepared.volume.urn)).toContain(`${PARENT}$${VOLUME}::prep-data`);
        expect(await valueOf(prepared.network.urn)).toContain(`${PARENT}$${NETWORK}::prep-net`);
        expect(engine.one(VOLUME, "prep-data").inputs.name).toBe("coverage-spy-unit-data");
        expect(engine.one(NETWORK, "prep-net").inputs.name).toBe("coverage-spy-unit-net");
        expect(engine.one(VOLUME, "prep-spy").inputs.name).toBe("coverage-spy-unit-spy");
        for (const labelled of [engine.one(VOLUME, "prep-data"), engine.one(NETWORK, "prep-net")])
            expect(labelMap(labelled.inputs.labels)).toEqual({
                "coverage-spy.project": "coverage-spy",
                "coverage-spy.stack": "unit",
            });
        expect(await valueOf(pulumi.output(prepared.spyFiles.volumeName))).toBe("coverage-spy-unit-spy");
    });

    it("fills the spy volume once the spy image is there, and prepares the data volume once the spy is installed", async () => {
        const build = engine.one(COMMAND, "prep-spy-image");
        const install = engine.one(CONTAINER, "prep-spy-install");
        const preparation = engine.one(CONTAINER, "prep-prepare");
        expect(install.registeredAt).toBeGreaterThan(build.createdAt!);
        expect(preparation.registeredAt).toBeGreaterThan(install.createdAt!);
        // What later steps wait for before reading the spy volume, and the preparation they start after.
        expect(await Promise.all(prepared.spyReady.map((r) => valueOf(r.urn)))).toEqual([
            expect.stringMatching(/::prep-spy-install$/),
        ]);
        expect(await valueOf(prepared.preparation.urn)).toMatch(/::prep-prepare$/);
    });

    it("resolves `prepared` once the install and the preparation both exited 0", async () => {
        expect(await valueOf(prepared.prepared)).toBe(0);
    });

    it("hands the one-shot containers of the run the spy image, the plan's labels and the stack's volumes", async () => {
        const { oneShot } = prepared;
        const install = engine.one(CONTAINER, "prep-spy-install");
        expect(oneShot.image).toBe(install.inputs.image);
        expect(oneShot.labels).toEqual({ "coverage-spy.project": "coverage-spy", "coverage-spy.stack": "unit" });
        expect(await valueOf(pulumi.output(oneShot.volumeName))).toBe("coverage-spy-unit-data");
        expect(oneShot.spyFiles).toBe(prepared.spyFiles);
        expect(oneShot.keepRuns).toBe(7);
    });
});

describe("prepareRun's failures", () => {
    it("fails `prepared` with the install's output when filling the spy volume exits non-zero", async () => {
        const { prepared } = prepare("badspy");
        expect((await failureOf(prepared.prepared)).message).toBe(
            "coverage-spy: filling the spy volume failed with exit code 5:\nsimulated failure output",
        );
    });

    it("fails `prepared` with the preparation's output when preparing the data volume exits non-zero", async () => {
        const { prepared } = prepare("badprep");
        expect((await failureOf(prepared.prepared)).message).toBe(
            "coverage-spy: preparing the data volume failed with exit code 4:\nsimulated failure output",
        );
    });

    it("refuses an image the engine lacks with the caller's input error, before declaring anything", async () => {
        const args = stepArgs(tempDir());
        args.services = [args.services[0], { name: "jobs", image: "gone:1", sourcePath: "/srv" }];
        const plan = planOf(args);
        const parent = parentNamed("noimage");
        const before = engine.resources.length;
        expect(() => prepareRun(parent, "noimage", plan, inputError)).toThrow(CallerInputError);
        expect(() => prepareRun(parent, "noimage", plan, inputError)).toThrow(
            /service jobs: image gone:1 is not in the local Docker engine; build or load it first/,
        );
        await declarationsSettled();
        expect(engine.resources.slice(before).filter((r) => r.type !== PARENT)).toEqual([]);
    });
});

describe("prepareRun's spy image", () => {
    it("builds its own spy image when the engine lacks it, and says so on the component", async () => {
        let made: ReturnType<typeof prepare> | undefined;
        const said = await infoSaid(async () => {
            made = prepare("cold");
            await valueOf(made.prepared.prepared);
        });
        const tag = made!.plan.spyImage.image;
        expect(engine.one(COMMAND, "cold-spy-image").inputs.triggers).toEqual([tag, "missing"]);
        expect(said).toEqual([[expect.stringContaining(`building the spy image ${tag}`), made!.parent]]);
        expect(engine.one(CONTAINER, "cold-spy-install").inputs.image).toBe(tag);
    });

    it("builds nothing when the engine holds its own spy image (the build's trigger says so), and says nothing", async () => {
        const path = process.env.PATH;
        try {
            const tag = planOf(stepArgs(tempDir())).spyImage.image;
            fakeDockerOnPath({ ...ENGINE_IMAGES, [tag]: '["PATH=/usr/bin"]' });
            const said = await infoSaid(async () => {
                await valueOf(prepare("warm").prepared.prepared);
            });
            expect(engine.one(COMMAND, "warm-spy-image").inputs.triggers).toEqual([tag, "present"]);
            expect(said).toEqual([]);
        } finally {
            process.env.PATH = path;
        }
    });

    it("uses a spy image the user names as it is: no build, the install runs it", async () => {
        const { prepared } = prepare("named", { ...stepArgs(tempDir()), spyImage: "registry.example/team/spy:1" });
        await valueOf(prepared.prepared);
        expect(engine.ofType(COMMAND).filter((c) => c.name.startsWith("named-"))).toEqual([]);
        expect(engine.one(CONTAINER, "named-spy-install").inputs.image).toBe("registry.example/team/spy:1");
        expect(prepared.oneShot.image).toBe("registry.example/team/spy:1");
    });
});

describe("prepareRun with a service it does not measure", () => {
    it("configures coverage for, and hands the harvest, the measured services only", async () => {
        const args = stepArgs(tempDir());
        args.services = [...args.services, { name: "db", image: "postgres:prod", instrument: false }];
        const { prepared } = prepare("mixed", args);
        await valueOf(prepared.prepared);
        expect(prepared.oneShot.services).toEqual([
            { name: "shop", sourcePath: "/app" },
            { name: "worker", sourcePath: "/srv/worker" },
        ]);
        const coveragerc = (engine.one(CONTAINER, "mixed-spy-install").inputs.command as string[]).at(-1)!;
        expect(coveragerc).toContain("source =\n    /app\n    /srv/worker\n");
    });
});
