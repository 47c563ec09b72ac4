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
    const ordered: T[] = [];
    const placed = new Set<string>();
    while (ordered.length < services.length) {
        const next = services.find((s) => !placed.has(s.name) && s.dependsOn.every((d) => placed.has(d)));
        if (next === undefined) throw new Error("coverage-spy: dependsOn has a cycle (validation should have said)");
        ordered.push(next);
        placed.add(next.name);
    }
    return ordered;
}

/** The names of the services some other service depends on: each gets a readiness wait before its dependents. */
export function dependedOn(services: Dependent[]): Set<string> {
    return new Set(services.flatMap((s) => s.dependsOn));
}

/**
 * The wave in which each service stops at the end of the run: 0 for those no service depends on, and every
 * other one wave after the last of its dependents. A worker thus stops (and saves) while its broker still runs.
 */
export function stopWaves(services: Dependent[]): Map<string, number> {
    const waves = new Map<string, number>();
    const wave = (name: string): number => {
        const known = waves.get(name);
        if (known !== undefined) return known;
        const dependents = services.filter((s) => s.dependsOn.includes(name));
        const value = dependents.length === 0 ? 0 : 1 + Math.max(...dependents.map((d) => wave(d.name)));
        waves.set(name, value);
        return value;
    };
    for (const service of services) wave(service.name);
    return waves;
}
