// What starts a watch session's next cycle or ends the session: a change of the watched test files (debounced), Enter,
// and Ctrl-C, q or the end of the input.
import * as fs from "fs";
import * as path from "path";
import { ignoredChange } from "./watchedPaths";

export type Trigger = { kind: "change"; file: string } | { kind: "enter" } | { kind: "stop"; why: string };

/** An editor's save is several events (write, rename, chmod): one cycle, once they settle. */
export const DEBOUNCE_MS = 300;

/** Ctrl-C and Ctrl-D, as a terminal in raw mode sends them. */
const CTRL_C = "\u0003";
const CTRL_D = "\u0004";

export class CycleTriggers {
    private pending?: Trigger;
    private waiter?: (trigger: Trigger) => void;
    private debounce?: NodeJS.Timeout;
    private readonly watchers: fs.FSWatcher[] = [];
    private rawMode = false;

    /**
     * Watches `paths` (files or folders, folders with what is under them) for changes but those of ignoredChange
     * (`written`: the folders the runs write), and `input` for Enter, and for q, Ctrl-C and its end (a stop). A
     * terminal's input is read key by key (raw mode): its Ctrl-C then reaches this command alone, never the engine's
     * processes, which would cancel the update before its harvest.
     */
    constructor(
        paths: string[],
        written: string[],
        private readonly input: NodeJS.ReadStream,
        /** Told at once of a stop, to end a cycle in progress. */
        private readonly onStop: (why: string) => void,
    ) {
        for (const p of paths) {
            const folder = fs.statSync(p).isDirectory();
            const watcher = fs.watch(p, { recursive: folder }, (_event, name) => {
                const file = name ? path.resolve(folder ? p : path.dirname(p), name.toString()) : p;
                if (!ignoredChange(folder ? p : path.dirname(p), file, written)) this.changed(file);
            });
            watcher.on("error", () => undefined);
            this.watchers.push(watcher);
        }
        if (input.isTTY) {
            input.setRawMode(true);
            this.rawMode = true;
        }
        input.setEncoding("utf8");
        input.on("data", (text: string) => this.keys(text));
        input.on("end", () => this.fire({ kind: "stop", why: "the input ended" }));
        input.resume();
    }

    private keys(text: string): void {
        if ([CTRL_C, CTRL_D, "q"].some((key) => text.includes(key)))
            this.fire({ kind: "stop", why: text.includes("q") ? "q" : "Ctrl-C" });
        else if (text.includes("\r") || text.includes("\n")) this.fire({ kind: "enter" });
    }

    private changed(file: string): void {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.fire({ kind: "change", file }), DEBOUNCE_MS);
    }

    /** A trigger: the one waited for, else kept for the next wait (a stop is never replaced by another trigger). */
    fire(trigger: Trigger): void {
        if (trigger.kind === "stop") this.onStop(trigger.why);
        if (this.waiter !== undefined) {
            const waiter = this.waiter;
            this.waiter = undefined;
            waiter(trigger);
        } else if (this.pending?.kind !== "stop") this.pending = trigger;
    }

    /** The next trigger: one that came since the last wait, else the first to come. */
    next(): Promise<Trigger> {
        const pending = this.pending;
        this.pending = undefined;
        if (pending !== undefined) return Promise.resolve(pending);
        return new Promise((resolve) => (this.waiter = resolve));
    }

    /** Stops watching; the terminal reads lines again. */
    close(): void {
        clearTimeout(this.debounce);
        for (const watcher of this.watchers) watcher.close();
        if (this.rawMode) this.input.setRawMode(false);
        this.input.pause();
    }
}
