import * as path from "path";

/**
 * What `look` finds in `start` or the nearest folder above it (as Node and the Pulumi CLI find package.json and
 * Pulumi.yaml), or undefined when no folder up to the root has it.
 */
export function findUp<T>(start: string, look: (dir: string) => T | undefined): T | undefined {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        const found = look(dir);
        if (found !== undefined) return found;
        if (path.dirname(dir) === dir) return undefined;
    }
}
