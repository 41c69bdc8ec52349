#!/usr/bin/python3
"""pghad against real servers: HTTP health checks, daemon status, pause, hostile
requests, and automatic failover when the primary's postmaster is killed."""
import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, load_json, main  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PGHAD = os.environ.get("PGHAD_BIN", os.path.join(REPO, "build", "daemon", "pghad"))
FAST = {"monitor_interval": "500ms", "reconnect_attempts": 2, "reconnect_interval": "500ms", "lease_timeout": "3s"}


def http(node, path, method="GET", body=None, timeout=5):
    """(status, body) of a request to the node's daemon; status None when it did not answer."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (node.http_port, path), method=method,
                                 data=body.encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError):
        return None, ""


def daemon_pid(proc):
    """The pghad process of a lab.spawn()ed daemon: the spawned process itself,
    or its child when the lab runs it through runuser (as root)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == proc.pid:
            return int(entry)
    return proc.pid


def kill_daemon(proc):
    """SIGKILL the daemon itself (not just runuser), then reap the spawned process."""
    os.kill(daemon_pid(proc), signal.SIGKILL)
    proc.wait(10)


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


class DaemonTest(LabTestCase):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        secret = lab.write_file(os.path.join(lab.dir, "cluster.secret"), "s3cret-cluster-key\n", mode=0o600)
        overrides = {"failover": FAST, "daemon": {"secret_file": secret}}
        lab.build_cluster(standbys=2, config={n: overrides for n in (1, 2, 3)})
        cls.daemons = {}
        for n in (1, 2, 3):
            cls.start_daemon(n)

    @classmethod
    def start_daemon(cls, n):
        node = cls.lab.node(n)
        cls.daemons[n] = cls.lab.spawn(n, [PGHAD, "-f", node.config],
                                       log_path=os.path.join(node.dir, "pghad.log"))
        wait_until(lambda: http(node, "/health")[0] is not None, 15, "pghad of %s to answer" % node.name)

    def test_1_health_endpoints(self):
        n1, n2, n3 = (self.lab.node(i) for i in (1, 2, 3))
        wait_until(lambda: http(n1, "/primary")[0] == 200, 10, "/primary 200 on node1")
        self.assertEqual(http(n2, "/primary")[0], 503)
        wait_until(lambda: http(n2, "/replica")[0] == 200, 10, "/replica 200 on node2")
        self.assertEqual(http(n1, "/replica")[0], 503)
        self.assertEqual(http(n3, "/replica?lag=16MB")[0], 200)
        self.assertEqual(http(n3, "/replica?lag=lots")[0], 400)
        self.assertEqual(http(n1, "/health")[0], 200)
        self.assertEqual(http(n1, "/primary", method="OPTIONS")[0], 200)
        status = json.loads(http(n2, "/status")[1])
        self.assertEqual(status["role"], "standby")
        self.assertEqual(status["node_name"], "node2")
        metrics = http(n1, "/metrics")[1]
        self.assertIn("pgha_term", metrics)
        self.assertIn('pgha_is_primary{node="node1"} 1', metrics)

    def test_2_daemon_status_and_pause(self):
        rows = wait_until(lambda: [r for r in load_json(self, self.pgha(2, "daemon", "status", "--json"))
                                   if r["running"]], 10, "three running daemons")
        self.assertEqual(len(rows), 3, rows)
        roles = {r["node_name"]: r["role"] for r in rows}
        self.assertEqual(roles, {"node1": "primary", "node2": "standby", "node3": "standby"})
        r = self.pgha(1, "daemon", "pause")
        self.assertEqual(r.returncode, 0, describe(r))
        rows = load_json(self, self.pgha(3, "daemon", "status", "--json"))
        self.assertTrue(all(row["paused"] for row in rows), rows)
        r = self.pgha(1, "daemon", "unpause")
        self.assertEqual(r.returncode, 0, describe(r))
        rows = load_json(self, self.pgha(3, "daemon", "status", "--json"))
        self.assertFalse(any(row["paused"] for row in rows), rows)

    def test_3_hostile_requests_get_4xx_and_the_daemon_keeps_serving(self):
        n1 = self.lab.node(1)
        vote = json.dumps({"term": 99, "candidate_id": 3, "candidate_lsn": "FF/0"})
        self.assertEqual(http(n1, "/peer/vote", "POST", vote)[0], 401)   # unsigned
        self.assertEqual(http(n1, "/peer/pause", "POST", '{"paused": true}')[0], 401)
        self.assertEqual(http(n1, "/nope")[0], 404)
        status, _ = http(n1, "/peer/state", "POST", "x" * (2 * 1024 * 1024))
        self.assertIn(status, (None, 401, 413))
        for payload in (b"\x00\xff GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n" + b"X: " + b"y" * 20000 + b"\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", n1.http_port), timeout=5) as s:
                s.sendall(payload)
                try:
                    s.recv(1024)
                except OSError:
                    pass
        self.assertEqual(http(n1, "/health")[0], 200)
        rows = load_json(self, self.pgha(1, "daemon", "status", "--json"))
        self.assertFalse(any(row["paused"] for row in rows), "an unsigned pause must change nothing: %r" % rows)

    def test_4_postmaster_killed_one_standby_promoted_the_other_follows(self):
        lab = self.lab
        lab.psql(1, "CREATE TABLE failover_rows (id int PRIMARY KEY)")
        lab.psql(1, "INSERT INTO failover_rows SELECT generate_series(1, 100)")
        for n in (2, 3):
            lab.wait_sql(n, "SELECT count(*) FROM failover_rows", "100", timeout=30)
        with open(os.path.join(lab.node(1).data_dir, "postmaster.pid")) as f:
            pid = int(f.readline())
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)

        def primaries():
            found = []
            for n in (2, 3):
                r = lab.psql_run(n, "SELECT pg_is_in_recovery()")
                if r.returncode == 0 and r.stdout.strip() == "f":
                    found.append(n)
            return found
        promoted = wait_until(primaries, 60, "a standby to be promoted")
        took = time.monotonic() - t0
        print("\nfailover after kill -9 of the primary's postmaster: %.2fs (fast profile)" % took, file=sys.stderr)
        self.assertEqual(len(promoted), 1, "exactly one standby is promoted: %r" % promoted)
        new, other = promoted[0], 5 - promoted[0]
        new_port = lab.node(new).port
        wait_until(lambda: lab.psql(other, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' "
                                          "AND sender_port = %d" % new_port) == "1", 20,
                   "node%d to stream from node%d" % (other, new))
        time.sleep(2)
        self.assertEqual(primaries(), [new], "still exactly one primary")
        self.assertEqual(lab.psql(new, "SELECT count(*) FROM failover_rows"), "100")
        lab.psql(new, "INSERT INTO failover_rows VALUES (101)")
        lab.wait_sql(other, "SELECT count(*) FROM failover_rows", "101", timeout=20)
        rows = {r["node_name"]: r for r in load_json(self, self.pgha(new, "cluster", "show", "--json"))}
        self.assertEqual(rows["node%d" % new]["role"], "primary", rows)
        self.assertEqual(rows["node%d" % new]["status"], "running", rows)
        self.assertEqual(rows["node%d" % other]["upstream"], "node%d" % new, rows)
        events = [e["event"] for e in load_json(self, self.pgha(new, "cluster", "event", "--json", "--limit", "50"))]
        self.assertIn("failover_election", events)
        self.assertIn("standby_promote", events)
        status = json.loads(http(lab.node(new), "/status")[1])
        self.assertGreaterEqual(status["term"], 2, status)

    def test_5_sigterm_stops_the_daemon_cleanly(self):
        proc = self.daemons[3]
        pid = daemon_pid(proc)
        os.kill(pid, signal.SIGTERM)
        proc.wait(10)  # runuser returns once pghad has exited
        self.assertFalse(os.path.exists("/proc/%d/cmdline" % pid) and open("/proc/%d/cmdline" % pid).read(),
                         "pghad still runs after SIGTERM")
        self.assertIsNone(http(self.lab.node(3), "/health")[0])


if __name__ == "__main__":
    main()
