#!/usr/bin/python3
"""A flood of trickling connections on the standbys' daemon ports starves
nothing that matters: for longer than the lease, 300 connections to each
standby's daemon that send a byte a second (reconnecting when closed), while
/primary and /replica are checked every 0.5 s with a 2 s timeout. At least 95 %
of the checks answer 200 within 2 s, and the primary keeps its lease: no new
term, no fencing, no election, still the one writable primary."""
import os
import re
import resource
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import main  # noqa: E402
from test_daemon import http  # noqa: E402
from test_daemon_safety import DaemonLab  # noqa: E402

CONNECTIONS = 300  # per flooded standby
FLOOD_SECONDS = 25  # longer than FAST's lease_timeout (3 s) many times over
PARTIAL = b"GET / HTTP/1.1\r\nX-a: "


class Flood:
    """CONNECTIONS sockets to one address, each sent PARTIAL and then one byte
    a second, reopened whenever the server closes it. One thread."""

    def __init__(self, host, port):
        self.address = (host, port)
        self.sockets = []
        self.opened = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open_one(self):
        try:
            s = socket.create_connection(self.address, timeout=2)
            s.sendall(PARTIAL)
            s.setblocking(False)
            self.opened += 1
            return s
        except OSError:
            return None

    @staticmethod
    def alive(s):
        if s is None:
            return False
        try:
            return s.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) != b""
        except BlockingIOError:
            return True
        except OSError:
            return False

    def run(self):
        self.sockets = [self.open_one() for _ in range(CONNECTIONS)]
        while not self.stopping.wait(1.0):
            for i, s in enumerate(self.sockets):
                if self.stopping.is_set():
                    break
                if self.alive(s):
                    try:
                        s.send(b"a")
                        continue
                    except OSError:
                        pass
                if s is not None:
                    s.close()
                self.sockets[i] = self.open_one()

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
        for s in self.sockets:
            if s is not None:
                s.close()


class HttpFloodTest(DaemonLab):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 4 * CONNECTIONS + 256
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
        super().setUpClass()
        cls.wait_roles()

    def log_path(self, n):
        return os.path.join(self.lab.node(n).dir, "pghad.log")

    def test_trickling_connections_on_both_standbys_starve_neither_checks_nor_the_lease(self):
        term = self.status(1)["term"]
        log_sizes = {n: os.path.getsize(self.log_path(n)) for n in (1, 2, 3)}
        floods = [Flood(self.lab.node(n).host, self.lab.node(n).http_port) for n in (2, 3)]
        for flood in floods:
            flood.thread.start()
        checks = [(1, "/primary"), (2, "/replica"), (3, "/replica")]
        results = {check: [] for check in checks}  # (answered 200 within 2 s, seconds)
        try:
            time.sleep(1)  # let the floods fill the standbys' tables
            end = time.monotonic() + FLOOD_SECONDS
            while time.monotonic() < end:
                round_started = time.monotonic()
                for n, path in checks:
                    started = time.monotonic()
                    code, _ = http(self.lab.node(n), path, timeout=2)
                    took = time.monotonic() - started
                    results[(n, path)].append((code == 200 and took < 2, took))
                time.sleep(max(0.0, 0.5 - (time.monotonic() - round_started)))
            open_at_end = [sum(Flood.alive(s) for s in flood.sockets) for flood in floods]
        finally:
            for flood in floods:
                flood.stop()
        opened = [flood.opened for flood in floods]

        total = sum(len(r) for r in results.values())
        good = sum(ok for r in results.values() for ok, _ in r)
        longest = max(took for r in results.values() for _, took in r)
        summary = "; ".join("node%d %s: %d/%d within 2 s, max %.3f s" %
                            (n, path, sum(ok for ok, _ in r), len(r), max(t for _, t in r))
                            for (n, path), r in results.items())
        print("\nflood: connections opened per standby %s, open at the end %s; checks: %d/%d within 2 s, "
              "max %.3f s (%s)" % (opened, open_at_end, good, total, longest, summary), file=sys.stderr)

        # The flood was real: each standby's table filled and it made room.
        for i, n in enumerate((2, 3)):
            self.assertGreaterEqual(opened[i], CONNECTIONS, "node%d was flooded" % n)
            with open(self.log_path(n)) as f:
                f.seek(log_sizes[n])
                self.assertIn("connection slots in use", f.read(), "node%d's table filled up" % n)
        for check, r in results.items():
            self.assertGreaterEqual(sum(ok for ok, _ in r), 0.95 * len(r), "%s: %s" % (check, summary))

        # The primary kept its lease: no new term, no fencing, no election.
        for n in (1, 2, 3):
            self.assertEqual(self.status(n)["term"], term, "node%d: no new term" % n)
            with open(self.log_path(n)) as f:
                f.seek(log_sizes[n])
                events = [line for line in f if re.search(r"fenc|promot|elect|vot|demot", line, re.I)]
            self.assertEqual(events, [], "node%d: no fencing or election" % n)
        self.assertEqual(http(self.lab.node(1), "/primary")[0], 200)
        self.assertEqual(self.writable(), [1], "the primary stays the one writable node")
        for n in (2, 3):
            self.assertEqual(http(self.lab.node(n), "/replica")[0], 200, "node%d serves again" % n)


if __name__ == "__main__":
    main()
