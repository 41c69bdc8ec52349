#!/usr/bin/python3
"""The shipped conf/haproxy.cfg with the real HAProxy in front of 3 nodes
with pghad (fast timings): writes through its port 5000 reach the primary,
reads through 5001 the standbys; a switchover with the writer going through
HAProxy loses no acknowledged write and writes resume; after kill -9 of the
primary's postmaster writes resume through HAProxy, and the old primary
started again by hand is never UP in the write backend."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import describe, main  # noqa: E402
from pghalab import Writer  # noqa: E402
from test_daemon import wait_until  # noqa: E402
from test_switchover import SwitchoverLab  # noqa: E402

HAPROXY = os.environ.get("HAPROXY_BIN", "/usr/sbin/haproxy")
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf", "haproxy.cfg")


class HAProxy:
    """conf/haproxy.cfg with the lab's loopback addresses and free ports, run
    in the foreground by the lab (stopped by its PID at teardown)."""

    def __init__(self, lab, nodes=(1, 2, 3)):
        self.lab = lab
        taken = {lab.node(n).port for n in nodes} | {lab.node(n).http_port for n in nodes}
        self.ports = []
        for _ in range(3):
            port = lab.ports.reserve(lab.dir, taken)
            taken.add(port)
            self.ports.append(port)
        self.write_port, self.read_port, self.stats_port = self.ports
        self.socket = os.path.join(lab.dir, "haproxy.sock")
        self.config = os.path.join(lab.dir, "haproxy.cfg")
        self.names = {}  # server name -> node number
        with open(SAMPLE) as f:
            text = f.read()
        text = text.replace("/run/haproxy/admin.sock", self.socket)
        for bind, port in (("*:5000", self.write_port), ("*:5001", self.read_port), ("*:7000", self.stats_port)):
            assert bind in text, "%s lost %s" % (SAMPLE, bind)
            text = text.replace("bind " + bind, "bind 127.0.0.1:%d" % port)

        def server(m):
            n = int(m.group(1))
            node = lab.node(n)
            self.names["db%d" % n] = n
            return "server db%d %s:%d %scheck port %d" % (n, node.host, node.port, m.group(2), node.http_port)

        text, count = re.subn(r"server db(\d) db\d:5432 (.*?)check port 8008", server, text)
        assert count == 6, "%s: expected 6 server lines, found %d" % (SAMPLE, count)
        with open(self.config, "w") as f:
            f.write(text)
        r = subprocess.run([HAPROXY, "-c", "-f", self.config], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("haproxy -c refused %s: %s%s" % (self.config, r.stdout, r.stderr))
        self.proc = lab.spawn(1, [HAPROXY, "-db", "-f", self.config], log_path=os.path.join(lab.dir, "haproxy.log"),
                              as_pg=False)
        wait_until(lambda: os.path.exists(self.socket) and self.stat(), 15, "HAProxy's stats socket")

    def conninfo(self, port):
        return "host=127.0.0.1 port=%d user=pgha dbname=pgha connect_timeout=2" % port

    def stat(self):
        """{(proxy, server): status} from the stats socket's `show stat`; {} when it does not answer."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(self.socket)
                s.sendall(b"show stat\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except OSError:
            return {}
        lines = data.decode(errors="replace").splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        col = {name: i for i, name in enumerate(header)}
        out = {}
        for line in lines[1:]:
            fields = line.split(",")
            if len(fields) > col["status"]:
                out[(fields[col["pxname"]], fields[col["svname"]])] = fields[col["status"]]
        return out

    def up(self, proxy):
        """Node numbers UP in `proxy` (primary or replicas)."""
        return sorted(n for (p, s), status in self.stat().items()
                      if p == proxy and s in self.names and status.startswith("UP") for n in [self.names[s]])

    def close(self):
        self.lab.stop_spawned(self.proc)
        for port in self.ports:
            self.lab.ports.release(port)


class HAProxyTest(SwitchoverLab):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.haproxy = HAProxy(cls.lab)
        cls.addClassCleanup(cls.haproxy.close)

    def wait_backends(self, primary):
        standbys = [n for n in (1, 2, 3) if n != primary]
        wait_until(lambda: self.haproxy.up("primary") == [primary], 20, "node%d alone UP for writes" % primary)
        wait_until(lambda: self.haproxy.up("replicas") == standbys, 20, "nodes %s UP for reads" % standbys)

    def writer(self, table):
        return Writer(self.lab, self.haproxy.conninfo(self.haproxy.write_port), table, interval=0.02)

    def wait_written_by(self, writer, n, timeout=30):
        port = self.lab.node(n).port
        wait_until(lambda: port in writer.acked_by.values(), timeout, "a write acknowledged by node%d" % n)

    def test_1_writes_reach_the_primary_and_reads_the_standbys(self):
        lab = self.lab
        self.wait_backends(1)
        writer = self.writer("through_haproxy")
        with writer:
            wait_until(lambda: len(writer.acked) >= 20, 20, "20 writes through HAProxy")
        self.assertEqual(set(writer.acked_by.values()), {lab.node(1).port}, "every write went to node1")
        self.assertEqual(writer.failed, 0)
        seen = set()
        for _ in range(8):
            r = lab.psql_conninfo(self.haproxy.conninfo(self.haproxy.read_port),
                                  "SELECT pg_is_in_recovery(), inet_server_port()", timeout=15)
            self.assertEqual(r.returncode, 0, describe(r))
            recovery, port = r.stdout.strip().split("|")
            self.assertEqual(recovery, "t", "a read went to a server that is not a standby")
            seen.add(int(port))
        self.assertEqual(seen, {lab.node(2).port, lab.node(3).port}, "reads balanced over both standbys")

    def test_2_switchover_through_haproxy_loses_no_acknowledged_write(self):
        lab = self.lab
        self.wait_backends(1)
        writer = self.writer("switchover_haproxy").start()
        try:
            wait_until(lambda: len(writer.acked) >= 5, 20, "writes through HAProxy")
            r = self.switchover(2, "--siblings-follow")
            self.assertEqual(r.returncode, 0, describe(r))
            self.wait_written_by(writer, 2)
            done = len(writer.acked)
            wait_until(lambda: len(writer.acked) >= done + 10, 20, "writes going on through HAProxy")
        finally:
            acked = writer.stop()
        self.assert_topology(2)
        present = set(lab.ids(2, "switchover_haproxy"))
        self.assertEqual([i for i in acked if i not in present], [], "acknowledged writes lost")
        self.wait_backends(2)

    def test_3_failover_through_haproxy_and_the_old_primary_never_up_again(self):
        lab = self.lab
        self.wait_backends(2)
        writer = self.writer("failover_haproxy").start()
        try:
            wait_until(lambda: len(writer.acked) >= 5, 20, "writes through HAProxy")
            with open(os.path.join(lab.node(2).data_dir, "postmaster.pid")) as f:
                os.kill(int(f.readline()), signal.SIGKILL)
            new = wait_until(lambda: [n for n in (1, 3) if lab.node(n).port in writer.acked_by.values()], 60,
                             "writes through HAProxy to a new primary")[0]
            done = len(writer.acked)
            wait_until(lambda: len(writer.acked) >= done + 10, 20, "writes going on through HAProxy")
        finally:
            acked = writer.stop()
        present = set(lab.ids(new, "failover_haproxy"))
        lost = [i for i in acked if i not in present]
        print("\nfailover to node%d through HAProxy: %d acknowledged, %d not on the new primary (async replication)"
              % (new, len(acked), len(lost)), file=sys.stderr)
        # The DBA starts the old primary by hand: its daemon fences it, and
        # HAProxy never routes writes to it meanwhile.
        start = [lab.pg("pg_ctl"), "-D", lab.node(2).data_dir, "-l", lab.node(2).log, "-w", "-t", "60", "start"]
        wait_until(lambda: lab.run(2, start, check=False).returncode == 0, 20, "node2 to start by hand")
        samples = []
        end = time.monotonic() + 15
        while time.monotonic() < end:
            stat = self.haproxy.stat()
            self.assertTrue(stat, "HAProxy's stats socket stopped answering")
            samples.append(stat.get(("primary", "db2")))
            time.sleep(0.5)
        self.assertEqual([s for s in samples if s and s.startswith("UP")], [],
                         "the old primary was UP in the write backend: %s" % samples)
        self.assertGreaterEqual(len(samples), 20)
        wait_until(lambda: self.streams_from(2, new), 60, "node2 to rejoin as a standby of node%d" % new)
        lab.adopt_pid(2)
        self.assertEqual(self.haproxy.up("primary"), [new])


if __name__ == "__main__":
    main()
