/**
 * Reads a compose env file (env_file:, or the .env next to the compose file): KEY=VALUE lines, `#` comments,
 * an optional `export ` prefix, single quotes (literal) and double quotes (with \n, \t, \", \\ escapes).
 * An unquoted value ends at " #" (an inline comment). A bare KEY takes its value from `fallback`, if any.
 */
export function parseEnvFile(text: string, where: string, fallback: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    text.split(/\r?\n/).forEach((raw, index) => {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) return;
        const body = line.replace(/^export\s+/, "");
        const eq = body.indexOf("=");
        const key = (eq < 0 ? body : body.slice(0, eq)).trim();
        if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new Error(`${where}:${index + 1}: "${key}" is not a variable name`);
        if (eq < 0) {
            if (fallback[key] !== undefined) env[key] = fallback[key]!;
            return;
        }
        env[key] = unquote(body.slice(eq + 1).trim(), `${where}:${index + 1}`);
    });
    return env;
}

function unquote(value: string, where: string): string {
    const quote = value[0];
    if (quote === "'" || quote === '"') {
        let close = 1;
        while (close < value.length && value[close] !== quote) close += quote === '"' && value[close] === "\\" ? 2 : 1;
        if (close >= value.length) close = -1;
        if (close < 0) throw new Error(`${where}: unclosed ${quote} quote`);
        const inner = value.slice(1, close);
        if (quote === "'") return inner;
        return inner.replace(/\\([nt"\\])/g, (_m, c: string) => ({ n: "\n", t: "\t", '"': '"', "\\": "\\" } as Record<string, string>)[c]);
    }
    return value.replace(/\s+#.*$/, "");
}
