import * as pulumi from "@pulumi/pulumi";

/** A resource as the mocked engine saw it registered. */
export interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** Registration order, and the order in which the mocked create finished. */
    registeredAt: number;
    createdAt?: number;
}

export interface MockEngine {
    resources: Registered[];
    calls: Array<{ token: string; inputs: Record<string, unknown> }>;
    ofType(type: string): Registered[];
    one(type: string, namePart?: string): Registered;
}

export interface MockOptions {
    /** stdout of `docker image inspect` per image name (JSON list of K=V). */
    imageEnv?: Record<string, string>;
    /** Exit code of one-shot containers, by name part. */
    exitCodes?: Record<string, number>;
    /** Milliseconds a type's create takes, to prove ordering. */
    createDelayMs?: Record<string, number>;
    /** Outputs of other stacks, by fully qualified name, for StackReferences. */
    stackOutputs?: Record<string, Record<string, unknown>>;
}

/** Installs Pulumi mocks that record every resource and invoke; returns the recorder. */
export function installMockEngine(options: MockOptions = {}): MockEngine {
    let clock = 0;
    const engine: MockEngine = {
        resources: [],
        calls: [],
        ofType: (type) => engine.resources.filter((r) => r.type === type),
        one: (type, namePart) => {
            const found = engine.ofType(type).filter((r) => namePart === undefined || r.name.includes(namePart));
            if (found.length !== 1)
                throw new Error(`expected one ${type} named *${namePart ?? ""}*, found ${found.length}`);
            return found[0];
        },
    };
    // Not awaited: setMocks is async in name only (it installs the mocks before it returns and has nothing to wait
    // for), and the test modules call this at their top level, where nothing can be awaited.
    void pulumi.runtime.setMocks(
        {
            newResource: async (args) => {
                // The engine's inputs are untyped: each is read below as what the resource type takes.
                const inputs = args.inputs as Record<string, unknown>;
                const record: Registered = {
                    type: args.type,
                    name: args.name,
                    inputs,
                    registeredAt: clock++,
                };
                engine.resources.push(record);
                const delay = options.createDelayMs?.[args.type] ?? 0;
                if (delay > 0) await new Promise((r) => setTimeout(r, delay));
                record.createdAt = clock++;
                const state: Record<string, unknown> = { ...inputs };
                if (args.type === "docker:index/container:Container") {
                    const ports = (inputs.ports ?? []) as Array<{ external?: number }>;
                    state.ports = ports.map((p, i) => ({
                        ...p,
                        external: p.external ?? 49000 + i,
                    }));
                    const code = Object.entries(options.exitCodes ?? {}).find(([part]) => args.name.includes(part));
                    state.exitCode = code ? code[1] : 0;
                    state.containerLogs = code && code[1] !== 0 ? "simulated failure output" : "";
                }
                if (args.type === "command:local:Command") state.stdout = "";
                if (args.type === "pulumi:pulumi:StackReference") {
                    const name = inputs.name as string;
                    const outputs = options.stackOutputs?.[name];
                    if (!outputs) throw new Error(`unknown stack ${name}`);
                    state.outputs = outputs;
                }
                return { id: `${args.name}-id`, state };
            },
            call: (args) => {
                const inputs = args.inputs as Record<string, unknown>;
                engine.calls.push({ token: args.token, inputs });
                if (args.token === "command:local:run") {
                    const environment = inputs.environment as Record<string, string> | undefined;
                    const image = Object.keys(options.imageEnv ?? {}).find(
                        (img) => environment?.COVERAGE_SPY_IMAGE === img,
                    );
                    return { stdout: image ? options.imageEnv![image] : '["PATH=/usr/bin"]', stderr: "" };
                }
                return {};
            },
        },
        "coverage-spy",
        "unit",
        false,
        // A file backend's organization, as the engine gives it to programs there.
        "organization",
    );
    return engine;
}

/** The value of an Output, in a test. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        output.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

/** The error an Output fails with (its apply threw), in a test. */
export async function errorOf(output: pulumi.Output<unknown>): Promise<Error> {
    try {
        await (output as unknown as { promise(): Promise<unknown> }).promise();
    } catch (err) {
        return err as Error;
    }
    throw new Error("the output did not fail");
}

/** A message the program said through pulumi.log: its level, text and resource. */
export type Said = Array<[level: "info" | "warn" | "error", message: string, resource: pulumi.Resource | undefined]>;

/** Runs `body` with pulumi.log's info, warn and error recorded instead of said, then puts them back. */
export async function loggedDuring<T>(body: () => Promise<T>): Promise<{ result: T; said: Said }> {
    const said: Said = [];
    const record = (level: Said[number][0]) => (message: string, resource?: pulumi.Resource) => {
        said.push([level, message, resource]);
        return Promise.resolve();
    };
    const spies = [
        jest.spyOn(pulumi.log, "info").mockImplementation(record("info")),
        jest.spyOn(pulumi.log, "warn").mockImplementation(record("warn")),
        jest.spyOn(pulumi.log, "error").mockImplementation(record("error")),
    ];
    try {
        return { result: await body(), said };
    } finally {
        for (const spy of spies) spy.mockRestore();
    }
}
