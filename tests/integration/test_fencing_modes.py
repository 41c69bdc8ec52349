#!/usr/bin/python3
"""Fencing against real servers on loopback: a primary that loses its lease
fences itself and, when its peers come back and nobody was elected, takes its
lease back and unfences (fencing_lifted); fencing.mode = "ping" for two-node
clusters, with a ping target that answers and one that does not. Real network
partitions are in test_partitions.py."""
import json
import os
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import load_json, main  # noqa: E402
from test_daemon import FAST, daemon_pid, http, kill_daemon, wait_until  # noqa: E402
from test_daemon_safety import DaemonLab  # noqa: E402


class FrozenDaemons:
    """SIGSTOP some daemons for a while; always resumed, also when a test fails."""

    def __init__(self, testcase, nodes):
        self.pids = [daemon_pid(testcase.daemons[n]) for n in nodes]
        testcase.addCleanup(self.resume)

    def __enter__(self):
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exc):
        self.resume()

    def resume(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


def status(lab, n):
    return json.loads(http(lab.node(n), "/status")[1])


class UnfenceQuorumTest(DaemonLab):
    """3 nodes: both standbys' daemons hang; the primary cannot renew its lease."""

    def test_fenced_primary_unfences_when_nobody_was_elected(self):
        lab = self.lab
        timeline = lab.timeline(1)
        with FrozenDaemons(self, [2, 3]):
            t0 = time.monotonic()
            wait_until(lambda: self.writable() == [], 10, "node1 to fence itself")
            print("\nlease lost -> fenced after %.2fs" % (time.monotonic() - t0), file=sys.stderr)
            st = status(lab, 1)
            self.assertTrue(st["fenced"], st)
            self.assertIn("lost the lease", st["fence_reason"])
            self.assertEqual(http(lab.node(1), "/primary")[0], 503)
            time.sleep(2)
            self.assertIn("stays stopped", status(lab, 1)["last_decision"], "no quorum: it must stay fenced")
            self.assertEqual(self.writable(), [])
        t1 = time.monotonic()
        wait_until(lambda: self.writable() == [1], 20, "node1 to unfence")
        print("peers back -> node1 writable again after %.2fs" % (time.monotonic() - t1), file=sys.stderr)
        wait_until(lambda: not status(lab, 1)["fenced"], 10, "node1's daemon to say it is no longer fenced")
        # It replayed its WAL as a standby and was promoted within the new lease: a new timeline.
        self.assertEqual(lab.timeline(1), timeline + 1)
        for n in (2, 3):
            wait_until(lambda: self.streams_from(n, 1), 30, "node%d to stream from node1 again" % n)
        events = load_json(self, self.pgha(1, "cluster", "event", "--event", "fencing_lifted", "--json"))
        self.assertTrue(events and events[0]["node_id"] == 1 and events[0]["successful"], events)
        self.assertEqual(self.writable(), [1], "nobody else was promoted")
        self.assertEqual(http(lab.node(1), "/primary")[0], 200)


def closed_port_target():
    """A loopback port bound but never listening (connection refused), held
    by this process for its lifetime so that no server can take it."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    _HELD_SOCKETS.append(held)
    return "127.0.0.1:%d" % held.getsockname()[1]


_HELD_SOCKETS = []
PING_UNREACHABLE = {"mode": "ping", "ping_targets": [closed_port_target()]}


class PingModeUnreachableTargetTest(DaemonLab):
    """2 nodes, fencing.mode = "ping", the only ping target does not answer."""
    NODES = 2
    TARGET = PING_UNREACHABLE["ping_targets"][0]
    CONFIG = {n: {"fencing": PING_UNREACHABLE} for n in (1, 2)}

    def test_1_primary_that_loses_its_peer_and_its_ping_target_fences_then_unfences(self):
        lab = self.lab
        with FrozenDaemons(self, [2]):
            wait_until(lambda: self.writable() == [], 10, "node1 to fence itself")
            st = status(lab, 1)
            self.assertTrue(st["fenced"], st)
            self.assertIn("no ping target answered", st["fence_reason"])
            self.assertIn(self.TARGET, st["fence_reason"])
        wait_until(lambda: self.writable() == [1], 20, "node1 to unfence once its peer answers")
        wait_until(lambda: self.streams_from(2, 1), 30, "node2 to stream from node1 again")

    def test_2_standby_that_reaches_no_ping_target_does_not_promote(self):
        lab = self.lab
        kill_daemon(self.daemons[1])
        self.kill_postmaster(1)
        time.sleep(7)  # failure threshold + lease_timeout + a ping
        self.assertEqual(self.writable(), [], "node2 may be the isolated one: no promotion")
        self.assertIn("no ping target answers", status(lab, 2)["last_decision"])


class PingModeReachableTargetTest(DaemonLab):
    """2 nodes, fencing.mode = "ping", ping target 127.0.0.1 (ICMP) answers."""
    NODES = 2
    CONFIG = {n: {"fencing": {"mode": "ping", "ping_targets": ["127.0.0.1"]}} for n in (1, 2)}

    def test_1_primary_that_loses_its_peer_but_reaches_a_ping_target_stays_primary(self):
        lab = self.lab
        with FrozenDaemons(self, [2]):
            time.sleep(6)  # twice lease_timeout
            self.assertEqual(self.writable(), [1])
            st = status(lab, 1)
            self.assertFalse(st["fenced"], st)
            self.assertIn("127.0.0.1 answered", st["last_decision"])
            self.assertIn("staying primary", st["last_decision"])
        wait_until(lambda: "connected to the primary" in status(lab, 2)["last_decision"], 10, "node2 to see node1")

    def test_2_lost_host_standby_reaches_the_ping_target_and_promotes_alone(self):
        kill_daemon(self.daemons[1])
        self.kill_postmaster(1)
        t0 = time.monotonic()
        wait_until(lambda: self.writable() == [2], 20, "node2 to promote itself")
        print("\nping mode, lost host: node2 writable after %.2fs" % (time.monotonic() - t0), file=sys.stderr)
        events = load_json(self, self.pgha(2, "cluster", "event", "--event", "failover_election", "--json"))
        self.assertTrue(events and events[0]["node_id"] == 2, events)


if __name__ == "__main__":
    main()
