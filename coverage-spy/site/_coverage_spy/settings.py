"""The spy's settings, and its choice of the measurement core.

The settings are the [coverage_spy] section of the file COVERAGE_PROCESS_START names (coverage.py ignores the
section), and the few [run] options that decide the core.
"""

from __future__ import annotations

import configparser
import signal
import sys

SECTION = "coverage_spy"
# The generated rcfile sets every option (their defaults live in components/options/optionTable.ts, once). An
# rcfile without them, one written by hand, turns the spy's own features off instead: coverage.py picks the core,
# no periodic saves, no snapshot or reset signal, no per-test contexts.
WHEN_MISSING = {
    "core": "",
    "save_interval": "0",
    "snapshot_signal": "off",
    "reset_signal": "off",
    "contexts": "false",
}
# What configparser's getboolean accepts as true, as coverage.py reads [run] branch (and the spy its contexts).
TRUE_WORDS = ("1", "true", "yes", "on")
# The concurrency libraries sys.monitoring cannot follow.
NOT_FOR_SYSMON = {"greenlet", "eventlet", "gevent"}


class Settings:
    """The settings of one rcfile. Reading it raises what configparser raises, or ValueError for a bad value."""

    def __init__(self, rcfile: str) -> None:
        """Reads `rcfile`; a missing section or option turns its feature off (WHEN_MISSING)."""
        parser = configparser.RawConfigParser()
        parser.read(rcfile)

        def spy(key: str) -> str:
            """The value of one of the spy's own settings, or its value when missing."""
            return parser.get(SECTION, key, fallback=WHEN_MISSING[key]).strip()

        self.core: str = spy("core")
        self.save_interval: float = float(spy("save_interval"))
        self.snapshot_signal: int | None = parse_signal(spy("snapshot_signal"))
        self.reset_signal: int | None = parse_signal(spy("reset_signal"))
        # Per-test contexts (contexts.py): the process listens for the relay's test boundaries.
        self.contexts: bool = spy("contexts").lower() in TRUE_WORDS
        self.branch: bool = parser.get("run", "branch", fallback="false").strip().lower() in TRUE_WORDS
        self.concurrency: set[str] = set(parser.get("run", "concurrency", fallback="").replace(",", " ").split())
        self.dynamic_context: bool = bool(parser.get("run", "dynamic_context", fallback="").strip())


def parse_signal(text: str) -> int | None:
    """The number of a signal written "SIGUSR2", "usr2", "SIGRTMIN+4", "SIGRTMAX-1" or "12"; None for "off"."""
    if text.lower() in ("", "off", "none"):
        return None
    if text.isdigit():
        return int(text)
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    for base in ("SIGRTMIN", "SIGRTMAX"):
        if name.startswith((base + "+", base + "-")):
            offset = int(name[len(base) :])
            return int(getattr(signal, base)) + offset
    return int(getattr(signal, name))


def choose_core(settings: Settings, version: tuple[int, int] | None = None) -> str | None:
    """The core to ask coverage.py for, or None for coverage.py's own choice (ctrace, or pytrace without it).

    "auto" is sysmon on Python 3.12+ where sys.monitoring can measure what the settings ask (branches only from
    3.14, no dynamic contexts, no greenlet-style concurrency); any other setting is taken as it is.
    """
    version = version or sys.version_info[:2]
    if settings.core == "":
        return None
    if settings.core != "auto":
        return settings.core
    sysmon_ok = (
        version >= (3, 12)
        and (not settings.branch or version >= (3, 14))
        and not settings.dynamic_context
        and not settings.concurrency & NOT_FOR_SYSMON
    )
    return "sysmon" if sysmon_ok else None
