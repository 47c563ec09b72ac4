import * as os from "os";
import * as path from "path";

/** A host path as compose resolves it: "~" is the home folder, relative paths start at the compose file's folder. */
export function hostPath(p: string, baseDir: string): string {
    if (p === "~" || p.startsWith("~/")) return path.join(os.homedir(), p.slice(1));
    return path.resolve(baseDir, p);
}

/** Compose's rule for the short volume syntax: a source is a host path when it starts with ".", "/" or "~". */
export function isHostPath(source: string): boolean {
    return source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
}
