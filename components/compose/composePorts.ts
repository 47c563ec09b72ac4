import { ServicePort } from "../options/args";
import { ComposeServiceContext, isMap, problem, scalarText } from "./context";

/**
 * Target, published port and protocol of one `ports` entry; the host IP is read past (coverage-spy publishes on
 * 127.0.0.1 only).
 */
function parts(item: unknown): { target?: string; published?: string; protocol: string } | null {
    if (typeof item === "number") return { target: String(item), protocol: "tcp" };
    if (typeof item === "string") {
        const slash = item.lastIndexOf("/");
        const spec = slash < 0 ? item : item.slice(0, slash);
        const protocol = slash < 0 ? "tcp" : item.slice(slash + 1);
        // [HOST_IP:][PUBLISHED:]TARGET, the host IP possibly an [IPv6] literal.
        const rest = spec.startsWith("[") ? spec.slice(spec.indexOf("]") + 2) : spec;
        const fields = rest.split(":");
        const target = fields.pop();
        const published = fields.pop();
        return { target, published, protocol };
    }
    if (isMap(item)) {
        return {
            target: item.target === undefined || item.target === null ? undefined : scalarText(item.target),
            published: item.published === undefined || item.published === null ? undefined : scalarText(item.published),
            protocol: item.protocol === undefined ? "tcp" : scalarText(item.protocol),
        };
    }
    return null;
}

function port(item: unknown, ctx: ComposeServiceContext): ServicePort | null {
    const key = `ports ${JSON.stringify(item)}`;
    const p = parts(item);
    if (p === null) {
        problem(ctx, key, "must be a number, a string or { target, published, protocol }");
        return null;
    }
    if (p.protocol.toLowerCase() !== "tcp") {
        problem(ctx, key, `only tcp ports can be published, not ${p.protocol}`);
        return null;
    }
    if ([p.target, p.published].some((v) => v !== undefined && v.includes("-"))) {
        problem(ctx, key, "port ranges cannot be carried over: list each port");
        return null;
    }
    if (p.target === undefined || !/^\d+$/.test(p.target)) {
        problem(ctx, key, "no container port");
        return null;
    }
    if (p.published !== undefined && p.published !== "" && !/^\d+$/.test(p.published)) {
        problem(ctx, key, `${JSON.stringify(p.published)} is not a host port`);
        return null;
    }
    return p.published ? { internal: Number(p.target), external: Number(p.published) } : { internal: Number(p.target) };
}

/** `ports` in the short ("8000", "8000:8000", "127.0.0.1:8000:8000", "8000:8000/tcp") and long forms. */
export function servicePorts(value: unknown, ctx: ComposeServiceContext): ServicePort[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
        problem(ctx, "ports", "must be a list");
        return undefined;
    }
    const ports = value.map((item) => port(item, ctx)).filter((p): p is ServicePort => p !== null);
    return ports.length > 0 ? ports : undefined;
}
