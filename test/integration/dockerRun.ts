import * as docker from "@pulumi/docker";

type Plain<T> = T extends object ? { [K in keyof T]: unknown } : T;

/**
 * Translates the plain part of the container arguments coverage-spy declares into `docker run` flags, so the
 * very specs the component hands the provider run on the real engine where the provider is not available.
 * Only the fields coverage-spy sets are understood; anything else is an error, never silently dropped.
 */
export function dockerRunFlags(args: Partial<Plain<docker.ContainerArgs>>): string[] {
    const known = new Set(["name", "image", "command", "entrypoints", "envs", "user", "init", "stopSignal", "stopTimeout",
        "destroyGraceSeconds", "ports", "mounts", "volumes", "networksAdvanced", "labels", "restart", "mustRun",
        "healthcheck", "attach", "logs", "workingDir"]);
    const unknown = Object.keys(args).filter((k) => !known.has(k) && (args as Record<string, unknown>)[k] !== undefined);
    if (unknown.length > 0) throw new Error(`dockerRunFlags does not understand ${unknown.join(", ")}`);
    const flags: string[] = [];
    if (args.name) flags.push("--name", String(args.name));
    for (const e of (args.envs as string[] | undefined) ?? []) flags.push("-e", e);
    if (args.user) flags.push("--user", String(args.user));
    if (args.workingDir) flags.push("--workdir", String(args.workingDir));
    if (args.init) flags.push("--init");
    if (args.stopSignal) flags.push("--stop-signal", String(args.stopSignal));
    if (args.stopTimeout !== undefined) flags.push("--stop-timeout", String(args.stopTimeout));
    if (args.restart) flags.push("--restart", String(args.restart));
    for (const p of (args.ports as Array<{ internal: number; external?: number; ip?: string }> | undefined) ?? []) {
        flags.push("-p", `${p.ip ?? "0.0.0.0"}:${p.external ?? ""}:${p.internal}`);
    }
    for (const m of (args.mounts as Array<{ type: string; source: string; target: string; readOnly?: boolean }> | undefined) ?? []) {
        flags.push("--mount", `type=${m.type},source=${m.source},target=${m.target}${m.readOnly ? ",readonly" : ""}`);
    }
    for (const v of (args.volumes as Array<{ volumeName: string; containerPath: string; readOnly?: boolean }> | undefined) ?? []) {
        flags.push("-v", `${v.volumeName}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
    }
    for (const n of (args.networksAdvanced as Array<{ name: string; aliases?: string[] }> | undefined) ?? []) {
        flags.push("--network", n.name, ...(n.aliases ?? []).flatMap((a) => ["--network-alias", a]));
    }
    for (const l of (args.labels as Array<{ label: string; value: string }> | undefined) ?? []) flags.push("--label", `${l.label}=${l.value}`);
    const entrypoint = args.entrypoints as string[] | undefined;
    if (entrypoint && entrypoint.length > 0) flags.push("--entrypoint", entrypoint[0]);
    flags.push(String(args.image));
    if (entrypoint && entrypoint.length > 1) flags.push(...entrypoint.slice(1));
    flags.push(...((args.command as string[] | undefined) ?? []));
    return flags;
}
