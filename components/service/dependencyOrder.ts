import { DependencyGraph } from "../shared/dependencyGraph";

/** What the order of starts and stops needs of a service. */
export interface Dependent {
    name: string;
    /** Services that must be ready before this one starts. */
    dependsOn: string[];
}

/**
 * The services in an order that starts every one after those it depends on: next is always the first listed
 * service whose dependencies have all started.
 * Validation has ruled out unknown names and cycles.
 */
export function startOrder<T extends Dependent>(services: T[]): T[] {
    const byName = new Map(services.map((s) => [s.name, s]));
    return new DependencyGraph(services).order().map((name) => byName.get(name)!);
}

/** The names of the services some other service depends on: each gets a readiness wait before its dependents. */
export function dependedOn(services: Dependent[]): Set<string> {
    return new DependencyGraph(services).dependedOn();
}

/**
 * The wave in which each service stops at the end of the run: 0 for those no service depends on, and every
 * other one wave after the last of its dependents. A worker thus stops (and saves) while its broker still runs.
 */
export function stopWaves(services: Dependent[]): Map<string, number> {
    return new DependencyGraph(services).levelsFromTop();
}
