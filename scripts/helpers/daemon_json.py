"""Sets one key of a Docker daemon.json, keeping the others (scripts/docker-engine.sh points init-path at tini).

    python3 scripts/helpers/daemon_json.py PATH KEY VALUE

A missing or empty file becomes ``{"KEY": "VALUE"}``; the folder is created when missing. Written with a
2-space indent and a final newline.
"""

import json
import os
import sys


def set_key(path, key, value):
    """Sets KEY to the string VALUE in the JSON object at PATH (created when missing or empty)."""
    config = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if text.strip():
            config = json.loads(text)
            if not isinstance(config, dict):
                raise ValueError(f"{path} does not hold a JSON object")
    config[key] = value
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def main(argv):
    """Runs the command line (argv without the program name); returns the exit status or its message."""
    if len(argv) != 3:
        return "usage: daemon_json.py PATH KEY VALUE"
    try:
        set_key(*argv)
    except (OSError, ValueError) as e:
        return f"cannot set {argv[1]} in {argv[0]}: {e}"
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
