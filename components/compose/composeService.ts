import { Service, ServiceHealthcheck } from "../options/args";
import { CONVERTED, IGNORED, UNSUPPORTED } from "./composeKeys";
import { serviceEnvironment } from "./composeEnvironment";
import { servicePorts } from "./composePorts";
import { serviceMounts } from "./composeVolumes";
import { ComposeServiceContext, Raw, flag, isMap, problem, scalarText } from "./context";
import { durationSeconds } from "./duration";
import { shellWords } from "./shellWords";

/** What compose cannot say about a service: where its Python source is. */
export interface ComposeServiceOptions {
    /** Absolute path of the service's Python source inside the container. */
    sourcePath: string;
    /** The same source in the host checkout (absolute). */
    hostSourcePath?: string;
}

function commandList(value: unknown, key: string, ctx: ComposeServiceContext): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") {
        try {
            return shellWords(value);
        } catch (err) {
            problem(ctx, key, (err as Error).message);
            return undefined;
        }
    }
    if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number"))
        return value.map(String);
    problem(ctx, key, "must be a string or a list of strings");
    return undefined;
}

/** A whole number, also from a substituted string ("${RETRIES:-3}"). */
function wholeNumber(value: unknown): number | undefined {
    if (typeof value === "number" && Number.isInteger(value)) return value;
    if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
    return undefined;
}

function healthcheck(value: unknown, ctx: ComposeServiceContext): ServiceHealthcheck | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isMap(value)) {
        problem(ctx, "healthcheck", "must be a map");
        return undefined;
    }
    if (flag(value.disable) === true) return undefined;
    let test: string[];
    if (typeof value.test === "string") test = ["CMD-SHELL", value.test];
    else if (Array.isArray(value.test) && value.test.length > 0) test = value.test.map(String);
    else if (value.test === undefined) {
        // Compose would re-time the image's own HEALTHCHECK; Service needs the test itself.
        problem(
            ctx,
            "healthcheck",
            "has no test: re-timing the image's own HEALTHCHECK cannot be carried over, give test:",
        );
        return undefined;
    } else {
        problem(ctx, "healthcheck.test", "must be a string or a list");
        return undefined;
    }
    if (test[0] === "NONE") return undefined;
    if (test[0] !== "CMD" && test[0] !== "CMD-SHELL") {
        problem(
            ctx,
            "healthcheck.test",
            `a list must start with "CMD", "CMD-SHELL" or "NONE", got ${JSON.stringify(test[0])}`,
        );
        return undefined;
    }
    const result: ServiceHealthcheck = { test };
    for (const [key, field] of [
        ["interval", "interval"],
        ["timeout", "timeout"],
        ["start_period", "startPeriod"],
    ] as const) {
        const v = value[key];
        if (v === undefined || v === null) continue;
        if (durationSeconds(scalarText(v)) === null)
            problem(ctx, `healthcheck.${key}`, `${JSON.stringify(v)} is not a duration`);
        else result[field] = scalarText(v);
    }
    if (value.retries !== undefined && value.retries !== null) {
        const retries = wholeNumber(value.retries);
        if (retries === undefined)
            problem(ctx, "healthcheck.retries", `${JSON.stringify(value.retries)} is not a whole number`);
        else result.retries = retries;
    }
    return result;
}

/** Sorts the service's keys: unsupported ones are problems, ignored ones one warning, unknown ones (typos) problems. */
function checkKeys(raw: Raw, ctx: ComposeServiceContext): void {
    const keys = Object.keys(raw).filter((k) => !k.startsWith("x-"));
    for (const k of keys.filter((k) => UNSUPPORTED.has(k)))
        problem(ctx, k, "cannot be carried over (it changes how the service runs)");
    for (const k of keys.filter((k) => !UNSUPPORTED.has(k) && !IGNORED.has(k) && !CONVERTED.has(k)))
        problem(ctx, k, "unknown key");
    const ignored = keys.filter((k) => IGNORED.has(k) && !(k === "build" && raw.image === undefined));
    if (ignored.length > 0)
        ctx.warnings.push(`service ${ctx.name}: left out (no effect on what is measured): ${ignored.join(", ")}`);
}

/** One compose service (variables already substituted) as coverage-spy service arguments; null when it cannot be. */
export function composeService(raw: Raw, options: ComposeServiceOptions, ctx: ComposeServiceContext): Service | null {
    checkKeys(raw, ctx);
    if (typeof raw.image !== "string" || raw.image === "") {
        ctx.problems.push(
            raw.build !== undefined
                ? `service ${ctx.name} is build-only: build and tag its image first (docker compose build), then name it with image:`
                : `service ${ctx.name} has no image`,
        );
        return null;
    }
    const service: Service = { name: ctx.name, image: raw.image, sourcePath: options.sourcePath };
    if (options.hostSourcePath !== undefined) service.hostSourcePath = options.hostSourcePath;
    const command = commandList(raw.command, "command", ctx);
    if (command) service.command = command;
    const entrypoint = commandList(raw.entrypoint, "entrypoint", ctx);
    if (entrypoint) service.entrypoint = entrypoint;
    const env = serviceEnvironment(raw, ctx);
    if (env) service.env = env;
    const ports = servicePorts(raw.ports, ctx);
    if (ports) service.ports = ports;
    const health = healthcheck(raw.healthcheck, ctx);
    if (health) service.healthcheck = health;
    if (raw.user !== undefined && raw.user !== null) service.user = scalarText(raw.user);
    if (raw.working_dir !== undefined && raw.working_dir !== null) service.workingDir = scalarText(raw.working_dir);
    const mounts = serviceMounts(raw.volumes, ctx);
    if (mounts) service.mounts = mounts;
    if (raw.stop_signal !== undefined && raw.stop_signal !== null) service.stopSignal = scalarText(raw.stop_signal);
    if (raw.stop_grace_period !== undefined && raw.stop_grace_period !== null) {
        const seconds = durationSeconds(scalarText(raw.stop_grace_period));
        if (seconds === null)
            problem(ctx, "stop_grace_period", `${JSON.stringify(raw.stop_grace_period)} is not a duration`);
        else service.stopGraceSeconds = Math.max(1, Math.ceil(seconds));
    }
    return service;
}
