import { InterpolationError, interpolate, lookupIn } from "./interpolate";

/** Values a file may refer to; undefined = not set. */
export type Lookup = (name: string) => string | undefined;

export class EnvFileError extends Error {}

/** Compose accepts these in a name (compose-go's dotenv parser). */
const KEY_CHAR = /[A-Za-z0-9_.\-[\]]/;
/** Escapes compose expands in double quotes; `\$` becomes `$$` so it survives substitution as a literal "$". */
const ESCAPES: Record<string, string> = {
    a: "\x07",
    b: "\b",
    f: "\f",
    n: "\n",
    r: "\r",
    t: "\t",
    v: "\v",
    $: "$$",
    '"': '"',
    "\\": "\\",
};

/**
 * Reads an env file (env_file:, or the .env beside the compose file) as compose's dotenv reader does:
 * KEY=VALUE (or KEY: VALUE) lines, `#` comments, an optional `export ` prefix; single quotes are literal;
 * double quotes may span lines, expand \n, \t, \", \\, \$... and substitute variables; an unquoted value ends
 * at " #" and substitutes variables. Substitution looks in `lookup` first, then at the keys above. A bare KEY
 * takes its value from `lookup` and is left out when unset there. Errors name the file and line.
 */
export function parseEnvFile(
    text: string,
    where: string,
    lookup: Lookup = () => undefined,
    unset: (name: string) => void = () => undefined,
): Record<string, string> {
    const env: Record<string, string> = {};
    const above = lookupIn(env);
    const substitute = (value: string, line: number): string => {
        try {
            return interpolate(value, (name) => lookup(name) ?? above(name), unset);
        } catch (err) {
            if (err instanceof InterpolationError) throw new EnvFileError(`${where}:${line}: ${err.message}`);
            throw err;
        }
    };
    let i = 0;
    let line = 1;
    const skipBlank = () => {
        while (i < text.length && /\s/.test(text[i])) line += text[i++] === "\n" ? 1 : 0;
    };
    const restOfLine = () => {
        const end = text.indexOf("\n", i);
        const rest = text.slice(i, end < 0 ? text.length : end);
        i = end < 0 ? text.length : end;
        return rest;
    };
    for (skipBlank(); i < text.length; skipBlank()) {
        if (text[i] === "#") {
            restOfLine();
            continue;
        }
        const start = line;
        const exported = /^export[ \t]+/.exec(text.slice(i, i + 20));
        if (exported) i += exported[0].length;
        let key = "";
        while (i < text.length && !"=:\n".includes(text[i])) key += text[i++];
        key = key.replace(/[ \t\r]+$/, "");
        const bad = [...key].find((c) => !KEY_CHAR.test(c));
        if (key === "" || bad !== undefined) {
            throw new EnvFileError(
                `${where}:${start}: ${key === "" ? "a value without a name" : `unexpected character ${JSON.stringify(bad)} in variable name ${JSON.stringify(key)}`}`,
            );
        }
        if (i >= text.length || text[i] === "\n") {
            const inherited = lookup(key);
            if (inherited !== undefined) env[key] = inherited;
            continue;
        }
        i++;
        while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
        const quote = text[i];
        if (quote !== "'" && quote !== '"') {
            env[key] = substitute(restOfLine().split(" #")[0].replace(/\s+$/, ""), start);
            continue;
        }
        const { inner, end } = quoted(text, i, `${where}:${start}`);
        for (let k = i; k < end; k++) if (text[k] === "\n") line++;
        i = end + 1;
        const trailing = restOfLine().trim();
        if (trailing !== "" && !trailing.startsWith("#"))
            throw new EnvFileError(
                `${where}:${start}: unexpected ${JSON.stringify(trailing)} after the closing ${quote}`,
            );
        env[key] =
            quote === "'"
                ? inner
                : substitute(
                      inner.replace(
                          /\\(0[0-7]{0,3}|[abfnrtv$"\\])/g,
                          (_m, c: string) => ESCAPES[c] ?? String.fromCharCode(parseInt(c, 8)),
                      ),
                      start,
                  );
    }
    return env;
}

/**
 * A quoted value starting at `open`: its text (an escaped closing quote unescaped, other escapes kept) and where it
 * closes.
 */
function quoted(text: string, open: number, where: string): { inner: string; end: number } {
    const quote = text[open];
    let inner = "";
    for (let i = open + 1; i < text.length; i++) {
        const c = text[i];
        if (c === "\\" && i + 1 < text.length) {
            inner += text[i + 1] === quote ? quote : c + text[i + 1];
            i++;
        } else if (c === quote) {
            return { inner, end: i };
        } else {
            inner += c;
        }
    }
    throw new EnvFileError(`${where}: unterminated quoted value ${text.slice(open).split("\n")[0]}`);
}
