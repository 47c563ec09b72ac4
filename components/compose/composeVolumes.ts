import { ServiceMount } from "../options/args";
import { ComposeServiceContext, flag, isMap, problem, warning } from "./context";
import { hostPath, isHostPath } from "./hostPath";

/** A named volume under the Docker name compose gives it; null (with a problem) when the file does not declare it. */
function volume(
    source: string,
    target: string,
    readOnly: boolean,
    key: string,
    ctx: ComposeServiceContext,
): ServiceMount | null {
    const name = ctx.volumeName(source);
    if (name === null) {
        problem(ctx, key, `volume ${source} is not declared in the top-level volumes: section`);
        return null;
    }
    return { type: "volume", source: name, target, readOnly };
}

function mount(item: unknown, ctx: ComposeServiceContext): ServiceMount | null {
    const key = `volumes ${JSON.stringify(item)}`;
    if (typeof item === "string") {
        const [source, target, mode] = item.split(":");
        // An anonymous volume is a fresh, empty folder: the image's own folder is the same for the code that runs.
        if (target === undefined) {
            warning(ctx, key, "an anonymous volume is left out");
            return null;
        }
        const readOnly = (mode ?? "").split(",").includes("ro");
        return isHostPath(source)
            ? { type: "bind", source: hostPath(source, ctx.baseDir), target, readOnly }
            : volume(source, target, readOnly, key, ctx);
    }
    if (!isMap(item) || (item.type !== "bind" && item.type !== "volume")) {
        problem(ctx, key, "only bind and volume mounts can be carried over");
        return null;
    }
    if (typeof item.target !== "string") {
        problem(ctx, key, "needs a target");
        return null;
    }
    const readOnly = flag(item.read_only) ?? false;
    if (item.type === "volume" && (item.source === undefined || item.source === "")) {
        warning(ctx, key, "an anonymous volume is left out");
        return null;
    }
    if (typeof item.source !== "string") {
        problem(ctx, key, "needs a source");
        return null;
    }
    return item.type === "bind"
        ? { type: "bind", source: hostPath(item.source, ctx.baseDir), target: item.target, readOnly }
        : volume(item.source, item.target, readOnly, key, ctx);
}

/** `volumes`: "src:dst[:ro]" and the long form; relative bind sources start at the compose file's folder. */
export function serviceMounts(value: unknown, ctx: ComposeServiceContext): ServiceMount[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
        problem(ctx, "volumes", "must be a list");
        return undefined;
    }
    const mounts = value.map((item) => mount(item, ctx)).filter((m): m is ServiceMount => m !== null);
    return mounts.length > 0 ? mounts : undefined;
}
