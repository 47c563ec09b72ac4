"""Greenlets the measuring core does not follow: found in a measured process, so its records and stderr say so.

coverage.py's tracers (ctrace, pytrace) keep a stack of the frames they measure, moved by call and return events.
A greenlet switch changes the running frame with neither, so unless [run] concurrency names the library, they go
on recording a resumed greenlet's lines into the file of the frame they saw last: lines run in greenlets are
counted in the wrong file (false hits in code that never ran) or dropped. sys.monitoring (core sysmon, Python
3.12+) keeps no such stack: every line event names its code object, so it measures greenlets exactly, with no
setting (measured under gunicorn -k gevent with Flask on Python 3.11 and 3.13).

The spy cannot set concurrency itself: coverage.py must have it when it starts, before the app has imported
gevent; coverage.py then imports gevent into every process and gives up sysmon for ctrace. So the spy looks
afterwards, at the modules the app itself imported (it never imports gevent), and names the option to set.
Only gevent is looked for: eventlet and bare greenlet (SQLAlchemy's asyncio layer) have the same problem, but no
cheap sign that their greenlets ran.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _coverage_spy.settings import Settings

# The cores that follow greenlets with no setting, by the names the start record has (the tracer's, or the one
# asked for when coverage.py does not say).
FOLLOWING_CORES = {"SysMonitor", "sysmon"}
# The libraries looked for, each with the [run] concurrency values under which coverage.py's tracers follow its
# greenlets (gevent's are greenlet's: concurrency = greenlet follows them too).
FOLLOWED_BY = {"gevent": {"gevent", "greenlet"}}
# coverage.py takes at most one of these ("Conflicting concurrency settings").
GREENLET_LIBRARIES = {"greenlet", "eventlet", "gevent"}


def unfollowed(settings: Settings, core: str | None) -> list[str]:
    """The concurrency libraries this process ran that its core measures wrongly: [] or ["gevent"]. Never raises.

    Wrong means: a tracer (not sysmon) and [run] concurrency without the library, once the app has run greenlets.
    """
    if core in FOLLOWING_CORES:
        return []
    return [name for name, values in FOLLOWED_BY.items() if not values & settings.concurrency and _ran(name)]


def fixed_concurrency(configured: list[str], libraries: list[str]) -> list[str]:
    """The [run] concurrency that follows `libraries`, from the `configured` one.

    `libraries` take the place of its greenlet library, if it has one: coverage.py takes one at most.
    """
    return [c for c in configured if c not in GREENLET_LIBRARIES] + libraries


def _ran(name: str) -> bool:
    """Whether the app ran the library's greenlets: only modules already imported are looked at."""
    try:
        return _gevent_ran() if name == "gevent" else False
    except Exception:  # noqa: BLE001
        # Another gevent release without these functions, or one raising: say nothing rather than break the app
        # (the process is measured as before, only without the warning).
        return False


def _gevent_ran() -> bool:
    """Whether gevent ran: its monkey-patching is in effect, or this thread has a gevent hub.

    Patched: gunicorn's gevent worker, gevent.monkey.patch_all(). A hub: greenlets spawned without patching.
    """
    monkey = sys.modules.get("gevent.monkey")
    is_anything_patched = getattr(monkey, "is_anything_patched", None)
    if is_anything_patched is not None and is_anything_patched():
        return True
    # Importing gevent creates no hub: spawning, sleeping or waiting does. gunicorn's master imports gevent for
    # its worker class, and neither patches nor has a hub.
    hub_local = sys.modules.get("gevent._hub_local")
    get_hub_if_exists = getattr(hub_local, "get_hub_if_exists", None)
    return get_hub_if_exists is not None and get_hub_if_exists() is not None
