"""The processes' own meeting and watch, beside JAX's (``colorize_cnn.distribution.join``).

Process 0 listens on the coordinator's port (``gather``); every other process connects there
(``report``) and sends one line, ``"ID COUNT DIGEST"`` (its id, the number of processes it was
started with, a hash of the run's settings); process 0 answers each ``"ok"`` or ``"refused
REASON"``. The connections stay open while they train (``Peers``): a thread watches them, and a
connection that closes without ``"bye"`` means that process ended before the run did; process 0
then tells the others (``"ended ID"``), and each ends at once with one line.
"""

import contextlib
import os
import socket
import sys
import threading
import time

from colorize_cnn.errors import UserError


class Peers:
    """The connections between process 0 and each other process (``index`` -> socket on process 0;
    ``0`` -> socket elsewhere), watched by a thread once they train."""

    def __init__(self, index, sockets):
        self.index, self.sockets, self.ended, self._left = index, sockets, threading.Event(), threading.Event()

    def watch(self):
        threading.Thread(target=self._watch, name="colorize-cnn-peers", daemon=True).start()

    def _watch(self):
        import select

        open_ = dict(self.sockets)
        while open_ and not self._left.is_set():
            readable, _, _ = select.select(list(open_.values()), [], [], 0.5)
            for peer, connection in list(open_.items()):
                if connection not in readable or self._left.is_set():
                    continue
                try:
                    data = connection.recv(256)
                except OSError:
                    data = b""
                if data.startswith(b"bye"):
                    del open_[peer]  # it finished its part
                    continue
                lost = int(data.split()[1]) if data.startswith(b"ended ") else peer
                self._end(lost)

    def _end(self, lost):
        if self._left.is_set():
            return
        self.ended.set()
        for peer, connection in self.sockets.items():  # process 0 tells the others who ended
            if self.index == 0 and peer != lost:
                with contextlib.suppress(OSError):
                    connection.sendall(f"ended {lost}\n".encode())
        print(f"process {self.index}: process {lost} ended before the run did, so this one ends too; the last "
              "complete backup is kept: start every process again to resume.", file=sys.stderr, flush=True)
        os._exit(1)  # a collective with a lost process never returns, and JAX's exit would abort

    def leave(self):
        self._left.set()
        for connection in self.sockets.values():
            with contextlib.suppress(OSError):
                connection.sendall(b"bye\n")
            connection.close()


def gather(host, port, count, index, digest, deadline, timeout):
    """Process 0: waits for every other process on the coordinator's port, and checks they agree."""
    try:
        listener = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as error:
        reason = error.strerror or error
        raise UserError(f"process 0: cannot listen on the coordinator's address {host}:{port} ({reason}): is another "
                        "process 0 running, or the port taken? Choose another --coordinator port, on this computer's "
                        "address.") from None
    peers, problem = {}, None
    with listener:
        while len(peers) < count - 1 and problem is None:
            listener.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                missing = sorted(set(range(1, count)) - set(peers))
                problem = (f"process {', '.join(map(str, missing))} did not join within {timeout:g} s at "
                           f"{host}:{port}: start {'it' if len(missing) == 1 else 'them'} with the same --coordinator "
                           f"and --num-processes {count} (or give --join-timeout more seconds).")
                break
            hello = _read_line(connection, deadline)
            try:
                peer, peer_count, peer_digest = hello.split()
                peer, peer_count = int(peer), int(peer_count)
            except ValueError:
                connection.close()  # not one of ours (a port scan, a stray client): wait on
                continue
            if peer in peers:  # a second process with the same id
                problem = f"two processes say they are process {peer}: give each its own --process-id, 0 to {count - 1}."
                with contextlib.suppress(OSError):
                    connection.sendall(f"refused {problem}\n".encode())
                connection.close()
                break
            peers[peer] = connection
            if peer_count != count:
                problem = (f"process {peer} was started with --num-processes {peer_count}, process 0 with {count}: "
                           "start every process with the same one.")
            elif not 1 <= peer < count:
                problem = f"a process says it is process {peer}; --process-id is from 0 to {count - 1}."
            elif peer_digest != digest:
                problem = (f"process {peer}'s settings differ from process 0's (another --epochs, batch size, model, data "
                           "or --limit?): start every process with the same command, apart from --process-id.")
    for connection in peers.values():
        with contextlib.suppress(OSError):
            connection.sendall(b"ok\n" if problem is None else f"refused {problem}\n".encode())
    if problem is not None:
        for connection in peers.values():
            connection.close()
        raise UserError(f"process 0: {problem}")
    return Peers(0, peers)


def report(host, port, count, index, digest, deadline, timeout):
    """Any process but 0: reports to process 0 and waits for its word."""
    while True:
        try:
            connection = socket.create_connection((host, port), timeout=max(0.1, min(2.0, deadline - time.monotonic())))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise UserError(f"process {index}: process 0 did not answer at {host}:{port} within {timeout:g} s: "
                                "start it (--process-id 0) with the same --coordinator, or check the address (or give "
                                "--join-timeout more seconds).") from None
            time.sleep(0.2)
    connection.sendall(f"{index} {count} {digest}\n".encode())
    answer = _read_line(connection, deadline + 5)
    if answer == "ok":
        return Peers(index, {0: connection})
    connection.close()
    if answer.startswith("refused "):
        raise UserError(f"process {index}: process 0 refused the run: {answer[len('refused '):]}")
    raise UserError(f"process {index}: process 0 ended before every process joined (see its message).")


def _read_line(connection, deadline):
    """One line from ``connection`` before ``deadline`` ("" if it closes, or nothing comes)."""
    data = b""
    while not data.endswith(b"\n"):
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = connection.recv(1024)
        except OSError:
            return ""
        if not chunk or len(data) > 4096:
            return ""
        data += chunk
    connection.settimeout(None)
    return data.decode(errors="replace").strip()
