/**
 * Every closed set of option values, written once. The option types (args.ts) derive from these tuples and
 * validation checks against them, so a value added here is accepted everywhere at once.
 */

/** coverage.py measurement cores, plus "auto" (chosen per process by its Python version). */
export const CORES = ["auto", "ctrace", "pytrace", "sysmon"] as const;
/** `coverage.core`: a measurement core or "auto". */
export type CoreChoice = (typeof CORES)[number];
/** A coverage.py measurement core. */
export type CoverageCore = Exclude<CoreChoice, "auto">;

/** `[run] concurrency` values coverage.py knows. */
export const CONCURRENCY_MODES = ["thread", "multiprocessing", "gevent", "eventlet", "greenlet"] as const;
export type ConcurrencyMode = (typeof CONCURRENCY_MODES)[number];

/** `[run] patch` values coverage.py knows. */
export const PATCHES = ["_exit", "execv", "fork", "subprocess"] as const;
export type Patch = (typeof PATCHES)[number];

/** What a process that started measuring but saved no data does to the harvest. */
export const LOST_PROCESS_POLICIES = ["warn", "fail"] as const;
export type LostProcessPolicy = (typeof LOST_PROCESS_POLICIES)[number];

/** Kinds of extra mount a service may have. */
export const MOUNT_TYPES = ["bind", "volume"] as const;
export type MountType = (typeof MOUNT_TYPES)[number];
