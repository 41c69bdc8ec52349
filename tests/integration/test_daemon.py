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
from pghalab import Writer  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PGHAD = os.environ.get("PGHAD_BIN", os.path.join(REPO, "build", "daemon", "pghad"))
FAST = {"monitor_interval": "500ms", "reconnect_attempts": 2, "reconnect_interval": "500ms", "lease_timeout": "3s"}


def http(node, path, method="GET", body=None, timeout=5):
    """(status, body) of a request to the node's daemon; status None when it did not answer."""
    req = urllib.request.Request("http://%s:%d%s" % (node.host, node.http_port, path), method=method,
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
    or its child when the lab runs it through runuser (as root). Not a child
    of pghad itself (a pg_ctl or ping it runs) when it was exec'd directly."""
    try:
        with open("/proc/%d/comm" % proc.pid) as f:
            if f.read().strip() == "pghad":
                return proc.pid
    except OSError:
        pass
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


def read_text(path):
    with open(path) as f:
        return f.read()


def wait_until(predicate, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


class DaemonTest(LabTestCase):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        secret = lab.write_file(os.path.join(lab.dir, "cluster.secret"), "s3cret-cluster-key\n", mode=0o600)
        config = {n: {"failover": FAST, "daemon": {"secret_file": secret, "history_interval": "1s"}} for n in (1, 2, 3)}
        config[3]["events"] = {"command": "/bin/false %e"}  # a failing hook, counted in /metrics
        lab.build_cluster(standbys=2, config=config)
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
        # node3's first tick may still be running its (failing) daemon_start hook.
        wait_until(lambda: http(n3, "/replica?lag=16MB")[0] == 200, 10, "/replica?lag=16MB 200 on node3")
        self.assertEqual(http(n3, "/replica?lag=lots")[0], 400)
        self.assertEqual(http(n1, "/health")[0], 200)
        self.assertEqual(http(n1, "/primary", method="OPTIONS")[0], 200)
        status = json.loads(http(n2, "/status")[1])
        self.assertEqual(status["role"], "standby")
        self.assertEqual(status["node_name"], "node2")
        metrics = http(n1, "/metrics")[1]
        self.assertIn("pgha_term", metrics)
        self.assertIn('pgha_is_primary{cluster="pgha",node="node1"} 1', metrics)

    def test_2_daemon_status_and_pause(self):
        rows = wait_until(lambda: [r for r in load_json(self, self.pgha(2, "daemon", "status", "--json"))
                                   if r["running"]], 10, "three running daemons")
        self.assertEqual(len(rows), 3, rows)
        roles = {r["node_name"]: r["role"] for r in rows}
        self.assertEqual(roles, {"node1": "primary", "node2": "standby", "node3": "standby"})
        for key in ("lease_timeout_ms", "lease_mismatch"):
            self.assertIn(key, rows[0], "daemon status --json carries the lease settings")
            self.assertIn(key, json.loads(http(self.lab.node(1), "/status")[1]), "/status carries them too")
        self.assertEqual({r["lease_timeout_ms"] for r in rows}, {3000}, rows)  # every node runs FAST's 3 s
        self.assertEqual([r["lease_mismatch"] for r in rows], [None, None, None], rows)
        table = self.pgha(2, "daemon", "status")
        self.assertIn("3s", table.stdout)
        self.assertNotIn("lease_timeout differs", table.stdout + table.stderr)
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

    def test_3a_sighup_reports_what_changed_and_refuses_an_invalid_file(self):
        node = self.lab.node(2)
        log = os.path.join(node.dir, "pghad.log")
        pid = daemon_pid(self.daemons[2])
        try:
            self.lab.configure(2, failover={"maximum_lag_on_failover": "32MB"})
            os.kill(pid, signal.SIGHUP)
            wait_until(lambda: "failover.maximum_lag_on_failover: \"16MB\" -> \"32MB\"" in read_text(log), 10,
                       "the reload to report the changed key")
            with open(node.config) as f:
                self.lab.write_file(node.config, "bogus_key = 1\n" + f.read())
            os.kill(pid, signal.SIGHUP)
            wait_until(lambda: "reload refused, keeping the old configuration" in read_text(log), 10,
                       "an invalid file to be refused")
            self.assertIn("bogus_key", read_text(log))
        finally:
            self.lab.configure(2, failover={"maximum_lag_on_failover": None})
            os.kill(pid, signal.SIGHUP)
        self.assertEqual(http(node, "/replica")[0], 200, "the daemon keeps serving")

    def test_3b_primary_writes_monitoring_history_and_hook_failures_are_counted(self):
        lab = self.lab
        sampled = "SELECT count(DISTINCT standby_node_id) FROM pgha.monitoring_history WHERE primary_node_id = 1"
        lab.wait_sql(1, sampled, "2", timeout=15)
        lag = lab.psql(1, "SELECT max(lag_bytes) IS NOT NULL FROM pgha.monitoring_history WHERE standby_node_id = 2")
        self.assertEqual(lag, "t")
        metrics = http(lab.node(3), "/metrics")[1]
        failures = [line for line in metrics.splitlines() if line.startswith("pgha_hook_failures_total")]
        self.assertTrue(failures and float(failures[0].split()[-1]) >= 1, metrics)
        self.assertIn("pgha_hook_failures_total", http(lab.node(1), "/metrics")[1])

    def test_4_postmaster_killed_one_standby_promoted_the_other_follows(self):
        lab = self.lab
        n = {i: lab.node(i) for i in (1, 2, 3)}
        self.assertEqual(http(n[1], "/primary")[0], 200)
        writer = Writer(lab, lab.read_write_conninfo(), "failover_rows", interval=0.02).start()
        try:
            wait_until(lambda: len(writer.acked) >= 20, 20, "the writer to get going")
            with open(os.path.join(n[1].data_dir, "postmaster.pid")) as f:
                pid = int(f.readline())
            t0 = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            acked_before = [i for i in writer.acked if writer.acked_at[i] < t0]
            time.sleep(0.3)  # the dead primary's WAL senders notice its postmaster is gone
            # What reached a standby: read at once, before either follows a new primary.
            reached = set()
            for s in (2, 3):
                r = lab.psql_run(s, "SELECT id FROM failover_rows", timeout=5)
                if r.returncode == 0:
                    reached |= {int(x) for x in r.stdout.split()}

            def primaries():
                found = []
                for s in (2, 3):
                    r = lab.psql_run(s, "SELECT pg_is_in_recovery()")
                    if r.returncode == 0 and r.stdout.strip() == "f":
                        found.append(s)
                return found
            promoted = wait_until(primaries, 60, "a standby to be promoted")
            took = time.monotonic() - t0
            first_new = wait_until(lambda: [i for i in writer.acked if writer.acked_at[i] > t0], 30,
                                   "a write acknowledged by the new primary")
            print("\nfailover after kill -9 of the primary's postmaster: %.2fs to promotion, %.2fs to the first "
                  "write (fast profile)" % (took, writer.acked_at[first_new[0]] - t0), file=sys.stderr)
            self.assertEqual(len(promoted), 1, "exactly one standby is promoted: %r" % promoted)
            new, other = promoted[0], 5 - promoted[0]
            wait_until(lambda: lab.psql(other, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = "
                                               "'streaming' AND sender_port = %d" % n[new].port) == "1", 20,
                       "node%d to stream from node%d" % (other, new))
            time.sleep(1)
        finally:
            acked = writer.stop()
        self.assertEqual(primaries(), [new], "still exactly one primary")
        on_new = {int(x) for x in lab.psql(new, "SELECT id FROM failover_rows").split()}
        self.assertEqual(reached - on_new, set(), "writes that reached a standby are on the new primary")
        lost = sorted(set(acked_before) - on_new)
        print("acknowledged before the kill: %d, never reached a standby (async replication): %d"
              % (len(acked_before), len(lost)), file=sys.stderr)
        self.assertLessEqual(len(lost), 2, "only the last writes before the kill may be missing: %r" % lost)
        # A write in flight at the kill may still be acknowledged by an orphaned backend of the old primary.
        self.assertEqual(set(i for i in acked if writer.acked_by[i] == n[new].port) - on_new, set(),
                         "every write acknowledged by the new primary is there")
        lab.wait_sql(other, "SELECT count(*) FROM failover_rows", str(len(on_new)), timeout=20)

        # HAProxy-style checks after the failover.
        wait_until(lambda: http(n[new], "/primary")[0] == 200, 10, "/primary 200 on the new primary")
        wait_until(lambda: http(n[other], "/replica")[0] == 200, 10, "/replica 200 on the follower")
        self.assertEqual(http(n[other], "/primary")[0], 503)
        self.assertEqual(http(n[new], "/replica")[0], 503)
        self.assertEqual(http(n[1], "/primary")[0], 503, "the old primary's daemon answers 503")
        self.assertEqual(http(n[1], "/health")[0], 503, "its PostgreSQL is down")

        rows = {r["node_name"]: r for r in load_json(self, self.pgha(new, "cluster", "show", "--json"))}
        self.assertEqual(rows["node%d" % new]["role"], "primary", rows)
        self.assertEqual(rows["node%d" % new]["status"], "running", rows)
        self.assertEqual(rows["node%d" % other]["upstream"], "node%d" % new, rows)
        daemons = wait_until(lambda: {r["node_name"]: r for r in
                                      load_json(self, self.pgha(new, "daemon", "status", "--json"))
                                      if r["role"] == "standby" and r["upstream"] == "node%d" % new}, 10,
                             "daemon status to show the follower")
        self.assertIn("node%d" % other, daemons, "daemon status agrees with cluster show")
        events = load_json(self, self.pgha(new, "cluster", "event", "--json", "--limit", "50"))
        kinds = [e["event"] for e in events]
        self.assertIn("failover_election", kinds)
        self.assertIn("standby_promote", kinds)
        # node1's daemon raised "fencing" (lease released) while no primary was
        # writable: queued, then written once the new primary was.
        queued = wait_until(lambda: [e for e in load_json(self, self.pgha(new, "cluster", "event", "--json",
                                                                          "--limit", "50"))
                                     if e["event"] == "fencing" and e["node_name"] == "node1"], 15,
                            "node1's queued event to be written")
        election = [e for e in events if e["event"] == "failover_election"][0]
        self.assertLess(queued[0]["timestamp"], election["timestamp"], "the queued event keeps its own time")
        status = json.loads(http(n[new], "/status")[1])
        self.assertGreaterEqual(status["term"], 2, status)
        # Seen through the pidfd, not by a monitoring round: the old primary's
        # daemon logs the exit and releases at once, flagged, and the winner
        # stood without waiting reconnect_attempts x reconnect_interval.
        with open(os.path.join(n[1].dir, "pghad.log")) as f:
            old_log = f.read()
        self.assertIn("the postmaster (PID %d) exited without a clean shutdown" % pid, old_log)
        self.assertIn("the postmaster of this primary exited after a crash: releasing the lease", old_log)
        with open(os.path.join(n[new].dir, "pghad.log")) as f:
            new_log = f.read()
        self.assertIn("released its lease of term 1 (its postmaster exited)", new_log)
        self.assertNotIn("waiting: primary lost for", new_log.split("(its postmaster exited)")[-1]
                         .split("won the election")[0], "no failure threshold after such a release")

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
