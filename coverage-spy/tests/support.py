"""Helpers for the asset tests: a fake service tree measured through the real sitecustomize."""

import glob
import os
import platform
import shutil
import signal
import subprocess
import sys
import textwrap
import time

ASSETS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = os.path.join(ASSETS, "site")
HARVEST = os.path.join(ASSETS, "harvest.py")


def wait_for(test, condition, what, timeout=60):
    """Polls condition() every 50 ms until it is true; after `timeout` s fails the test, naming what it waited for.

    The timeout only bounds a hang: generous, so a loaded machine does not trip it.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    test.fail(f"timed out waiting for {what}")


def end_processes(processes):
    """Kills the console processes a test left running, reaps them and closes their pipes."""
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()


def start_console(test, env, cwd, processes, module="shop.console", python=None, records_in=None, timeout=60):
    """Starts `python -m MODULE` in `cwd` with the measured `env`, driven line by line on stdin; returns the Popen.

    Added to `processes` at once (the test's tearDown ends them with end_processes). Its stdin, stdout and stderr are
    pipes (text). PYTHONFAULTHANDLER is on, so the SIGABRT of stop_console makes it print every thread's stack. With
    `records_in` (its data folder), returns once its start record is there: the spy runs in it.
    """
    process = subprocess.Popen(
        [python or sys.executable, "-m", module],
        cwd=cwd,
        env=dict(env, PYTHONFAULTHANDLER="1"),
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    processes.append(process)
    if records_in is not None:
        pattern = os.path.join(records_in, f".start.*.pid{process.pid}.json")
        wait_for(test, lambda: glob.glob(pattern), "a start record", timeout)
    return process


def send(process, command, answered=True):
    """Sends one command line to a console; returns its answer line (stripped), or None when it gives none."""
    process.stdin.write(command + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip() if answered else None


# The read system call's number by machine, as /proc/PID/syscall gives the call a thread is blocked in.
READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())


def blocked_in_read(pid):
    """Whether the main thread of process `pid` is blocked in read(2) (always True where READ_SYSCALL is unknown)."""
    if READ_SYSCALL is None:
        return True
    try:
        with open(f"/proc/{pid}/syscall") as f:
            return f.read().split(" ", 1)[0] == READ_SYSCALL
    except OSError:
        return True  # gone, or /proc unreadable: nothing to wait for


def stop_console(test, process, timeout):
    """SIGTERM, as `docker stop` or the kubelet stops a service, once the console waits for its next line; returns
    the exit status.

    Sent while the console's main thread is inside its read of stdin: the signal interrupts the read and Python runs
    the SIGTERM handler (coverage.py's [run] sigterm one, the spy's in front of it). A SIGTERM that lands after the
    thread's last check for signals but before it enters read() is handled only once that read returns: a race of
    every Python-level signal handler (https://docs.python.org/3/library/signal.html#execution-of-python-signal-handlers),
    with or without the spy, which a test sending SIGTERM right after an answer hits now and then.
    A process still running `timeout` s later fails the test with where each of its threads is: it gets SIGABRT, which
    faulthandler (on since start_console) answers by printing every thread's stack on stderr.
    """
    wait_for(test, lambda: blocked_in_read(process.pid), "the console waiting in its read of stdin", timeout)
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout)
        test.fail(f"pid {process.pid} still ran {timeout} s after SIGTERM; its threads:\n{process.stderr.read()}")


def coverage_lib():
    """The coverage.py folder the spy mounts (scripts/spy-lib.sh); the tests use exactly that one."""
    lib = os.environ.get("COVERAGE_SPY_LIB")
    if not lib or not os.path.isfile(os.path.join(lib, "coverage", "__init__.py")):
        raise RuntimeError("set COVERAGE_SPY_LIB to the folder scripts/spy-lib.sh prints (it holds coverage.py)")
    return lib


APP = {
    "shop/__init__.py": "",
    "shop/prices.py": textwrap.dedent(
        """\
        def price(kind):
            if kind == "book":
                return 10
            if kind == "pen":
                return 2
            return 0


        def unused():
            return "never"
        """
    ),
    "shop/main.py": textwrap.dedent(
        """\
        import subprocess
        import sys

        from shop import prices

        if __name__ == "__main__":
            print(prices.price(sys.argv[1]))
            if len(sys.argv) > 2:
                subprocess.run([sys.executable, "-m", "shop.main", sys.argv[2]], check=True)
        """
    ),
}


def write_app(root):
    for rel, text in APP.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


# The [coverage_spy] section as the component writes it with the option table's defaults.
SPY_SECTION = {"core": "auto", "save_interval": "5", "snapshot_signal": "SIGRTMIN+4", "reset_signal": "SIGRTMIN+5"}


def write_rc(path, source, spy=None, patch=("subprocess",), concurrency=()):
    """A .coveragerc like the generated one; `spy` overrides options of its [coverage_spy] section."""
    with open(path, "w") as f:
        f.write(
            "[run]\nparallel = true\nsigterm = true\nsource =\n    {}\npatch =\n{}\n".format(
                source, "".join(f"    {p}\n" for p in patch)
            )
        )
        if concurrency:
            f.write("concurrency =\n" + "".join(f"    {c}\n" for c in concurrency))
        f.write(
            "[coverage_spy]\n"
            + "".join("{} = {}\n".format(*kv) for kv in sorted({**SPY_SECTION, **(spy or {})}.items()))
        )


def measured_env(app_root, rcfile, data_file, lib=None, extra_env=None):
    """The environment a service gets: spy first on PYTHONPATH, coverage.py after it, the app last."""
    env = dict(os.environ)
    for name in [name for name in env if name.startswith("COVERAGE_SPY_WARNED")]:
        env.pop(name)
    parts = [SITE] + ([lib] if lib else []) + [app_root]
    env.update({"PYTHONPATH": os.pathsep.join(parts), "COVERAGE_PROCESS_START": rcfile, "COVERAGE_FILE": data_file})
    env.update(extra_env or {})
    return env


def run_measured(app_root, rcfile, data_file, args, lib=None, extra_env=None, module="shop.main"):
    """Runs `python -m MODULE ARGS` the way a service runs: spy first on PYTHONPATH, the app after."""
    env = measured_env(app_root, rcfile, data_file, lib, extra_env)
    return subprocess.run(
        [sys.executable, "-m", module] + list(args), cwd=app_root, env=env, capture_output=True, text=True, timeout=60
    )


# The first Python with sys.monitoring (the sysmon core), which also warns about fork() with threads.
MIN_SYSMON = (3, 12)


def _version_of(executable):
    """(major, minor) of a Python executable, or None when it does not run."""
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None  # e.g. a pyenv shim for a version that is not selected
    try:
        return tuple(int(x) for x in out.stdout.split())
    except ValueError:
        return None


def newer_pythons():
    """One interpreter per Python >= 3.12 on this host: {(3, 13): path}. This one first, then PATH, then pyenv."""
    found = {}
    candidates = [sys.executable]
    for minor in range(20, MIN_SYSMON[1] - 1, -1):
        candidates.append(shutil.which(f"python3.{minor}"))
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(pyenv, "versions", "3.*", "bin", "python3")), reverse=True)
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        version = tuple(sys.version_info[:2]) if candidate == sys.executable else _version_of(candidate)
        if version and version >= MIN_SYSMON and version not in found:
            found[version] = candidate
    return found


def sysmon_python():
    """((major, minor), path) of the first Python >= 3.12 newer_pythons() finds (this one first), or None."""
    found = newer_pythons()
    return next(iter(found.items()), None)
