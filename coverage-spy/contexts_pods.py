r"""The relay's side of the measured pods on a Kubernetes cluster, and the wire it shares with their sidecars.

On Docker the relay reaches every measured process through the data volume all services share. On a cluster each
pod has its own data folder, on its node: a sidecar in each measured pod (kubernetes/contexts_sidecar.py), which
shares that folder with the app, connects to the relay and tells the processes of its pod as the relay tells local
ones (contexts_broadcast.py). The wire, one JSON object per line over one TCP connection per pod:

    sidecar -> relay   {"pod": NAME}                                          once, on connecting
    relay -> sidecar   {"seq": N, "context": NAME}                            each switch; at once after the hello
    sidecar -> relay   {"seq": N, "processes": SWITCHED, "failed": {LABEL: WHY}}   once its processes switched

The relay answers a runner's event once every connected pod answered (or its POD_TIMEOUT passed), so the lines of
the next test are recorded under its name in every pod. A pod that connects is told the current context before it
counts as connected: its processes that started before it connected switch to it, and the sidecar writes it into the
pod's .context for those that start later. A pod whose connection closed (it stopped) is dropped without a word; one
that did not answer in time is named in the failures and dropped: its sidecar connects again and is told the
current context. Standard library only, Python 3.11+.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
from _coverage_spy.contexts import ANSWER_TIMEOUT  # noqa: E402

# A pod's sidecar tells its processes within ANSWER_TIMEOUT; the rest is the round trip and its own work.
POD_TIMEOUT = ANSWER_TIMEOUT + 1.0
# The longest line either side reads: a context name is a test's name, a failure list a few sockets'.
MAX_LINE = 1 << 20


class WireError(ValueError):
    """A line that is not what the other side of the pods' wire sends."""


def encode(message: dict[str, Any]) -> bytes:
    """One message of the wire: a JSON object on one line."""
    return (json.dumps(message) + "\n").encode()


def decode(line: bytes) -> dict[str, Any]:
    """The JSON object of one line; WireError when it is none."""
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, ValueError) as e:
        raise WireError(f"not JSON: {line[:100]!r} ({e})") from None
    if not isinstance(message, dict):
        raise WireError(f"not a JSON object: {line[:100]!r}")
    return message


def hello_line(pod: str) -> bytes:
    """What a sidecar sends first: its pod's name."""
    return encode({"pod": pod})


def switch_line(seq: int, context: str) -> bytes:
    """What the relay sends a pod at each switch (and on connecting)."""
    return encode({"seq": seq, "context": context})


def parse_switch(line: bytes) -> tuple[int, str]:
    """(seq, context) of the relay's switch line; WireError when it is not one."""
    message = decode(line)
    seq, context = message.get("seq"), message.get("context")
    if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(context, str):
        raise WireError(f"not a switch: {line[:100]!r}")
    return seq, context


def answer_line(seq: int, switched: int, failed: dict[str, str]) -> bytes:
    """What a sidecar answers once it told its processes: how many switched, which did not and why."""
    return encode({"seq": seq, "processes": switched, "failed": failed})


def parse_answer(line: bytes, seq: int) -> tuple[int, dict[str, str]]:
    """(switched, failed) of a sidecar's answer to switch `seq`; WireError when it is not one."""
    message = decode(line)
    switched, failed = message.get("processes"), message.get("failed")
    if message.get("seq") != seq or not isinstance(switched, int) or not isinstance(failed, dict):
        raise WireError(f"not an answer to switch {seq}: {line[:100]!r}")
    return switched, {str(label): str(why) for label, why in failed.items()}


@dataclass
class Told:
    """What one switch did in the pods: the processes switched, those that did not (label -> why)."""

    switched: int = 0
    failed: dict[str, str] = field(default_factory=dict)


class _Pod:
    """One connected sidecar: its socket, its name, what it sent that is not read yet."""

    def __init__(self, sock: socket.socket, name: str) -> None:
        """A sidecar connected on `sock`, which said it is pod `name`."""
        self.sock = sock
        self.name = name
        self.got = b""

    def line(self) -> bytes | None:
        """Its next whole line, once received; None until then. WireError for a line too long."""
        head, newline, rest = self.got.partition(b"\n")
        if newline:
            self.got = rest
            return head
        if len(self.got) > MAX_LINE:
            raise WireError(f"a line longer than {MAX_LINE} bytes")
        return None


def _read_line(pod: _Pod, deadline: float) -> bytes:
    """Pod's next line from a blocking socket, by `deadline` (time.monotonic()); OSError, EOFError, WireError."""
    while (line := pod.line()) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer in {POD_TIMEOUT:g} s")
        pod.sock.settimeout(left)
        chunk = pod.sock.recv(65536)
        if not chunk:
            raise EOFError("closed")
        pod.got += chunk
    return line


class Pods:
    """The sidecars of a run's measured pods, connected to one TCP port: told each switch, waited for together."""

    def __init__(self, port: int, current: tuple[str, int], log: Callable[[str], None]) -> None:
        """Listens on 0.0.0.0:port (0: any free one, then `port`); `current`: (context, seq) a pod is told first."""
        self.server = socket.create_server(("0.0.0.0", port))  # noqa: S104  (the pods reach it through a Service)
        self.port: int = self.server.getsockname()[1]
        self.current = current
        self.log = log
        self.pods: list[_Pod] = []
        # One switch at a time, and a pod joins between two: it is told the context every later pod is told.
        self.lock = threading.Lock()

    def start(self) -> None:
        """Accepts the sidecars from a background thread."""
        threading.Thread(target=self._accept_forever, name="coverage-spy-pods", daemon=True).start()

    def _accept_forever(self) -> None:
        """Each sidecar that connects joins once it answered the current context."""
        while True:
            sock, address = self.server.accept()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self._join(sock)
            except (OSError, EOFError, WireError) as e:
                sock.close()
                self.log(f"a pod's sidecar from {address[0]} could not join: {e}")

    def _join(self, sock: socket.socket) -> None:
        """Reads the hello, tells the current context and waits for the answer; then the pod is told every switch."""
        pod = _Pod(sock, "?")
        hello = decode(_read_line(pod, time.monotonic() + POD_TIMEOUT))
        if not isinstance(hello.get("pod"), str):
            raise WireError(f"no pod name in the hello: {hello!r}")
        pod.name = hello["pod"]
        with self.lock:
            context, seq = self.current
            sock.settimeout(POD_TIMEOUT)
            sock.sendall(switch_line(seq, context))
            switched, failed = parse_answer(_read_line(pod, time.monotonic() + POD_TIMEOUT), seq)
            self.pods.append(pod)
        if failed:
            self.log(f"pod {pod.name} joined: {len(failed)} of {switched + len(failed)} processes did not switch")

    def switch(self, seq: int, context: str) -> Told:
        """Tells every connected pod, then waits for all their answers (at most POD_TIMEOUT)."""
        told = Told()
        with self.lock:
            self.current = (context, seq)
            waiting = [pod for pod in list(self.pods) if self._send(pod, seq, context)]
            self._collect(waiting, seq, told)
        return told

    def _send(self, pod: _Pod, seq: int, context: str) -> bool:
        """Sends the switch to one pod; False (and dropped) when its connection is gone."""
        try:
            pod.sock.settimeout(POD_TIMEOUT)
            pod.sock.sendall(switch_line(seq, context))
            pod.sock.setblocking(False)
            return True
        except OSError:
            self._drop(pod)
            return False

    def _collect(self, waiting: list[_Pod], seq: int, told: Told) -> None:
        """Reads every pod's answer, until each answered, closed, or the time was up."""
        deadline = time.monotonic() + POD_TIMEOUT
        with selectors.DefaultSelector() as selector:
            for pod in waiting:
                selector.register(pod.sock, selectors.EVENT_READ, pod)
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    for key in list(selector.get_map().values()):
                        pod = key.data
                        told.failed[f"pod {pod.name}"] = f"no answer in {POD_TIMEOUT:g} s"
                        selector.unregister(pod.sock)
                        self._drop(pod)
                    return
                for key, _ in selector.select(left):
                    self._read(selector, key.data, seq, told)

    def _read(self, selector: selectors.BaseSelector, pod: _Pod, seq: int, told: Told) -> None:
        """Reads what one pod sent; once its answer is whole it is counted (a pod that closed is dropped)."""
        try:
            chunk = pod.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            # Its sidecar stopped with its pod (or restarts, and is told the context when it joins again).
            selector.unregister(pod.sock)
            self._drop(pod)
            return
        pod.got += chunk
        try:
            line = pod.line()
            if line is None:
                return
            switched, failed = parse_answer(line, seq)
        except WireError as e:
            selector.unregister(pod.sock)
            self._drop(pod)
            told.failed[f"pod {pod.name}"] = str(e)
            return
        selector.unregister(pod.sock)
        told.switched += switched
        told.failed.update(failed)

    def _drop(self, pod: _Pod) -> None:
        """Forgets a pod and closes its connection."""
        if pod in self.pods:
            self.pods.remove(pod)
        with contextlib.suppress(OSError):
            pod.sock.close()
