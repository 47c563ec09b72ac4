// Every closed set of option values, written once. The option types (args.ts) derive from these objects and
// validation checks against their values, so a value added here is accepted everywhere at once.
//
// Each set is a `const` object and a type of its values, not a union of string literals: Pulumi's schema inference
// (for Python, YAML and other languages) reads this pattern as an enum and rejects literal unions, while TypeScript
// callers still pass plain strings ("gevent").

/** coverage.py measurement cores, plus "auto" (chosen per process by its Python version). */
export const CoreChoice = { Auto: "auto", Ctrace: "ctrace", Pytrace: "pytrace", Sysmon: "sysmon" } as const;
/** `coverage.core`: a measurement core or "auto". */
export type CoreChoice = (typeof CoreChoice)[keyof typeof CoreChoice];
export const CORES: readonly CoreChoice[] = Object.values(CoreChoice);
/** A coverage.py measurement core. */
export type CoverageCore = Exclude<CoreChoice, "auto">;

/** `[run] concurrency` values coverage.py knows. */
export const ConcurrencyMode = {
    Thread: "thread",
    Multiprocessing: "multiprocessing",
    Gevent: "gevent",
    Eventlet: "eventlet",
    Greenlet: "greenlet",
} as const;
export type ConcurrencyMode = (typeof ConcurrencyMode)[keyof typeof ConcurrencyMode];
export const CONCURRENCY_MODES: readonly ConcurrencyMode[] = Object.values(ConcurrencyMode);

/** `[run] patch` values coverage.py knows. */
export const Patch = { Exit: "_exit", Execv: "execv", Fork: "fork", Subprocess: "subprocess" } as const;
export type Patch = (typeof Patch)[keyof typeof Patch];
export const PATCHES: readonly Patch[] = Object.values(Patch);

/** What a process that started measuring but saved no data does to the harvest. */
export const LostProcessPolicy = { Warn: "warn", Fail: "fail" } as const;
export type LostProcessPolicy = (typeof LostProcessPolicy)[keyof typeof LostProcessPolicy];
export const LOST_PROCESS_POLICIES: readonly LostProcessPolicy[] = Object.values(LostProcessPolicy);

/** Kinds of extra mount a service may have. */
export const MountType = { Bind: "bind", Volume: "volume" } as const;
export type MountType = (typeof MountType)[keyof typeof MountType];
export const MOUNT_TYPES: readonly MountType[] = Object.values(MountType);
