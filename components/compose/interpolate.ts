/**
 * Compose's variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
 * ${VAR:+alternative}, ${VAR+alternative}, and $$ for a literal "$". Defaults, alternatives and messages are
 * substituted too, so they may name other variables; they are only read when used (as compose-go does). An
 * unset variable without a default becomes "" and is passed to `unset` (compose warns). A "$" followed by
 * anything else is kept, as compose keeps it.
 */
export type Variables = Record<string, string | undefined>;
/** Where values come from: a record, or a function (to chain several sources). */
export type VariableSource = Variables | ((name: string) => string | undefined);

export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Own keys only: a variable named "constructor" must not find Object's. */
export function lookupIn(vars: VariableSource): (name: string) => string | undefined {
    if (typeof vars === "function") return vars;
    return (name) => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined);
}

/**
 * The text of a ${...} starting at `open` (the "{"), up to its matching "}". Like compose, only "${" opens a
 * nested level, so a lone "{" in a default does not swallow the closing brace.
 */
function braced(text: string, open: number): { inner: string; end: number } {
    let depth = 1;
    for (let i = open + 1; i < text.length; i++) {
        if (text[i] === "$" && text[i + 1] === "$") {
            i++;
            continue;
        }
        if (text[i] === "$" && text[i + 1] === "{") {
            depth++;
            i++;
            continue;
        }
        if (text[i] === "}" && --depth === 0) return { inner: text.slice(open + 1, i), end: i };
    }
    throw new InterpolationError(`unclosed "\${" in ${JSON.stringify(text)}`);
}

export function interpolate(
    text: string,
    vars: VariableSource,
    unset: (name: string) => void = () => undefined,
): string {
    const get = lookupIn(vars);
    let out = "";
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c !== "$") {
            out += c;
            continue;
        }
        const next = text[i + 1];
        if (next === "$") {
            out += "$";
            i++;
            continue;
        }
        if (next === "{") {
            const { inner, end } = braced(text, i + 1);
            out += substitute(inner, get, unset, text);
            i = end;
            continue;
        }
        const name = NAME.exec(text.slice(i + 1));
        if (!name) {
            out += "$";
            continue;
        }
        out += value(name[0], get, unset);
        i += name[0].length;
    }
    return out;
}

function value(name: string, get: (name: string) => string | undefined, unset: (name: string) => void): string {
    const v = get(name);
    if (v === undefined) {
        unset(name);
        return "";
    }
    return v;
}

function substitute(
    inner: string,
    get: (name: string) => string | undefined,
    unset: (name: string) => void,
    whole: string,
): string {
    const name = NAME.exec(inner);
    if (!name) throw new InterpolationError(`invalid substitution "\${${inner}}" in ${JSON.stringify(whole)}`);
    const rest = inner.slice(name[0].length);
    const v = get(name[0]);
    const isSet = v !== undefined;
    const nonEmpty = isSet && v !== "";
    const operand = (op: string) => interpolate(rest.slice(op.length), get, unset);
    if (rest === "") return value(name[0], get, unset);
    if (rest.startsWith(":-")) return nonEmpty ? v : operand(":-");
    if (rest.startsWith("-")) return isSet ? v : operand("-");
    if (rest.startsWith(":+")) return nonEmpty ? operand(":+") : "";
    if (rest.startsWith("+")) return isSet ? operand("+") : "";
    if (rest.startsWith(":?") || rest.startsWith("?")) {
        const strict = rest.startsWith(":?");
        if (strict ? nonEmpty : isSet) return v!;
        // Compose's own wording, so the message matches what `docker compose config` says.
        const message = operand(strict ? ":?" : "?");
        throw new InterpolationError(`required variable ${name[0]} is missing a value${message ? `: ${message}` : ""}`);
    }
    throw new InterpolationError(`invalid substitution "\${${inner}}" in ${JSON.stringify(whole)}`);
}
