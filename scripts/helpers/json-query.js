// Small questions about a JSON document some tool printed, for the shell scripts.
//
//   node scripts/helpers/json-query.js field NAME [FILE]
//       prints the top-level field NAME of the JSON object in FILE, or on stdin: `go mod download -json`'s Dir,
//       a jest --json result's numPassedTests (scripts/lib.sh: json_field). Fails when the field is missing.
//   node scripts/helpers/json-query.js has-plugin KIND NAME VERSION
//       exit 0 when `pulumi plugin ls --json` (on stdin; empty means none) lists that plugin, else 1.
//   node scripts/helpers/json-query.js failed-tests [FILE]
//       a line per failed test of a jest --json result (its file, its name, what its error says): printed
//       again at the end of a long run, whose failures are far above its last lines, the part a CI log shows.
"use strict";
const fs = require("fs");

/** The top-level field of a JSON object, as printed by the shell (strings bare, anything else as JSON). */
function field(text, name) {
    const doc = JSON.parse(text);
    if (doc === null || typeof doc !== "object" || !(name in doc) || doc[name] === undefined || doc[name] === null) {
        throw new Error(`the JSON has no field ${name}`);
    }
    const value = doc[name];
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** Does `pulumi plugin ls --json`'s output (empty: no plugins) list the plugin KIND NAME at VERSION? */
function hasPlugin(text, kind, name, version) {
    const list = JSON.parse(text.trim() || "[]");
    return Array.isArray(list) && list.some((p) => p.kind === kind && p.name === name && p.version === version);
}

/** Jest's messages are coloured for a terminal: the escape sequences, to drop. */
// eslint-disable-next-line no-control-regex -- the escape byte is what is matched
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * What a jest failure message says, in a line: its first line and, when a command's output follows it (a failed
 * `pulumi up`), the last line there that names an error, which is usually the cause.
 */
function gist(message) {
    const lines = message
        .replace(ANSI, "")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("at "));
    if (lines.length === 0) return "(no message)";
    const cause = lines
        .slice(1)
        .reverse()
        .find((l) => /\berror\b/i.test(l) && !/^[>|\d]/.test(l));
    return (cause === undefined ? lines[0] : `${lines[0]} … ${cause}`).slice(0, 400);
}

/**
 * A line per failed test of a jest --json result, as `FILE › TEST NAME: what its error says`, and one per test
 * file that failed to run at all (a syntax error, a failing hook), paths relative to `root`.
 */
function failedTests(text, root) {
    const doc = JSON.parse(text);
    const lines = [];
    for (const file of doc.testResults ?? []) {
        const name = file.name.startsWith(root + "/") ? file.name.slice(root.length + 1) : file.name;
        const failed = (file.assertionResults ?? []).filter((a) => a.status === "failed");
        for (const a of failed) lines.push(`${name} › ${a.fullName}: ${gist((a.failureMessages ?? []).join("\n"))}`);
        if (failed.length === 0 && file.status === "failed") lines.push(`${name}: ${gist(file.message ?? "")}`);
    }
    return lines;
}

/** Runs one command (argv without node and the script) on the input text; returns [stdout lines, exit code]. */
function run(argv, readInput) {
    const [command, ...rest] = argv;
    if (command === "field" && (rest.length === 1 || rest.length === 2)) {
        return [[field(readInput(rest[1]), rest[0])], 0];
    }
    if (command === "has-plugin" && rest.length === 3) {
        return [[], hasPlugin(readInput(), rest[0], rest[1], rest[2]) ? 0 : 1];
    }
    if (command === "failed-tests" && rest.length <= 1) {
        return [failedTests(readInput(rest[0]), process.cwd()), 0];
    }
    throw new Error("usage: json-query.js field NAME [FILE] | has-plugin KIND NAME VERSION | failed-tests [FILE]");
}

/** The text of FILE, or of stdin when no file is given. */
function readInput(file) {
    return fs.readFileSync(file === undefined ? 0 : file, "utf8");
}

if (require.main === module) {
    try {
        const [lines, code] = run(process.argv.slice(2), readInput);
        for (const line of lines) console.log(line);
        process.exitCode = code;
    } catch (err) {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(1);
    }
}

module.exports = { field, hasPlugin, failedTests, run };
