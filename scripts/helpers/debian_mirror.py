"""The Debian archive URL this host's apt already uses, for debootstrap (scripts/base-images.sh).

    python3 scripts/helpers/debian_mirror.py CODENAME SOURCES_FILE...

Prints the first deb source whose suites include CODENAME (this host's release), else the first for a plain
release (stable, testing, unstable, sid), else the first non-security ".../debian" archive. Reads deb822
``*.sources`` files and one-line ``sources.list`` / ``*.list`` files. Exits with a message when none fits.
"""

import re
import sys

PLAIN_RELEASES = ("stable", "testing", "unstable", "sid")
URI_SCHEMES = ("http://", "https://", "file:/")


def deb822_entries(text):
    """(uri, suites) of each enabled "Types: deb" stanza's URIs in a deb822 ``.sources`` file."""
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields, key = {}, None
        for line in stanza.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            entries.append((uri, fields.get("suites", "").split()))
    return entries


def one_line_entries(text):
    """(uri, [suite]) of each "deb" line in a one-line ``sources.list`` file (options in [...] skipped)."""
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        parts = line.split()[1:]
        if parts and parts[0].startswith("["):  # options: [arch=amd64 signed-by=...]
            while parts and not parts[0].endswith("]"):
                parts.pop(0)
            parts = parts[1:]
        if len(parts) >= 2:
            entries.append((parts[0], [parts[1]]))
    return entries


def read_entries(paths):
    """(uri, suites) of every deb source in the files, in order."""
    entries = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        entries.extend(deb822_entries(text) if path.endswith(".sources") else one_line_entries(text))
    return entries


def pick_mirror(entries, codename):
    """The archive URL (no trailing slash) to bootstrap from, or None when no entry fits."""

    def this_release(uri, suites):
        return bool(codename) and codename in suites

    def plain_release(uri, suites):
        return any(s == codename or s in PLAIN_RELEASES for s in suites)

    def any_debian(uri, suites):
        return not any("security" in s for s in suites) and "/debian" in uri and "security" not in uri

    for want in (this_release, plain_release, any_debian):
        for uri, suites in entries:
            if uri.startswith(URI_SCHEMES) and want(uri, suites):
                return uri.rstrip("/")
    return None


def main(argv):
    """Prints the mirror for argv = [codename, file...]; returns the exit status (or its message)."""
    if not argv:
        return "usage: debian_mirror.py CODENAME SOURCES_FILE..."
    mirror = pick_mirror(read_entries(argv[1:]), argv[0])
    if mirror is None:
        return "no Debian archive found among this host's apt sources"
    print(mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
