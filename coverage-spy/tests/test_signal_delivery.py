"""A signal sent to a measured process reaches the app's threads, never one of the spy's.

The kernel gives a signal sent to a process (the kubelet's or `docker stop`'s SIGTERM, the snapshot signal) to any
one of its threads that does not block it, and Python runs the handler only in the main thread, once that thread
runs Python code again. A spy thread (the saver's, the context listener's) that took a SIGTERM while the app's main
thread waited in a read left the handler waiting for that read: an app reading stdin outlived SIGTERM. So the spy's
threads block every signal but the faults a thread raises itself; the kernel then delivers the rest to the app's
threads, as without the spy. The masks are read where the kernel keeps them (/proc/PID/task/TID/status, Linux).
"""

import os
import signal
import sys
import tempfile
import textwrap
import unittest

from tests import support

sys.path.insert(0, support.SITE)
from _coverage_spy import records  # noqa: E402

sys.path.remove(support.SITE)

LIMIT = 60
# A service driven line by line on stdin, its main thread waiting in a read between two commands.
CONSOLE = textwrap.dedent(
    """\
    import sys

    from shop import prices

    for command in sys.stdin:
        print(prices.price(command.strip()), flush=True)
    """
)
# What a process sends to itself, or others send it: never taken by a spy thread.
SENT_TO_THE_PROCESS = {
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGALRM,
    signal.SIGCHLD,
    signal.SIGPIPE,
    # The snapshot and reset signals of the generated rcfile (support.SPY_SECTION).
    signal.SIGRTMIN + 4,
    signal.SIGRTMIN + 5,
}
# Raised by a thread at itself: left as they are, so faulthandler still names the thread that faulted.
FAULTS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGABRT}


def blocked_signals(pid, tid):
    """The signals thread `tid` of process `pid` blocks, from its SigBlk line (bit n-1 is signal n)."""
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        mask = next(int(line.split()[1], 16) for line in f if line.startswith("SigBlk:"))
    return {n for n in range(1, 65) if mask & (1 << (n - 1))}


def threads(pid):
    """The kernel's ids of the process's threads."""
    return {int(tid) for tid in os.listdir(f"/proc/{pid}/task")}


class SignalDeliveryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.lib = support.coverage_lib()
        self.root = os.path.join(self.tmp.name, "app")
        support.write_app(self.root)
        with open(os.path.join(self.root, "shop", "console.py"), "w") as f:
            f.write(CONSOLE)
        # A run's service folder, where the context listener makes its socket.
        self.data = records.service_folder(os.path.join(self.tmp.name, "volume"), "run-1", "shop")
        os.makedirs(self.data)
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        self.processes = []

    def tearDown(self):
        support.end_processes(self.processes)
        self.tmp.cleanup()

    def test_the_spys_threads_leave_every_signal_sent_to_the_process_to_the_apps_threads(self):
        support.write_rc(self.rc, self.root, spy={"save_interval": "0.05", "contexts": "true"})
        env = support.measured_env(self.root, self.rc, os.path.join(self.data, ".coverage"), lib=self.lib)
        process = support.start_console(self, env, self.root, self.processes, records_in=self.data, timeout=LIMIT)
        self.assertEqual(support.send(process, "book"), "10")
        # The saver's thread and the context listener's, beside the app's one thread.
        support.wait_for(self, lambda: len(threads(process.pid)) == 3, "the spy's two threads", LIMIT)
        spy_threads = threads(process.pid) - {process.pid}
        for tid in spy_threads:
            blocked = blocked_signals(process.pid, tid)
            self.assertEqual(SENT_TO_THE_PROCESS - blocked, set(), f"thread {tid} may take them")
            self.assertEqual(FAULTS & blocked, set(), f"thread {tid} blocks them")
        # The app's own thread blocks nothing: the spy blocks signals only in the threads it starts.
        self.assertEqual(blocked_signals(process.pid, process.pid), set())
        # The SIGTERM reaches the main thread in its read: the spy saves, writes the end record and the process dies.
        self.assertEqual(support.stop_console(self, process, LIMIT), -signal.SIGTERM, process.stderr.read())
        ends = records.read_all(self.data, records.END)
        self.assertEqual([record["how"] for record in ends.values()], ["sigterm"])


if __name__ == "__main__":
    unittest.main()
