r"""coverage-spy's per-test contexts sidecar on Kubernetes: tells the measured processes of its pod the current test.

    contexts_sidecar.py --relay HOST:PORT --data-dir D --run-id R --ready-file F --join-timeout S

One per measured pod, beside the app, sharing the pod's data folder D (an emptyDir) with it: the app's processes
listen there each on its unix socket (site/_coverage_spy/contexts.py). It connects to the run's relay
(contexts_relay.py --pods-port, reached by its Service) and, at each switch the relay sends (contexts_pods.py's
wire), writes D/runs/R/.context, for the processes that start later, and tells every process of the pod exactly as
the relay does on Docker (contexts_broadcast.py), then answers how many switched and which did not.

On connecting it is told the current context first; once it answered, it creates F, which the pod's startupProbe
waits for: the app starts only once its pod follows the tests. A relay not reached within S seconds does not hold
the app back: F is created all the same, said once, and the sidecar goes on trying. A lost connection is tried
again every RETRY_PAUSE s (said once per outage); the relay then tells the current context again.
Standard library only, Python 3.11+ (the spy image). SIGTERM exits 0 at once: the kubelet sends it once the app's
containers exited, when nothing is left to tell.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import signal
import socket
import sys
import threading

# The relay's folder (the assets, this folder's parent): the processes' side (site/), how they are told, the wire.
ASSETS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ASSETS, os.path.join(ASSETS, "site")]
from _coverage_spy import records  # noqa: E402
from _coverage_spy.contexts import write_context  # noqa: E402
from contexts_broadcast import RunProcesses  # noqa: E402
from contexts_pods import (  # noqa: E402
    MAX_LINE,
    WireError,
    answer_line,
    hello_line,
    parse_switch,
)

RETRY_PAUSE = 0.5
CONNECT_TIMEOUT = 5.0


def log(message: str) -> None:
    """One line on stderr, where `kubectl logs` shows it."""
    print(f"coverage-spy contexts sidecar: {message}", file=sys.stderr, flush=True)


class Sidecar:
    """The pod's end of the relay's connection: each switch told to the processes of the pod's run folder."""

    def __init__(self, relay: tuple[str, int], run_folder: str, ready_file: str) -> None:
        """Follows the relay at `relay` (host, port) for the processes of `run_folder`; `ready_file` once joined."""
        self.relay = relay
        self.run_folder = run_folder
        self.ready_file = ready_file
        self.processes = RunProcesses(run_folder)
        self.pod = records.host_name()
        self.ready = threading.Event()
        self.outage_said = False

    def mark_ready(self) -> None:
        """Creates the ready file (the startupProbe's), once."""
        if not self.ready.is_set():
            pathlib.Path(self.ready_file).touch()
            self.ready.set()

    def follow(self, stop: threading.Event) -> None:
        """Connects, and follows the relay's switches, again and again until `stop`."""
        while not stop.is_set():
            try:
                self.session()
            except Exception as e:  # noqa: BLE001 - lost, refused, or a bug of ours: the pod's app runs on regardless
                if not self.outage_said:
                    self.outage_said = True
                    log(
                        f"relay {self.relay[0]}:{self.relay[1]} not reached ({e}): trying again every {RETRY_PAUSE:g} s"
                    )
            stop.wait(RETRY_PAUSE)

    def session(self) -> None:
        """One connection: the hello, then each switch told and answered, until the relay closes it."""
        with socket.create_connection(self.relay, timeout=CONNECT_TIMEOUT) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Idle between tests for as long as the suite likes; a relay that vanished without a word is found out.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.settimeout(None)
            sock.sendall(hello_line(self.pod))
            got = b""
            while True:
                head, newline, rest = got.partition(b"\n")
                if not newline:
                    if len(got) > MAX_LINE:
                        raise WireError(f"a line longer than {MAX_LINE} bytes")
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise EOFError("the relay closed the connection")
                    got += chunk
                    continue
                got = rest
                sock.sendall(self.switch(*parse_switch(head)))
                if self.outage_said:
                    self.outage_said = False
                    log(f"relay {self.relay[0]}:{self.relay[1]} reached again")
                self.mark_ready()

    def switch(self, seq: int, context: str) -> bytes:
        """Writes the pod's .context, tells its processes; the answer to the relay."""
        failed: dict[str, str] = {}
        try:
            write_context(self.run_folder, context, seq)
        except OSError as e:
            failed[f"{self.pod}/.context"] = f"cannot write: {e.strerror or e}"
        broadcast, problems = self.processes.switch(seq, context)
        failed.update(broadcast.failed)
        for problem in problems:
            log(problem)
        return answer_line(seq, broadcast.switched, failed)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, every value checked: a message naming the option and exit 2 for a bad one."""
    parser = argparse.ArgumentParser(description="coverage-spy's per-test contexts sidecar of a measured pod")
    parser.add_argument("--relay", required=True, help="the relay's pods port, HOST:PORT (its Service)")
    parser.add_argument("--data-dir", required=True, help="the pod's data volume (the emptyDir the app writes)")
    parser.add_argument("--run-id", required=True, help="the run whose processes it tells")
    parser.add_argument("--ready-file", required=True, help="created once the pod follows the tests")
    parser.add_argument("--join-timeout", required=True, type=float, help="seconds the app waits for the relay")
    args = parser.parse_args(argv)
    host, sep, port = args.relay.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        parser.error(f"--relay must be HOST:PORT (the relay's Service and pods port), got {args.relay!r}")
    args.relay = (host, int(port))
    if not os.path.isdir(args.data_dir):
        parser.error(f"--data-dir {args.data_dir} is no folder: mount the pod's data volume there")
    if not args.join_timeout >= 0:
        parser.error(f"--join-timeout must be a number of seconds >= 0, got {args.join_timeout}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Follows the relay until SIGTERM (or SIGINT), which exit 0 at once."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: os._exit(0))
    sidecar = Sidecar(args.relay, os.path.join(args.data_dir, records.RUNS, args.run_id), args.ready_file)
    stop = threading.Event()
    threading.Thread(target=sidecar.follow, args=(stop,), name="coverage-spy-contexts", daemon=True).start()
    log(f"following the relay at {args.relay[0]}:{args.relay[1]} for pod {sidecar.pod}")
    if not sidecar.ready.wait(args.join_timeout):
        sidecar.mark_ready()
        log(
            f"the relay at {args.relay[0]}:{args.relay[1]} was not reached in {args.join_timeout:g} s: the app starts"
            " all the same, and its lines count as (no test) until the relay is reached: check the relay's pod"
            " (kubectl get pods -l coverage-spy.role=contexts) and its Service"
        )
    stop.wait()  # the work is the thread's; SIGTERM ends it all
    return 0


if __name__ == "__main__":
    sys.exit(main())
