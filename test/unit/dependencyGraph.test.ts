import { DependencyGraph } from "../../components/shared/dependencyGraph";

/** web needs db and cache, worker needs broker and db, cache needs db. */
const services = [
    { name: "web", dependsOn: ["db", "cache"] },
    { name: "worker", dependsOn: ["broker", "db"] },
    { name: "db", dependsOn: [] },
    { name: "broker", dependsOn: [] },
    { name: "cache", dependsOn: ["db"] },
];

describe("the dependency graph", () => {
    it("orders every name after those it depends on, otherwise keeping the order given", () => {
        expect(new DependencyGraph(services).order()).toEqual(["db", "broker", "worker", "cache", "web"]);
        expect(
            new DependencyGraph([
                { name: "b", dependsOn: [] },
                { name: "a", dependsOn: [] },
            ]).order(),
        ).toEqual(["b", "a"]);
    });

    it("names those some other node depends on", () => {
        expect([...new DependencyGraph(services).dependedOn()].sort()).toEqual(["broker", "cache", "db"]);
    });

    it("puts each node one level below the lowest of its dependents, in the order given", () => {
        const levels = new DependencyGraph(services).levelsFromTop();
        expect([...levels]).toEqual([
            ["web", 0],
            ["worker", 0],
            ["db", 2],
            ["broker", 1],
            ["cache", 1],
        ]);
    });

    it("finds no cycle where there is none, and the path round one where there is", () => {
        expect(new DependencyGraph(services).cycle()).toBeUndefined();
        const looped = new DependencyGraph([
            { name: "a", dependsOn: [] },
            { name: "b", dependsOn: ["c"] },
            { name: "c", dependsOn: ["d"] },
            { name: "d", dependsOn: ["b"] },
        ]);
        expect(looped.cycle()).toEqual(["b", "c", "d", "b"]);
    });

    it("refuses to order or level a cycle, naming it, instead of looping", () => {
        const looped = new DependencyGraph([
            { name: "a", dependsOn: ["b"] },
            { name: "b", dependsOn: ["a"] },
        ]);
        const message = "coverage-spy: dependsOn has a cycle (a → b → a): nothing could start first";
        expect(() => looped.order()).toThrow(message);
        expect(() => looped.levelsFromTop()).toThrow(message);
    });

    it("leaves out names that are no node and a node's dependency on itself (validation names both)", () => {
        const graph = new DependencyGraph([
            { name: "a", dependsOn: ["a", "ghost"] },
            { name: "b", dependsOn: ["a", "a"] },
        ]);
        expect(graph.cycle()).toBeUndefined();
        expect(graph.order()).toEqual(["a", "b"]);
        expect([...graph.dependedOn()]).toEqual(["a"]);
        expect(Object.fromEntries(graph.levelsFromTop())).toEqual({ a: 1, b: 0 });
    });
});
