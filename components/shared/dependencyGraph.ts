/** A node of a dependency graph: its name and the names it depends on. */
export interface GraphNode {
    name: string;
    dependsOn: readonly string[];
}

/**
 * Services and what each depends on, as one graph: the cycle check of validation and the start and stop orders of a
 * run walk the same edges. Names a node depends on that are no node of the graph are left out (validation names
 * them); so are a node's dependencies on itself.
 */
export class DependencyGraph {
    private readonly names: string[];
    private readonly edges = new Map<string, string[]>();

    constructor(nodes: readonly GraphNode[]) {
        this.names = nodes.map((n) => n.name);
        const known = new Set(this.names);
        for (const node of nodes)
            this.edges.set(
                node.name,
                [...new Set(node.dependsOn)].filter((d) => known.has(d) && d !== node.name),
            );
    }

    /** A path round a cycle (its first name again at the end), the first one a depth-first walk in order finds. */
    cycle(): string[] | undefined {
        const state = new Map<string, "visiting" | "done">();
        const visit = (name: string, trail: string[]): string[] | undefined => {
            if (state.get(name) === "done") return undefined;
            if (state.get(name) === "visiting") return [...trail.slice(trail.indexOf(name)), name];
            state.set(name, "visiting");
            for (const next of this.edges.get(name) ?? []) {
                const found = visit(next, [...trail, name]);
                if (found !== undefined) return found;
            }
            state.set(name, "done");
            return undefined;
        };
        for (const name of this.names) {
            const found = visit(name, []);
            if (found !== undefined) return found;
        }
        return undefined;
    }

    /**
     * Every name after those it depends on: next is always the first listed node whose dependencies are all placed,
     * so nodes without dependencies between them keep their order. Throws on a cycle.
     */
    order(): string[] {
        const placed = new Set<string>();
        const ordered: string[] = [];
        while (ordered.length < this.names.length) {
            const next = this.names.find((n) => !placed.has(n) && this.edges.get(n)!.every((d) => placed.has(d)));
            if (next === undefined) throw this.cycleError();
            ordered.push(next);
            placed.add(next);
        }
        return ordered;
    }

    /** The names some other node depends on. */
    dependedOn(): Set<string> {
        return new Set([...this.edges.values()].flat());
    }

    /**
     * Each node's depth from the top: 0 for those no node depends on, and every other one level after the last of
     * its dependents. Throws on a cycle.
     */
    levelsFromTop(): Map<string, number> {
        const levels = new Map<string, number>();
        for (const name of [...this.order()].reverse()) {
            const dependents = this.names.filter((n) => this.edges.get(n)!.includes(name));
            levels.set(name, dependents.length === 0 ? 0 : 1 + Math.max(...dependents.map((d) => levels.get(d)!)));
        }
        return new Map(this.names.map((n) => [n, levels.get(n)!]));
    }

    private cycleError(): Error {
        return new Error(
            `coverage-spy: dependsOn has a cycle (${this.cycle()!.join(" → ")}): nothing could start first`,
        );
    }
}
