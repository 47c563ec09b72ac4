"""One short-lived process: `python3 -m scale_app.child NUMBER` prints the result of its steps and exits."""

from __future__ import annotations

import sys

from scale_app import work


def main(argv: list[str]) -> int:
    """Runs the number's steps; the exit status says whether the argument was a number."""
    if len(argv) != 1 or not argv[0].isdigit():
        sys.stderr.write("usage: python3 -m scale_app.child NUMBER\n")
        return 2
    print(work.run(int(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
