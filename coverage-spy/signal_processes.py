"""coverage-spy's snapshot and reset: asks the live measured processes of one service to save, or to discard.

Asks every live measured process of one service to save now (snapshot) or to discard what it collected (reset),
and waits until each one says it did.

    signal_processes.py --data-dir D --run-id R --service NAME --rcfile F --action snapshot|reset [--timeout S]

Runs in a container that shares the service container's process namespace (docker run --pid container:X),
so the pids in the start records are the ones it sees. A record's process is live when a process with its
pid exists, started no later than the record, and it left no end record. Standard library only.
Exit status: 0 when every live process answered, 4 when some did not (they are named), 3 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

# The spy's record format and settings, from the spy's own folder: mounted with this script (coverage-spy/site).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
from _coverage_spy import records  # noqa: E402
from _coverage_spy.settings import Settings  # noqa: E402

EXIT_BAD_INPUT = 3
EXIT_NO_ANSWER = 4
# A start record's time and the kernel's start time of its process: btime has a one-second resolution.
START_TIME_SLACK = 1.5

Live = list[tuple[records.ProcessKey, records.Record]]


def process_start_time(pid: int) -> float | None:
    """Unix time the process with this pid started, or None if there is none.

    A process may rename itself (setproctitle) or exec, so the start time, not the command line, tells a recycled
    pid apart.
    """
    try:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rpartition(")")[2].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, ValueError, StopIteration, IndexError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def live_processes(folder: str) -> tuple[Live, Live]:
    """The processes of the start records in `folder`, split into (live, dead), each sorted by process."""
    ends = records.read_all(folder, records.END)
    live, dead = [], []
    for key, record in sorted(records.read_all(folder, records.START).items()):
        started = process_start_time(key[1])
        alive = key not in ends and started is not None and started <= record["started"] + START_TIME_SLACK
        (live if alive else dead).append((key, record))
    return live, dead


def done_counts(folder: str, kind: str) -> dict[records.ProcessKey, int]:
    """How many requests of one kind each process has done, by its saves record (a process without one: 0).

    One read of the saves records for all processes, not one per process: that grew with their square.
    """
    return {key: saves.get(kind, 0) for key, saves in records.read_all(folder, records.SAVES).items()}


def forget_dead(folder: str, dead: Live) -> None:
    """After a reset, a process that has ended cannot erase its own data: delete it with its records."""
    for path in records.process_files(folder, (key for key, _ in dead)):
        os.remove(path)


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's doc); returns the exit status."""
    parser = argparse.ArgumentParser(prog="signal_processes.py", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--rcfile", required=True)
    parser.add_argument("--action", choices=("snapshot", "reset"), required=True)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    folder = records.service_folder(args.data_dir, args.run_id, args.service)
    if not os.path.isdir(folder):
        sys.stderr.write(f"coverage-spy: no data folder for service {args.service} in run {args.run_id} ({folder})\n")
        return EXIT_BAD_INPUT
    settings = Settings(args.rcfile)
    signum = settings.snapshot_signal if args.action == "snapshot" else settings.reset_signal
    if signum is None:
        sys.stderr.write(f"coverage-spy: the {args.action} signal is off in {args.rcfile}\n")
        return EXIT_BAD_INPUT
    live, dead = live_processes(folder)
    counts = done_counts(folder, args.action)
    before = {key: counts.get(key, 0) for key, _ in live}
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
        counts = done_counts(folder, args.action)
        for key in [k for k in waiting if counts.get(k, 0) > before[k]]:
            del waiting[key]
        time.sleep(0.05)
    if args.action == "reset":
        forget_dead(folder, dead)
    result = {
        "service": args.service,
        "action": args.action,
        "signalled": len(live),
        "answered": len(live) - len(waiting),
        "silent": [dict(r, host=k[0]) for k, r in sorted(waiting.items())],
    }
    print(json.dumps(result, sort_keys=True))
    for record in result["silent"]:
        sys.stderr.write(
            f"coverage-spy: process {record['pid']} ({' '.join(record['command'])}) of service {args.service} did not"
            f" answer the {args.action} signal within {args.timeout:g} s\n"
        )
    return EXIT_NO_ANSWER if waiting else 0


if __name__ == "__main__":
    sys.exit(main())
