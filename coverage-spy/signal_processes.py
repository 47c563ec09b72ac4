"""coverage-spy's snapshot and reset: asks every live measured process of one service to save now (snapshot)
or to discard what it collected (reset), and waits until each one says it did.

    signal_processes.py --data-dir D --run-id R --service NAME --rcfile F --action snapshot|reset [--timeout S]

Runs in a container that shares the service container's process namespace (docker run --pid container:X),
so the pids in the start records are the ones it sees. A record's process is live when a process with its
pid exists, started no later than the record, and it left no end record. Standard library only.
Exit status: 0 when every live process answered, 4 when some did not (they are named), 3 on bad input.
"""
import argparse
import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
import _coverage_spy  # noqa: E402  (the spy's own settings reader and signal names)
from harvest import RUNS, _records  # noqa: E402

EXIT_NO_ANSWER = 4


def process_start_time(pid):
    """Unix time the process with this pid started, or None if there is none. A process may rename itself
    (setproctitle) or exec, so the start time, not the command line, tells a recycled pid apart."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            ticks = int(f.read().rpartition(")")[2].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, ValueError, StopIteration, IndexError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def live_processes(folder):
    ends = _records(folder, "end")
    live, dead = [], []
    for key, record in sorted(_records(folder, "start").items()):
        started = process_start_time(key[1])
        # btime has a one-second resolution.
        alive = key not in ends and started is not None and started <= record["started"] + 1.5
        (live if alive else dead).append((key, record))
    return live, dead


def answered(folder, key, kind, before):
    return _records(folder, "saves").get(key, {}).get(kind, 0) > before


def forget_dead(folder, dead):
    """After a reset, a process that has ended cannot erase its own data: delete it with its records."""
    for (host, pid), _ in dead:
        for path in glob.glob(os.path.join(folder, ".coverage.%s.pid%d.*" % (host, pid))) + \
                glob.glob(os.path.join(folder, ".*.%s.pid%d.json" % (host, pid))):
            os.remove(path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="signal_processes.py", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--rcfile", required=True)
    parser.add_argument("--action", choices=("snapshot", "reset"), required=True)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    folder = os.path.join(args.data_dir, RUNS, args.run_id, args.service)
    if not os.path.isdir(folder):
        sys.stderr.write("coverage-spy: no data folder for service %s in run %s (%s)\n" % (args.service, args.run_id, folder))
        return 3
    settings = _coverage_spy.Settings(args.rcfile)
    signum = settings.snapshot_signal if args.action == "snapshot" else settings.reset_signal
    if signum is None:
        sys.stderr.write("coverage-spy: the %s signal is off in %s\n" % (args.action, args.rcfile))
        return 3
    live, dead = live_processes(folder)
    before = {key: _records(folder, "saves").get(key, {}).get(args.action, 0) for key, _ in live}
    waiting = {}
    for key, record in live:
        try:
            # The number the process itself installed: SIGRTMIN differs between glibc and musl.
            os.kill(key[1], record.get("signals", {}).get(args.action) or signum)
            waiting[key] = record
        except ProcessLookupError:
            dead.append((key, record))
    deadline = time.monotonic() + args.timeout
    while waiting and time.monotonic() < deadline:
        for key in [k for k in waiting if answered(folder, k, args.action, before[k])]:
            del waiting[key]
        time.sleep(0.05)
    if args.action == "reset":
        forget_dead(folder, dead)
    result = {"service": args.service, "action": args.action, "signalled": len(live),
              "answered": len(live) - len(waiting),
              "silent": [dict(r, host=k[0]) for k, r in sorted(waiting.items())]}
    print(json.dumps(result, sort_keys=True))
    for record in result["silent"]:
        sys.stderr.write("coverage-spy: process %d (%s) of service %s did not answer the %s signal within %g s\n"
                         % (record["pid"], " ".join(record["command"]), args.service, args.action, args.timeout))
    return EXIT_NO_ANSWER if waiting else 0


if __name__ == "__main__":
    sys.exit(main())
