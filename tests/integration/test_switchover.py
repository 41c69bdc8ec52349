#!/usr/bin/python3
"""pgha standby switchover against real servers, through the daemons (no SSH):
--dry-run on a healthy cluster and its refusals, round trips with
--siblings-follow and a continuous writer, and the failure paths (the old
primary does not stop; the candidate cannot be promoted)."""
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import describe, load_json, main  # noqa: E402
from pghalab import Writer  # noqa: E402
from test_daemon import daemon_pid, http, kill_daemon, wait_until  # noqa: E402
from test_daemon_safety import DaemonLab  # noqa: E402


class SwitchoverLab(DaemonLab):
    """DaemonLab's 3 nodes with pghad on each (fast timings, a cluster secret,
    start_command logging where the lab does)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        wait_until(lambda: all(cls.daemon_role(n) for n in (1, 2, 3)), 20, "every daemon to see its PostgreSQL")

    @classmethod
    def daemon_role(cls, n):
        status, body = http(cls.lab.node(n), "/status")
        return status is not None and '"role":"unknown"' not in body.replace(" ", "")

    # ---- helpers
    def switchover(self, node, *args, timeout=120):
        return self.pgha(node, "standby", "switchover", *args, timeout=timeout)

    def multi_host(self):
        nodes = [self.lab.node(n) for n in (1, 2, 3)]
        return ("host=%s port=%s user=pgha dbname=pgha connect_timeout=2 target_session_attrs=read-write"
                % (",".join(n.host for n in nodes), ",".join(str(n.port) for n in nodes)))

    def events(self, primary, kind):
        rows = load_json(self, self.pgha(primary, "cluster", "event", "--json", "--limit", "1000"))
        return [e for e in rows if e["event"] == kind]

    def assert_topology(self, primary):
        """One writable primary; the others stream from it; cluster show and
        daemon status say the same."""
        others = [n for n in (1, 2, 3) if n != primary]
        self.assertEqual(self.writable(), [primary])
        for n in others:
            wait_until(lambda: self.streams_from(n, primary), 10, "node%d to stream from node%d" % (n, primary))
        for n in (1, 2, 3):
            self.lab.adopt_pid(n)
        name = "node%d" % primary

        def agree():
            show = {r["node_name"]: r for r in load_json(self, self.pgha(primary, "cluster", "show", "--json"))}
            daemons = {r["node_name"]: r for r in load_json(self, self.pgha(primary, "daemon", "status", "--json"))}
            for n in (1, 2, 3):
                s, d, nn = show["node%d" % n], daemons["node%d" % n], "node%d" % n
                role = "primary" if n == primary else "standby"
                if (s["role"], s["actual_role"], s["status"], d["running"], d["role"]) != (role, role, "running", True, role):
                    return False
                if n != primary and (s["upstream"], d["upstream"]) != (name, name):
                    return False
            return len({d["term"] for d in daemons.values()}) == 1
        wait_until(agree, 15, "cluster show and daemon status to agree that %s is the primary" % name)

    def assert_unchanged(self, before):
        self.assertEqual(self.snapshot(), before, "a refused or dry-run switchover must change nothing")

    def snapshot(self):
        return {"writable": self.writable(),
                "started": [self.lab.postmaster_start_time(n) for n in (1, 2, 3)],
                "switchovers": len(self.events(1, "standby_switchover")),
                "term": self.lab.psql(1, "SELECT term FROM pgha.cluster_state")}

    def sighup_daemon(self, n):
        def reloads():
            with open(os.path.join(self.lab.node(n).dir, "pghad.log")) as f:
                return f.read().count("configuration reloaded")
        seen = reloads()
        os.kill(daemon_pid(self.daemons[n]), signal.SIGHUP)
        wait_until(lambda: reloads() > seen, 10, "node%d's daemon to reload" % n)


class SwitchoverTest(SwitchoverLab):
    def test_1_dry_run_passes_and_changes_nothing(self):
        before = self.snapshot()
        r = self.switchover(2, "--dry-run", "--siblings-follow")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertNotIn("[FAIL]", r.stdout)
        for check in ("pghad answers signed requests", "not paused", "streams from", "replays WAL",
                      "without pg_rewind", "pg_rewind would be possible", "[service] commands", "free WAL sender",
                      "free replication slot"):
            self.assertIn(check, r.stdout, describe(r))
        self.assertIn("dry run: all checks passed; nothing was changed", r.stdout)
        self.assert_unchanged(before)
        r = self.switchover(2, "--dry-run", "--json")
        self.assertTrue(all(c["passed"] for c in load_json(self, r)["checks"]))

    def test_2_dry_run_fails_and_real_run_refuses_in_the_same_cases(self):
        lab = self.lab
        cases = [
            ("stopped sibling", lambda: lab.stop(3), lambda: (lab.start(3), lab.wait_streaming(3)),
             "every registered node's PostgreSQL is reachable", "node3"),
            ("paused cluster", lambda: self.pgha(1, "daemon", "pause", check=True),
             lambda: self.pgha(1, "daemon", "unpause", check=True), "automatic failover is not paused",
             "pgha daemon unpause"),
            ("lagging candidate", lambda: lab.psql(2, "SELECT pg_wal_replay_pause()", dbname="postgres"),
             lambda: lab.psql(2, "SELECT pg_wal_replay_resume()", dbname="postgres"),
             "replays WAL", "WAL replay is paused"),
            ("unreachable primary daemon", lambda: kill_daemon(self.daemons[1]), lambda: self.start_daemon(1),
             "pghad answers signed requests", "node1"),
        ]
        for name, break_it, repair, check, words in cases:
            with self.subTest(name):
                break_it()
                try:
                    before = self.snapshot() if name != "stopped sibling" else None
                    r = self.switchover(2, "--dry-run", "--siblings-follow")
                    self.assertEqual(r.returncode, 3, describe(r))
                    failed = [line for line in r.stdout.splitlines() if line.startswith("[FAIL]")]
                    self.assertTrue(any(check in line for line in failed), describe(r))
                    self.assertIn(words, r.stdout, describe(r))
                    self.assertIn("HINT:", r.stdout)
                    r = self.switchover(2, "--siblings-follow")
                    self.assertEqual(r.returncode, 3, describe(r))
                    self.assertIn("standby switchover refused", r.stderr)
                    self.assertEqual(self.writable(), [1])
                    if before:
                        self.assert_unchanged(before)
                finally:
                    repair()
        wait_until(lambda: self.switchover(2, "--dry-run").returncode == 0, 20, "a passing dry run again")

    def test_3_round_trip_with_siblings_follow_loses_no_write(self):
        lab = self.lab
        node3_started = lab.postmaster_start_time(3)
        writer = Writer(lab, self.multi_host(), "switchover_round_trip", interval=0.02).start()
        time.sleep(0.5)
        r = self.switchover(2, "--siblings-follow")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertRegex(r.stdout, r"node2.*promoted to primary \(term \d+\)")
        self.assertIn("without pg_rewind", r.stdout)
        self.assert_topology(2)
        self.assertEqual(lab.postmaster_start_time(3), node3_started, "node3 must follow without a restart")
        time.sleep(0.3)
        r = self.switchover(1, "--siblings-follow")
        self.assertEqual(r.returncode, 0, describe(r))
        time.sleep(0.3)
        acked = writer.stop()
        self.assert_topology(1)
        self.assertEqual(lab.postmaster_start_time(3), node3_started)
        present = set(lab.ids(1, "switchover_round_trip"))
        self.assertEqual([i for i in acked if i not in present], [], "acknowledged writes lost")
        self.assertGreater(len(acked), 20)
        for kind in ("standby_switchover", "standby_promote", "node_rejoin", "standby_follow"):
            self.assertTrue(self.events(1, kind), "no %s event" % kind)

    def test_4_ten_round_trips_with_the_writer_running(self):
        lab = self.lab
        node3_started = lab.postmaster_start_time(3)
        writer = Writer(lab, self.multi_host(), "switchover_ten", interval=0.02).start()
        took = []
        try:
            for i in range(10):
                for target in (2, 1):
                    t0 = time.monotonic()
                    r = self.switchover(target, "--siblings-follow")
                    took.append(time.monotonic() - t0)
                    self.assertEqual(r.returncode, 0, "round trip %d%s" % (i + 1, describe(r)))
                    self.assertEqual(self.writable(), [target])
        finally:
            acked = writer.stop()
        print("\n20 switchovers: command median %.2fs, max %.2fs" % (sorted(took)[10], max(took)), file=sys.stderr)
        self.assert_topology(1)
        self.assertEqual(lab.postmaster_start_time(3), node3_started, "node3 must never restart")
        present = set(lab.ids(1, "switchover_ten"))
        self.assertEqual([i for i in acked if i not in present], [], "acknowledged writes lost")

    def test_5_old_primary_that_does_not_stop_stays_primary(self):
        lab = self.lab
        lab.configure(1, service={"stop_command": "/bin/sleep 60"})
        self.sighup_daemon(1)
        try:
            t0 = time.monotonic()
            r = self.switchover(2, "--siblings-follow", "--stop-timeout", "2")
            self.assertLess(time.monotonic() - t0, 15)
        finally:
            lab.configure(1, service={"stop_command": None})
            self.sighup_daemon(1)
        self.assertEqual(r.returncode, 4, describe(r))
        self.assertIn("did not stop in time", r.stderr)
        self.assertIn('"node1" (ID 1) is still the primary', r.stderr)
        self.assertEqual(self.writable(), [1])
        self.assert_topology(1)

    def test_6_failed_promotion_restarts_the_old_primary(self):
        lab = self.lab
        writer = Writer(lab, self.multi_host(), "switchover_failed", interval=0.02).start()
        data = lab.node(2).data_dir
        os.chmod(data, 0o500)  # pg_promote() cannot create its signal file
        try:
            r = self.switchover(2, "--siblings-follow")
        finally:
            os.chmod(data, 0o700)
        self.assertEqual(r.returncode, 4, describe(r))
        self.assertIn("promotion of", r.stderr)
        self.assertIn('"node1" (ID 1) was started again as the primary and accepts writes', r.stderr)
        self.assert_topology(1)
        time.sleep(0.3)
        acked = writer.stop()
        present = set(lab.ids(1, "switchover_failed"))
        self.assertEqual([i for i in acked if i not in present], [], "acknowledged writes lost")
        failed = [e for e in self.events(1, "standby_switchover") if not e["successful"]]
        self.assertTrue(failed and re.search("promotion", failed[0]["details"]), failed)

    def test_7_unconfirmed_handover_needs_force_rewind(self):
        lab = self.lab
        node1 = lab.node(1)
        immediate = "%s -D %s -m immediate -w stop" % (lab.pg("pg_ctl"), node1.data_dir)
        lab.configure(1, service={"stop_command": immediate})
        self.sighup_daemon(1)
        try:
            r = self.switchover(2, "--siblings-follow")
            self.assertEqual(r.returncode, 4, describe(r))
            self.assertIn("clean shutdown", r.stderr)
            self.assertIn("--force-rewind", r.stderr)
            self.assertIn("was started again as the primary", r.stderr)
            self.assert_topology(1)
            r = self.switchover(2, "--siblings-follow", "--force-rewind")
            self.assertEqual(r.returncode, 0, describe(r))
            self.assertIn("--force-rewind: promoting although", r.stdout)
        finally:
            lab.configure(1, service={"stop_command": None})
            self.sighup_daemon(1)
        self.assert_topology(2)
        r = self.switchover(1, "--siblings-follow")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assert_topology(1)


if __name__ == "__main__":
    main()
