"""coverage-spy's runtime inside every measured process (imported by sitecustomize.py).

- picks the coverage.py build that fits this Python from the mounted spy lib;
- picks the measurement core (sysmon on 3.12+ where it can measure what is asked, else coverage's default);
- leaves records next to the data files, so the harvester can tell a clean exit from a lost or killed process:
    .start.<host>.pid<pid>.json   when measuring starts (also in forked children)
    .saves.<host>.pid<pid>.json   after every save while running: counts of periodic saves, snapshots, resets
    .end.<host>.pid<pid>.json     when the process leaves through exit, os._exit, SIGTERM or exec, data saved
- saves every `save_interval` seconds from a background thread, so a SIGKILL or the OOM killer loses at most
  that slice; the thread is stopped around fork() so forks never see it (no lock held, no 3.12+ fork warning:
  see Spy._before_fork and _wrap_fork for how that is kept true on 3.12, 3.13 and 3.14);
- on the snapshot signal saves now, on the reset signal discards what was collected; the process runs on.

Settings come from the [coverage_spy] section of the file COVERAGE_PROCESS_START names (coverage.py ignores it).
Standard library only; nothing here may break the app.
"""
import os
import sys

SECTION = "coverage_spy"
LIB_MANIFEST = "coverage-spy-lib.json"
DEFAULTS = {"core": "auto", "save_interval": "5", "snapshot_signal": "SIGRTMIN+4", "reset_signal": "SIGRTMIN+5"}
WARNED_ENV = "COVERAGE_SPY_WARNED"


def warn_once(message):
    # Children inherit the environment, so a broken setup is reported once, not by every worker.
    if not os.environ.get(WARNED_ENV):
        os.environ[WARNED_ENV] = "1"
        sys.stderr.write("coverage-spy: %s\n" % message)


class Settings(object):
    def __init__(self, rcfile):
        import configparser

        parser = configparser.RawConfigParser()
        parser.read(rcfile)
        get = lambda key: parser.get(SECTION, key, fallback=DEFAULTS[key]).strip()  # noqa: E731
        self.core = get("core")
        self.save_interval = float(get("save_interval"))
        self.snapshot_signal = parse_signal(get("snapshot_signal"))
        self.reset_signal = parse_signal(get("reset_signal"))
        self.branch = parser.get("run", "branch", fallback="false").strip().lower() in ("1", "true", "yes", "on")
        self.concurrency = set(parser.get("run", "concurrency", fallback="").replace(",", " ").split())
        self.dynamic_context = bool(parser.get("run", "dynamic_context", fallback="").strip())


def parse_signal(text):
    """"SIGUSR2", "SIGRTMIN+4", "12" or "off" (None)."""
    import signal

    if text.lower() in ("", "off", "none"):
        return None
    if text.isdigit():
        return int(text)
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    for base in ("SIGRTMIN", "SIGRTMAX"):
        if name.startswith(base + "+") or name.startswith(base + "-"):
            offset = int(name[len(base):])
            return int(getattr(signal, base)) + offset
    return int(getattr(signal, name))


def select_coverage_lib():
    """The spy lib holds coverage.py for the newest Pythons and older builds in sub-folders (its manifest says
    which): point sys.path at the one this Python can run. Returns a problem to report, or None."""
    import json

    here = sys.version_info[:2]
    for index, entry in enumerate(sys.path):
        manifest_path = os.path.join(entry or os.curdir, LIB_MANIFEST)
        if not os.path.isfile(manifest_path):
            continue
        with open(manifest_path) as f:
            manifest = json.load(f)
        for build in manifest["builds"]:
            if tuple(build["python"]) <= here:
                if build["dir"] != ".":
                    sys.path[index] = os.path.join(entry, build["dir"])
                return None
        return "the spy lib has no coverage.py for Python %d.%d (oldest: %s)" % (
            here + (".".join(map(str, manifest["builds"][-1]["python"])),))
    return None


def choose_core(settings, version=None):
    """The core to ask coverage.py for, or None for coverage.py's own choice (ctrace, or pytrace without it)."""
    version = version or sys.version_info[:2]
    if settings.core != "auto":
        return settings.core
    sysmon_ok = (
        version >= (3, 12)
        and (not settings.branch or version >= (3, 14))
        and not settings.dynamic_context
        and not settings.concurrency & {"greenlet", "eventlet", "gevent"}
    )
    return "sysmon" if sysmon_ok else None


def _host():
    import socket

    # coverage.py writes ".coverage.<host>.pid<pid>.X..." with dots in the host replaced: the records match it.
    return socket.gethostname().replace(".", "_")


def _command_line():
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return list(getattr(sys, "argv", []))


class Spy(object):
    """One per process (re-armed in forked children)."""

    def __init__(self, cov, settings, folder, core):
        import threading

        self.cov = cov
        self.settings = settings
        self.folder = folder
        self.core = core
        self.threading = threading
        # Fork bookkeeping (see "fork" below); kept across forks, unlike the per-process state.
        self.was_running = False
        self.deferred = False
        self.forking_thread = None
        self.fork_target = None
        self._new_process_state()

    def _new_process_state(self):
        self.lock = self.threading.Lock()
        self.wake = self.threading.Event()
        self.thread = None
        self.restart_pending = False
        self.stopping = False
        self.finished = False
        self.requests = {"snapshot": 0, "reset": 0}
        self.counts = {"saves": 0, "snapshot": 0, "reset": 0}

    # ---- records ----
    def _record_path(self, kind):
        return os.path.join(self.folder, ".%s.%s.pid%d.json" % (kind, _host(), os.getpid()))

    def _write_record(self, kind, record):
        import json

        path = self._record_path(kind)
        tmp = "%s.tmp" % path
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.replace(tmp, path)

    def write_start_record(self):
        import time

        try:
            # The same pid after exec, or a recycled pid: the old end record no longer speaks for it.
            for kind in ("end", "saves"):
                if os.path.exists(self._record_path(kind)):
                    os.remove(self._record_path(kind))
            self._write_record("start", {
                "pid": os.getpid(), "host": _host(), "command": _command_line(), "executable": sys.executable,
                "python": sys.version.split()[0], "started": time.time(), "core": self.core,
                "coverage": getattr(sys.modules.get("coverage"), "__version__", None),
                "saveInterval": self.settings.save_interval,
                # Numbers as this process's libc defines them (SIGRTMIN differs between glibc and musl).
                "signals": {"snapshot": self.settings.snapshot_signal, "reset": self.settings.reset_signal},
            })
        except Exception as exc:
            warn_once("could not write a start record (%r)" % (exc,))

    def _write_saves_record(self):
        import time

        self._write_record("saves", dict(self.counts, pid=os.getpid(), lastSave=time.time()))

    # ---- saving ----
    def save(self, reset=False):
        with self.lock:
            if self.finished:
                return
            self.cov.save()
            if reset:
                self._discard_collected()

    def _discard_collected(self):
        # Everything collected so far was just flushed into the data file: delete the file, start a new empty
        # one (the process is alive and measured), and let sys.monitoring report lines it had switched off.
        data = self.cov.get_data()
        data.erase()
        if self.settings.branch:
            data.add_arcs({})
        else:
            data.add_lines({})
        data.write()
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:
            monitoring.restart_events()

    def _loop(self):
        interval = self.settings.save_interval if self.settings.save_interval > 0 else None
        while True:
            self.wake.wait(interval)
            self.wake.clear()
            if self.stopping:
                return
            reset = self.requests["reset"] > self.counts["reset"]
            snapshot = self.requests["snapshot"] > self.counts["snapshot"]
            try:
                self.save(reset=reset)
            except Exception as exc:
                warn_once("a background save failed (%r)" % (exc,))
                continue
            self.counts["saves"] += 1
            if reset:
                self.counts["reset"] = self.requests["reset"]
            if snapshot:
                self.counts["snapshot"] = self.requests["snapshot"]
            try:
                self._write_saves_record()
            except Exception:
                pass

    def start_thread(self):
        if self.thread is not None or self.finished:
            return
        self.stopping = False
        self.thread = self.threading.Thread(target=self._loop, name="coverage-spy-saver", daemon=True)
        self.thread.start()

    def stop_thread(self):
        thread, self.thread = self.thread, None
        if thread is not None:
            self.stopping = True
            self.wake.set()
            # A save in progress finishes first; a stuck one must not hang the app.
            thread.join(5)
            self.wake.clear()
        return thread

    def _on_signal(self, kind):
        # Signal handlers run in the main thread: only flag the request and wake the saver.
        self.requests[kind] += 1
        self.wake.set()

    # ---- exits ----
    def finish(self, how):
        """The process leaves: stop the saver, save, and say so."""
        import time

        if self.finished:
            return
        self.stop_thread()
        try:
            self.save()
        except Exception:
            pass
        self.finished = True
        try:
            self._write_record("end", {"pid": os.getpid(), "how": how, "ended": time.time()})
        except Exception:
            pass

    def _wrap_exit_paths(self):
        import signal

        original_exit = os._exit

        def _exit(status):
            self.finish("os._exit")
            original_exit(status)

        os._exit = _exit

        for name in ("execv", "execve"):
            original = getattr(os, name, None)
            if original is None:
                continue

            def make(original, name):
                def exec_(*args, **kwargs):
                    self.finish(name)
                    try:
                        original(*args, **kwargs)
                    except BaseException:
                        # The exec failed and the process goes on: measure on.
                        self.finished = False
                        self._remove_record("end")
                        self.start_thread()
                        raise
                return exec_

            setattr(os, name, make(original, name))

        handler = signal.getsignal(signal.SIGTERM)
        if getattr(handler, "__self__", None) is self.cov:
            # coverage.py saves on SIGTERM and then dies by the signal, skipping atexit: record the end first.
            def on_sigterm(signum, frame):
                self.finish("sigterm")
                handler(signum, frame)

            signal.signal(signal.SIGTERM, on_sigterm)

    def _remove_record(self, kind):
        try:
            os.remove(self._record_path(kind))
        except OSError:
            pass

    # ---- fork ----
    # Python 3.12+ warns in os.fork()/os.forkpty() when the process has more than one thread. On Linux it reads
    # the kernel's count (/proc/self/stat) in the parent after fork(): 3.12 before the after_in_parent hooks run,
    # 3.13 (and 3.14 until the gh-137109 fix of 2025-11) after them, so it counts a saver the hook restarted. So
    # the saver thread must be gone from the kernel when fork() returns (_wait_until_gone), and in the parent it
    # may only come back once os.fork() has returned (_wrap_fork).
    def _before_fork(self):
        # Did this fork come through our os.fork/os.forkpty? Then their wrapper restarts the saver afterwards.
        self.deferred = self.forking_thread is not None and self.forking_thread == self.threading.get_ident()
        self.forking_thread = None
        self.was_running = self.thread is not None or self.restart_pending
        self.restart_pending = False
        thread = self.stop_thread()
        if thread is not None:
            _wait_until_gone(thread)

    def _after_fork_in_parent(self):
        if not self.was_running:
            return
        if self.deferred:
            self.restart_pending = True  # done by _fork_returned, after CPython has counted the threads
        else:
            # A fork that did not go through os.fork (a C extension, a reference taken before the spy started):
            # restart now, else this process would save no more.
            self.start_thread()

    def _after_fork_in_child(self):
        self._new_process_state()
        self.write_start_record()
        if self.was_running:
            self.start_thread()

    def _fork_starting(self):
        # Called by the os.fork wrapper just before the real fork; returns what the wrapper calls it on (never None).
        self.forking_thread = self.threading.get_ident()
        return self.fork_target

    def _fork_returned(self, result):
        # Called by the os.fork wrapper with what the real fork returned, in the parent and in the child.
        try:
            pid = result[0] if isinstance(result, tuple) else result
            if pid and self.restart_pending:
                self.restart_pending = False
                self.start_thread()
        except Exception:
            pass
        return result

    def _wrap_fork(self):
        """Makes os.fork and os.forkpty restart the parent's saver after they return.

        The wrapper is built from C callables only: no Python frame of ours is on the stack while the real fork
        runs, so a warning the app earns by its own threads keeps the app's file and line (and its once-per-line
        filtering), exactly as without the spy. fork() -> next(map(returned, map(call "fork", iter(starting))))).
        If the real fork raises (fork failed), the saver restarts at the next fork.
        """
        import operator
        import types

        originals = {}
        for name in ("fork", "forkpty"):
            original = getattr(os, name, None)
            if original is not None:
                originals[name] = original
        if not originals:
            return
        self.fork_target = types.SimpleNamespace(**originals)
        wrapper_type = _fork_wrapper_type()
        for name, original in originals.items():
            chain = map(self._fork_returned, map(operator.methodcaller(name), iter(self._fork_starting, None)))
            wrapper = wrapper_type(next, chain)
            for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
                try:
                    setattr(wrapper, attribute, getattr(original, attribute))
                except Exception:
                    pass
            wrapper.__wrapped__ = original
            setattr(os, name, wrapper)

    def install(self):
        import atexit
        import signal

        self.write_start_record()
        self._wrap_exit_paths()
        # Registered after coverage.py's own exit handler, so it runs before it: the saver stops first.
        atexit.register(self.finish, "exit")
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(before=self._before_fork, after_in_parent=self._after_fork_in_parent,
                                after_in_child=self._after_fork_in_child)
            if sys.version_info >= (3, 12):  # the Pythons that warn about forking with threads
                try:
                    self._wrap_fork()
                except Exception:
                    pass  # the hooks alone still stop and restart the saver (3.13 may then warn)
        if self.threading.current_thread() is self.threading.main_thread():
            for kind, signum in (("snapshot", self.settings.snapshot_signal), ("reset", self.settings.reset_signal)):
                if signum is not None:
                    signal.signal(signum, lambda _s, _f, kind=kind: self._on_signal(kind))
        self.start_thread()


def _fork_wrapper_type():
    """functools.partial (called in C, so no Python frame of ours) that prints as the function it wraps."""
    import functools

    class ForkWrapper(functools.partial):
        def __repr__(self):
            return repr(self.__wrapped__)

    return ForkWrapper


def _wait_until_gone(thread, timeout=0.5):
    """Waits until the kernel no longer counts a joined thread. join() returns before the OS thread has exited
    (3.12 and older wait for the thread state only, 3.13's pthread_join for the tid cleared on exit): the kernel
    keeps counting it for some microseconds, and a fork then would still be "multi-threaded"."""
    import time

    native_id = getattr(thread, "native_id", None)
    if not native_id or thread.is_alive():
        return
    path = "/proc/self/task/%d" % native_id
    deadline = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.0001)


def start():
    """Starts coverage in this process if the spy's environment asks for it. Returns the Spy, or None."""
    rcfile = os.environ.get("COVERAGE_PROCESS_START")
    if not rcfile:
        return None
    try:
        settings = Settings(rcfile)
        problem = select_coverage_lib()
    except Exception as exc:
        warn_once("the spy's settings in %s cannot be read (%r); the app runs without coverage" % (rcfile, exc))
        return None
    if problem:
        warn_once("%s; the app runs without coverage" % problem)
        return None
    try:
        import coverage
    except Exception as exc:
        warn_once("coverage.py cannot be imported (%r); the app runs without coverage" % (exc,))
        return None
    core = os.environ.get("COVERAGE_CORE") or choose_core(settings)
    chosen_here = core and not os.environ.get("COVERAGE_CORE")
    try:
        if chosen_here:
            # Only for this process's config: a child of another Python version chooses for itself.
            os.environ["COVERAGE_CORE"] = core
        try:
            cov = coverage.process_startup()
        finally:
            if chosen_here:
                del os.environ["COVERAGE_CORE"]
    except Exception as exc:
        warn_once("coverage.py did not start (%r); the app runs without coverage" % (exc,))
        return None
    # None when something started coverage before us (coverage's own subprocess .pth): still measured.
    if cov is None:
        cov = coverage.Coverage.current()
    if cov is None or not os.environ.get("COVERAGE_FILE"):
        return None
    try:
        actual_core = cov._collector.tracer_name()
    except Exception:
        actual_core = core
    spy = Spy(cov, settings, os.path.dirname(os.path.abspath(os.environ["COVERAGE_FILE"])), actual_core)
    try:
        spy.install()
    except Exception as exc:
        warn_once("periodic saves and snapshots are off (%r)" % (exc,))
    return spy
