/**
 * Compose's variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
 * ${VAR:+alternative}, ${VAR+alternative}, and $$ for a literal "$". Defaults and alternatives are substituted
 * too, so they may name other variables. An unset variable without a default becomes "" (compose warns too).
 */
export type Variables = Record<string, string | undefined>;

export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The text of a ${...} starting at `open` (the "{"), up to its matching "}"; nested ${...} are skipped. */
function braced(text: string, open: number): { inner: string; end: number } {
    let depth = 0;
    for (let i = open; i < text.length; i++) {
        if (text[i] === "$" && text[i + 1] === "$") { i++; continue; }
        if (text[i] === "{") depth++;
        if (text[i] === "}" && --depth === 0) return { inner: text.slice(open + 1, i), end: i };
    }
    throw new InterpolationError(`unclosed "\${" in ${JSON.stringify(text)}`);
}

export function interpolate(text: string, vars: Variables, unset: (name: string) => void = () => undefined): string {
    let out = "";
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c !== "$") { out += c; continue; }
        const next = text[i + 1];
        if (next === "$") { out += "$"; i++; continue; }
        if (next === "{") {
            const { inner, end } = braced(text, i + 1);
            out += substitute(inner, vars, unset, text);
            i = end;
            continue;
        }
        const name = NAME.exec(text.slice(i + 1));
        if (!name) { out += "$"; continue; }
        out += value(name[0], vars, unset);
        i += name[0].length;
    }
    return out;
}

function value(name: string, vars: Variables, unset: (name: string) => void): string {
    const v = vars[name];
    if (v === undefined) { unset(name); return ""; }
    return v;
}

function substitute(inner: string, vars: Variables, unset: (name: string) => void, whole: string): string {
    const name = NAME.exec(inner);
    if (!name) throw new InterpolationError(`invalid substitution "\${${inner}}" in ${JSON.stringify(whole)}`);
    const rest = inner.slice(name[0].length);
    const v = vars[name[0]];
    const isSet = v !== undefined;
    const nonEmpty = isSet && v !== "";
    const operand = (op: string) => interpolate(rest.slice(op.length), vars, unset);
    if (rest === "") return value(name[0], vars, unset);
    if (rest.startsWith(":-")) return nonEmpty ? v! : operand(":-");
    if (rest.startsWith("-")) return isSet ? v! : operand("-");
    if (rest.startsWith(":+")) return nonEmpty ? operand(":+") : "";
    if (rest.startsWith("+")) return isSet ? operand("+") : "";
    if (rest.startsWith(":?") || rest.startsWith("?")) {
        const strict = rest.startsWith(":?");
        if (strict ? nonEmpty : isSet) return v!;
        const message = operand(strict ? ":?" : "?");
        throw new InterpolationError(`required variable ${name[0]} is ${isSet ? "empty" : "missing"}${message ? `: ${message}` : ""}`);
    }
    throw new InterpolationError(`invalid substitution "\${${inner}}" in ${JSON.stringify(whole)}`);
}
