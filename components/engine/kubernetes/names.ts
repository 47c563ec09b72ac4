import * as crypto from "crypto";
import { LABEL_PROJECT, LABEL_STACK, OBJECT_PREFIX } from "../../shared/naming";

/** The longest DNS-1123 label, and the longest label value: namespaces, label values. */
export const MAX_LABEL_LENGTH = 63;

/** The stack's own objects in its namespace: prefixed, so no service of the user (named as it is) takes them. */
export const COLLECTOR_NAME = `${OBJECT_PREFIX}-collector`;
export const DATA_CLAIM_NAME = `${OBJECT_PREFIX}-data`;
export const COVERAGERC_CONFIG_MAP_NAME = `${OBJECT_PREFIX}-coveragerc`;

/** A DNS-1123 label: lowercase letters, digits and "-", a letter or digit at both ends. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A label value: letters, digits, "-", "_", "." with a letter or digit at both ends (or empty). */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
/** The hash suffix: 8 hex digits (32 bits), enough that two names of one cluster never meet in practice. */
const HASH_LENGTH = 8;

/** A short, stable hash of the parts (joined by NUL, so ["a-b", "c"] and ["a", "b-c"] differ). */
function shortHash(parts: readonly string[]): string {
    return crypto.createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, HASH_LENGTH);
}

/**
 * `cleaned` as it is when it equals `raw` and fits; otherwise cut to leave room for "-<hash of the raw parts>" and
 * suffixed with it, so two inputs that clean or cut to the same text still differ. `trim` removes what may not end
 * the cut text.
 */
function withHashWhenChanged(cleaned: string, raw: string, hashOf: readonly string[], trim: RegExp): string {
    if (cleaned === raw && cleaned.length <= MAX_LABEL_LENGTH) return cleaned;
    const body = cleaned.slice(0, MAX_LABEL_LENGTH - HASH_LENGTH - 1).replace(trim, "");
    return body === "" ? shortHash(hashOf) : `${body}-${shortHash(hashOf)}`;
}

/** `text` lowercased, every run of characters a DNS-1123 label may not hold made one "-", none at either end. */
function dnsText(text: string): string {
    return text
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "");
}

/**
 * The namespace of a stack: `coverage-spy-<project>-<stack>` as a DNS-1123 label. Unchanged when it already is one
 * (lowercase, digits, "-", at most 63 characters); otherwise cleaned, cut and suffixed with a hash of the project and
 * stack, so two stacks of a project (two branches) never share a namespace. One ambiguity is left by design, for
 * readable names: projects "a-b" with stack "c" and "a" with stack "b-c" both give `coverage-spy-a-b-c`.
 */
export function stackNamespace(project: string, stack: string): string {
    const raw = `${OBJECT_PREFIX}-${project}-${stack}`;
    return withHashWhenChanged(dnsText(raw), raw, [project, stack], /-+$/);
}

/**
 * `text` as a label value: kept when it is one; otherwise every character a label value may not hold made "-", no
 * letter-less end, cut to 63 with a hash of the original, so distinct texts keep distinct values.
 */
export function labelValue(text: string): string {
    if (LABEL_VALUE.test(text) && text.length <= MAX_LABEL_LENGTH) return text;
    const cleaned = text.replace(/[^-A-Za-z0-9_.]/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
    return withHashWhenChanged(cleaned, text, [text], /[^A-Za-z0-9]+$/);
}

/** Whether `name` is a DNS-1123 label (what a namespace or a Service may be named). */
export function isDnsLabel(name: string): boolean {
    return DNS_LABEL.test(name) && name.length <= MAX_LABEL_LENGTH;
}

/** The labels every object of the stack carries (recovery and destroy find them by these), as valid label values. */
export function stackLabels(project: string, stack: string): Record<string, string> {
    return { [LABEL_PROJECT]: labelValue(project), [LABEL_STACK]: labelValue(stack) };
}
