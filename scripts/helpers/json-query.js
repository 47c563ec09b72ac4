// Small questions about a JSON document some tool printed, for the shell scripts.
//
//   node scripts/helpers/json-query.js field NAME [FILE]
//       prints the top-level field NAME of the JSON object in FILE, or on stdin: `go mod download -json`'s Dir,
//       a jest --json result's numPassedTests (scripts/lib.sh: json_field). Fails when the field is missing.
//   node scripts/helpers/json-query.js has-plugin KIND NAME VERSION
//       exit 0 when `pulumi plugin ls --json` (on stdin; empty means none) lists that plugin, else 1.
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

/** Runs one command (argv without node and the script) on the input text; returns [stdout lines, exit code]. */
function run(argv, readInput) {
    const [command, ...rest] = argv;
    if (command === "field" && (rest.length === 1 || rest.length === 2)) {
        return [[field(readInput(rest[1]), rest[0])], 0];
    }
    if (command === "has-plugin" && rest.length === 3) {
        return [[], hasPlugin(readInput(), rest[0], rest[1], rest[2]) ? 0 : 1];
    }
    throw new Error("usage: json-query.js field NAME [FILE] | has-plugin KIND NAME VERSION");
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

module.exports = { field, hasPlugin, run };
