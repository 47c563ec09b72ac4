/**
 * Splits a command string into words as compose does (go-shellwords): single quotes literal, double quotes
 * with \" \\ \$ \` escapes, a backslash elsewhere escapes the next character; no variable expansion (compose
 * substituted the variables already).
 */
export function shellWords(text: string): string[] {
    const words: string[] = [];
    let word = "";
    let inWord = false;
    let quote: string | null = null;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quote) {
            if (c === quote) quote = null;
            else if (c === "\\" && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]))
                word += text[++i];
            else word += c;
        } else if (c === "'" || c === '"') {
            quote = c;
            inWord = true;
        } else if (c === "\\" && i + 1 < text.length) {
            word += text[++i];
            inWord = true;
        } else if (/\s/.test(c)) {
            if (inWord) words.push(word);
            word = "";
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (quote) throw new Error(`unclosed ${quote} in ${JSON.stringify(text)}`);
    if (inWord) words.push(word);
    return words;
}
