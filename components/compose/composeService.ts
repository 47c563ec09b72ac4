import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ServiceArgs, ServiceHealthcheckArgs, ServiceMountArgs, ServicePortArgs } from "../args";
import { parseEnvFile } from "./envFile";

/** Where a service comes from, and what compose cannot say: where its Python source is. */
export interface ComposeServiceContext {
    name: string;
    /** Folder of the compose file: relative paths are resolved from it. */
    baseDir: string;
    sourcePath: string;
    hostSourcePath?: string;
    /** Variables for a bare `KEY` in environment or an env file. */
    variables: Record<string, string | undefined>;
    problems: string[];
    warnings: string[];
}

type Raw = Record<string, unknown>;

/** Keys that do not change what runs or what is measured: left out, with a warning naming them. */
const IGNORED = new Set(["container_name", "restart", "labels", "logging", "depends_on", "networks", "deploy", "expose",
    "build", "hostname", "domainname", "profiles", "platform", "pull_policy", "init", "tty", "stdin_open", "ulimits",
    "mem_limit", "memswap_limit", "cpus", "cpu_shares", "shm_size", "sysctls", "security_opt", "cap_add", "cap_drop",
    "dns", "dns_search", "extra_hosts", "links", "oom_score_adj", "stop_grace_period_ms"]);
/** Keys whose effect cannot be carried over: an error, so nothing is measured under different conditions. */
const UNSUPPORTED = new Set(["extends", "network_mode", "pid", "ipc", "volumes_from", "secrets", "configs", "tmpfs",
    "devices", "privileged", "userns_mode", "cgroup_parent", "runtime", "isolation", "scale", "read_only", "group_add"]);
const CONVERTED = new Set(["image", "command", "entrypoint", "environment", "env_file", "ports", "healthcheck", "user",
    "volumes", "working_dir", "stop_signal", "stop_grace_period"]);

/** Splits a command string as compose does (shell words: quotes and backslashes, no expansion). */
export function shellWords(text: string): string[] {
    const words: string[] = [];
    let word = "";
    let inWord = false;
    let quote: string | null = null;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quote) {
            if (c === quote) quote = null;
            else if (c === "\\" && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) word += text[++i];
            else word += c;
        } else if (c === "'" || c === '"') { quote = c; inWord = true; }
        else if (c === "\\" && i + 1 < text.length) { word += text[++i]; inWord = true; }
        else if (/\s/.test(c)) { if (inWord) words.push(word); word = ""; inWord = false; }
        else { word += c; inWord = true; }
    }
    if (quote) throw new Error(`unclosed ${quote} in ${JSON.stringify(text)}`);
    if (inWord) words.push(word);
    return words;
}

/** "1m30s", "90s", "500ms", "2h" → seconds. */
export function durationSeconds(text: string): number | null {
    const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(text.trim());
    if (!m || text.trim() === "") return null;
    return (Number(m[1] ?? 0) * 3600) + (Number(m[2] ?? 0) * 60) + Number(m[3] ?? 0) + (Number(m[4] ?? 0) / 1000);
}

function hostPath(p: string, baseDir: string): string {
    if (p === "~" || p.startsWith("~/")) return path.join(os.homedir(), p.slice(1));
    return path.resolve(baseDir, p);
}

function isPathSource(source: string): boolean {
    return source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
}

function commandList(value: unknown, key: string, ctx: ComposeServiceContext): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") {
        try { return shellWords(value); } catch (err) { ctx.problems.push(`service ${ctx.name}: ${key}: ${(err as Error).message}`); return undefined; }
    }
    if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) return value.map(String);
    ctx.problems.push(`service ${ctx.name}: ${key} must be a string or a list of strings`);
    return undefined;
}

function environment(raw: Raw, ctx: ComposeServiceContext): Record<string, string> | undefined {
    const env: Record<string, string> = {};
    const files = raw.env_file === undefined ? [] : Array.isArray(raw.env_file) ? raw.env_file : [raw.env_file];
    for (const entry of files) {
        const spec = typeof entry === "string" ? { path: entry, required: true } : entry as { path?: unknown; required?: unknown };
        if (typeof spec?.path !== "string") { ctx.problems.push(`service ${ctx.name}: env_file entries must be paths or {path, required}`); continue; }
        const file = hostPath(spec.path, ctx.baseDir);
        if (!fs.existsSync(file)) {
            if (spec.required !== false) ctx.problems.push(`service ${ctx.name}: env_file ${spec.path} does not exist (${file})`);
            continue;
        }
        try { Object.assign(env, parseEnvFile(fs.readFileSync(file, "utf8"), file, ctx.variables)); }
        catch (err) { ctx.problems.push(`service ${ctx.name}: ${(err as Error).message}`); }
    }
    const declared = raw.environment;
    if (Array.isArray(declared)) {
        for (const item of declared) {
            const text = String(item);
            const eq = text.indexOf("=");
            if (eq < 0) { if (ctx.variables[text] !== undefined) env[text] = ctx.variables[text]!; }
            else env[text.slice(0, eq)] = text.slice(eq + 1);
        }
    } else if (declared && typeof declared === "object") {
        for (const [k, v] of Object.entries(declared as Raw)) {
            if (v === null || v === undefined) { if (ctx.variables[k] !== undefined) env[k] = ctx.variables[k]!; }
            else env[k] = String(v);
        }
    } else if (declared !== undefined) {
        ctx.problems.push(`service ${ctx.name}: environment must be a map or a list of KEY=VALUE`);
    }
    return Object.keys(env).length > 0 ? env : undefined;
}

function port(item: unknown, ctx: ComposeServiceContext): ServicePortArgs | null {
    const where = `service ${ctx.name}: ports: ${JSON.stringify(item)}`;
    let target: string | undefined;
    let published: string | undefined;
    let hostIp: string | undefined;
    let protocol = "tcp";
    if (typeof item === "number") target = String(item);
    else if (typeof item === "string") {
        const [spec, proto] = item.split("/");
        protocol = proto ?? "tcp";
        const parts = spec.startsWith("[") ? [spec.slice(0, spec.indexOf("]") + 1), ...spec.slice(spec.indexOf("]") + 2).split(":")] : spec.split(":");
        target = parts.pop();
        published = parts.pop();
        hostIp = parts.pop();
    } else if (item && typeof item === "object") {
        const long = item as Raw;
        target = long.target === undefined ? undefined : String(long.target);
        published = long.published === undefined ? undefined : String(long.published);
        hostIp = long.host_ip === undefined ? undefined : String(long.host_ip);
        protocol = long.protocol === undefined ? "tcp" : String(long.protocol);
    }
    if (protocol !== "tcp") { ctx.problems.push(`${where}: only tcp ports can be published, not ${protocol}`); return null; }
    if ([target, published].some((p) => p !== undefined && p.includes("-"))) {
        ctx.problems.push(`${where}: port ranges cannot be carried over: list each port`);
        return null;
    }
    if (target === undefined || !/^\d+$/.test(target)) { ctx.problems.push(`${where}: no container port`); return null; }
    if (published !== undefined && published !== "" && !/^\d+$/.test(published)) { ctx.problems.push(`${where}: bad host port ${published}`); return null; }
    if (hostIp && !["127.0.0.1", "localhost"].includes(hostIp)) {
        ctx.warnings.push(`service ${ctx.name}: port ${target} is published on 127.0.0.1, not ${hostIp}`);
    }
    return published ? { internal: Number(target), external: Number(published) } : { internal: Number(target) };
}

function healthcheck(value: unknown, ctx: ComposeServiceContext): ServiceHealthcheckArgs | undefined {
    if (value === undefined) return undefined;
    const h = value as Raw;
    if (h.disable === true) return undefined;
    let test: string[];
    if (typeof h.test === "string") test = ["CMD-SHELL", h.test];
    else if (Array.isArray(h.test)) test = h.test.map(String);
    else { ctx.problems.push(`service ${ctx.name}: healthcheck.test must be a string or a list`); return undefined; }
    if (test[0] === "NONE") return undefined;
    const result: ServiceHealthcheckArgs = { test };
    for (const [key, field] of [["interval", "interval"], ["timeout", "timeout"], ["start_period", "startPeriod"]] as const) {
        if (h[key] !== undefined) result[field] = String(h[key]);
    }
    if (h.retries !== undefined) result.retries = Number(h.retries);
    return result;
}

function mount(item: unknown, ctx: ComposeServiceContext): ServiceMountArgs | null {
    const where = `service ${ctx.name}: volumes: ${JSON.stringify(item)}`;
    if (typeof item === "string") {
        const [source, target, mode] = item.split(":");
        if (target === undefined) { ctx.warnings.push(`${where}: an anonymous volume is left out`); return null; }
        const readOnly = (mode ?? "").split(",").includes("ro");
        return isPathSource(source) ? { type: "bind", source: hostPath(source, ctx.baseDir), target, readOnly }
            : { type: "volume", source, target, readOnly };
    }
    const long = item as Raw;
    if (long?.type === "bind" || long?.type === "volume") {
        if (typeof long.source !== "string" || typeof long.target !== "string") { ctx.problems.push(`${where}: needs source and target`); return null; }
        return { type: long.type, source: long.type === "bind" ? hostPath(long.source, ctx.baseDir) : long.source,
            target: long.target, readOnly: long.read_only === true };
    }
    ctx.problems.push(`${where}: only bind and volume mounts can be carried over`);
    return null;
}

/** One compose service as coverage-spy service arguments. Problems and warnings go into the context. */
export function composeService(raw: Raw, ctx: ComposeServiceContext): ServiceArgs | null {
    const keys = Object.keys(raw).filter((k) => !k.startsWith("x-"));
    const unsupported = keys.filter((k) => UNSUPPORTED.has(k));
    const unknown = keys.filter((k) => !UNSUPPORTED.has(k) && !IGNORED.has(k) && !CONVERTED.has(k));
    const ignored = keys.filter((k) => IGNORED.has(k) && !(k === "build" && raw.image === undefined));
    for (const k of unsupported) ctx.problems.push(`service ${ctx.name}: ${k} cannot be carried over (it changes how the service runs)`);
    for (const k of unknown) ctx.problems.push(`service ${ctx.name}: unknown key ${k}`);
    if (ignored.length > 0) ctx.warnings.push(`service ${ctx.name}: left out (no effect on what is measured): ${ignored.join(", ")}`);
    if (typeof raw.image !== "string" || raw.image === "") {
        ctx.problems.push(raw.build !== undefined
            ? `service ${ctx.name} is build-only: build and tag its image first (docker compose build), then name it with image:`
            : `service ${ctx.name} has no image`);
        return null;
    }
    const service: ServiceArgs = { name: ctx.name, image: raw.image, sourcePath: ctx.sourcePath };
    if (ctx.hostSourcePath) service.hostSourcePath = ctx.hostSourcePath;
    const command = commandList(raw.command, "command", ctx);
    if (command) service.command = command;
    const entrypoint = commandList(raw.entrypoint, "entrypoint", ctx);
    if (entrypoint) service.entrypoint = entrypoint;
    const env = environment(raw, ctx);
    if (env) service.env = env;
    if (raw.ports !== undefined) {
        const ports = (Array.isArray(raw.ports) ? raw.ports : []).map((p) => port(p, ctx)).filter((p): p is ServicePortArgs => p !== null);
        if (ports.length > 0) service.ports = ports;
    }
    const health = healthcheck(raw.healthcheck, ctx);
    if (health) service.healthcheck = health;
    if (raw.user !== undefined) service.user = String(raw.user);
    if (raw.working_dir !== undefined) service.workingDir = String(raw.working_dir);
    if (raw.volumes !== undefined) {
        const mounts = (Array.isArray(raw.volumes) ? raw.volumes : []).map((v) => mount(v, ctx)).filter((m): m is ServiceMountArgs => m !== null);
        if (mounts.length > 0) service.mounts = mounts;
    }
    if (raw.stop_signal !== undefined) service.stopSignal = String(raw.stop_signal);
    if (raw.stop_grace_period !== undefined) {
        const seconds = durationSeconds(String(raw.stop_grace_period));
        if (seconds === null) ctx.problems.push(`service ${ctx.name}: stop_grace_period ${JSON.stringify(raw.stop_grace_period)} is not a duration`);
        else service.stopGraceSeconds = Math.max(1, Math.ceil(seconds));
    }
    return service;
}
