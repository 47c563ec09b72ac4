// What package.json pins, for the shell scripts (scripts/lib.sh: package_json, pinned_*_version).
//
//   node scripts/helpers/package-json.js [--file PACKAGE_JSON] pin NAME   exact version of a dependency or devDependency
//   node scripts/helpers/package-json.js [--file PACKAGE_JSON] config KEY the string at config.KEY
//   node scripts/helpers/package-json.js [--file PACKAGE_JSON] archives   "NAME SHA256" per config.upstreamArchives *.tar.gz
//
// The default file is the repo's package.json. Fails (exit 1, the reason on stderr) when the answer is not there.
"use strict";
const fs = require("fs");
const path = require("path");

const DEFAULT_FILE = path.join(__dirname, "..", "..", "package.json");

/** The exact version (x.y.z) a dependency or devDependency is pinned at; throws when it is missing or a range. */
function pinnedVersion(pkg, name) {
    const version = (pkg.dependencies || {})[name] || (pkg.devDependencies || {})[name];
    if (!version || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`no exact pin for ${name}`);
    return version;
}

/** The string at config.KEY; throws when there is none. */
function configValue(pkg, key) {
    const value = (pkg.config || {})[key];
    if (typeof value !== "string" || value === "") throw new Error(`package.json has no config.${key}`);
    return value;
}

/** [name, sha256] of each release archive config.upstreamArchives pins (the *.tar.gz keys; "_comment" is not one). */
function upstreamArchives(pkg) {
    const archives = (pkg.config || {}).upstreamArchives || {};
    return Object.entries(archives).filter(([name]) => name.endsWith(".tar.gz"));
}

/** Runs one command (argv without node and the script); returns the lines to print. Throws on a bad answer. */
function run(argv) {
    let file = DEFAULT_FILE;
    const args = [...argv];
    if (args[0] === "--file") {
        file = args[1];
        args.splice(0, 2);
    }
    const [command, ...rest] = args;
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    switch (command) {
        case "pin":
            if (rest.length !== 1) break;
            return [pinnedVersion(pkg, rest[0])];
        case "config":
            if (rest.length !== 1) break;
            return [configValue(pkg, rest[0])];
        case "archives":
            if (rest.length !== 0) break;
            return upstreamArchives(pkg).map(([name, sha]) => `${name} ${sha}`);
    }
    throw new Error("usage: package-json.js [--file PACKAGE_JSON] pin NAME | config KEY | archives");
}

if (require.main === module) {
    try {
        for (const line of run(process.argv.slice(2))) console.log(line);
    } catch (err) {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(1);
    }
}

module.exports = { pinnedVersion, configValue, upstreamArchives, run };
