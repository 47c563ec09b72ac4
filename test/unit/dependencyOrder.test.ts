import { dependedOn, startOrder, stopWaves } from "../../components/service/dependencyOrder";

const services = [
    { name: "web", dependsOn: ["db", "cache"] },
    { name: "worker", dependsOn: ["broker", "db"] },
    { name: "db", dependsOn: [] },
    { name: "broker", dependsOn: [] },
    { name: "cache", dependsOn: ["db"] },
];

describe("the order of starts and stops", () => {
    it("starts every service after those it depends on, otherwise in the order given", () => {
        // Next is always the first listed service whose dependencies have all started.
        expect(startOrder(services).map((s) => s.name)).toEqual(["db", "broker", "worker", "cache", "web"]);
        expect(
            startOrder([
                { name: "a", dependsOn: [] },
                { name: "b", dependsOn: [] },
            ]).map((s) => s.name),
        ).toEqual(["a", "b"]);
    });

    it("waits for readiness only of the services others depend on", () => {
        expect([...dependedOn(services)].sort()).toEqual(["broker", "cache", "db"]);
    });

    it("stops each service in a wave after every service that depends on it", () => {
        expect(Object.fromEntries(stopWaves(services))).toEqual({ web: 0, worker: 0, cache: 1, broker: 1, db: 2 });
    });

    it("refuses a cycle, which validation reports first", () => {
        expect(() =>
            startOrder([
                { name: "a", dependsOn: ["b"] },
                { name: "b", dependsOn: ["a"] },
            ]),
        ).toThrow(/cycle/);
    });
});
