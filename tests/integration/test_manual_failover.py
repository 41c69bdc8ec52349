#!/usr/bin/python3
"""Manual failover with real servers: `standby promote`, `standby follow`
(ALTER SYSTEM + reload, no restart) and `node rejoin` of the old primary with
pg_rewind; the refusals that keep a diverged standby from following; and bad
input (unknown node, a standby or a witness as target, promote on the primary),
each refused with exit 3 and nothing changed."""
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, load_json, main, wait_for  # noqa: E402


def target_conninfo(node):
    return "host=%s port=%d user=pgha dbname=pgha" % (node.host, node.port)


class FailoverHelpers:
    """Mixin: metadata snapshots and 'nothing changed' checks."""

    def metadata(self, node):
        """pgha.nodes and pgha.cluster_state as seen on `node` (text rows)."""
        lab = self.lab
        nodes = lab.psql(node, "SELECT node_id, type, active, coalesce(upstream_node_id, 0) "
                               "FROM pgha.nodes ORDER BY node_id")
        state = lab.psql(node, "SELECT term, coalesce(primary_node_id, 0) FROM pgha.cluster_state")
        return nodes, state

    def node_rows(self, node):
        """{node_id: (type, active, upstream_node_id or None)} from pgha.nodes on `node`."""
        out = {}
        for line in self.metadata(node)[0].splitlines():
            nid, typ, active, up = line.split("|")
            out[int(nid)] = (typ, active == "t", int(up) or None)
        return out

    def term(self, node):
        return int(self.metadata(node)[1].split("|")[0])

    def auto_conf(self, node):
        with open(os.path.join(self.lab[node].data_dir, "postgresql.auto.conf")) as f:
            return f.read()

    def events(self, node, kind):
        r = self.pgha(node, "cluster", "event", "--json", "--event", kind)
        return load_json(self, r)

    def assertUnchangedStandby(self, node, upstream, before_start, before_auto, r):
        """node is still the same running standby streaming from upstream."""
        lab = self.lab
        self.assertEqual(lab.postmaster_start_time(node), before_start,
                         "%s was restarted%s" % (lab[node].name, describe(r)))
        self.assertTrue(lab.in_recovery(node), describe(r))
        self.assertEqual(self.auto_conf(node), before_auto,
                         "postgresql.auto.conf of %s changed%s" % (lab[node].name, describe(r)))
        self.assertEqual(lab.wal_receiver(node), ("streaming", lab[upstream].port),
                         "%s no longer streams from %s%s" % (lab[node].name, lab[upstream].name,
                                                             describe(r)))

    def assertRefused(self, r, *needles):
        self.assertEqual(r.returncode, 3, "expected exit 3 (refused)" + describe(r))
        self.assertIn("ERROR:", r.stderr, describe(r))
        for n in needles:      # a --dry-run lists its failed checks on stdout
            self.assertIn(n, r.stdout + r.stderr, describe(r))


class ManualFailoverTest(FailoverHelpers, LabTestCase):
    """node1 primary, node2 and node3 standbys.  The steps build on each other
    (test_1 .. test_7 run in order); a step is skipped when an earlier one failed."""
    NODES = 3
    failed = None
    T = "mf_rows"

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=2)
        for n in (1, 2, 3):
            lab.use_lab_service(n)       # a server pgha starts logs to the lab's log
        lab.insert_rows(1, cls.T, 1, 100)
        for n in (2, 3):
            lab.wait_sql(n, "SELECT count(*) FROM %s" % cls.T, "100", timeout=30)
        cls.state = {}

    def setUp(self):
        if type(self).failed and type(self).failed != self._testMethodName:
            self.skipTest("an earlier step failed: %s" % type(self).failed)

    def run(self, result=None):
        # remember the first failing step so that later steps skip
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before \
                and not type(self).failed:
            type(self).failed = self._testMethodName
        return out

    def test_1_promote_refused_while_primary_up(self):
        lab = self.lab
        before = self.metadata(1)
        self.state["term0"] = self.term(1)
        start2 = lab.postmaster_start_time(2)
        for extra in ((), ("--dry-run",)):
            r = self.pgha(2, "standby", "promote", *extra)
            self.assertRefused(r)
            self.assertTrue(lab.in_recovery(2), "node2 left recovery" + describe(r))
            self.assertEqual(lab.postmaster_start_time(2), start2, describe(r))
            self.assertEqual(self.metadata(1), before, "metadata changed" + describe(r))
            self.assertEqual(lab.wal_receiver(2), ("streaming", lab[1].port), describe(r))
        self.assertFalse(lab.in_recovery(1))
        self.assertEqual(self.events(1, "standby_promote"), [])

    def test_2_promote_after_primary_dies(self):
        lab = self.lab
        lab.insert_rows(1, self.T, 101, 100)
        for n in (2, 3):
            lab.wait_sql(n, "SELECT count(*) FROM %s" % self.T, "200", timeout=30)
        lab.stop(1, mode="immediate")
        self.state["start3"] = lab.postmaster_start_time(3)
        self.state["auto3"] = self.auto_conf(3)

        # a dry run passes its checks and changes nothing
        before = self.metadata(2)
        r = self.pgha(2, "standby", "promote", "--dry-run")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertTrue(lab.in_recovery(2), "--dry-run promoted node2" + describe(r))
        self.assertEqual(self.metadata(2), before, describe(r))

        t0 = time.monotonic()
        r = self.pgha(2, "standby", "promote")
        took = time.monotonic() - t0
        print("\nstandby promote: %.2fs" % took, file=sys.stderr)
        self.assertEqual(r.returncode, 0, describe(r))
        # writable at once: the command waits for that
        self.assertFalse(lab.in_recovery(2), describe(r))
        lab.insert_rows(2, self.T, 201, 100)
        rows = self.node_rows(2)
        self.assertEqual(rows[2][:2], ("primary", True), rows)
        self.assertIsNone(rows[2][2], rows)
        self.assertFalse(rows[1][1], "old primary's record still active: %s" % rows)
        self.assertEqual(rows[3], ("standby", True, 1), "node3 was not touched yet: %s" % rows)
        term, prim = self.metadata(2)[1].split("|")
        self.assertEqual(int(term), self.state["term0"] + 1, describe(r))
        self.assertEqual(int(prim), 2)
        ev = self.events(2, "standby_promote")
        self.assertEqual([(e["node_id"], e["successful"]) for e in ev], [(2, True)], ev)
        # node3 has not been touched: still in recovery, not restarted
        self.assertTrue(lab.in_recovery(3))
        self.assertEqual(lab.postmaster_start_time(3), self.state["start3"])

    def test_3_follow_without_restart(self):
        lab = self.lab
        # a client keeps writing to the new primary while node3 follows it
        with lab.writer(2, "mf_writer", interval=0.02) as w:
            time.sleep(0.3)
            t0 = time.monotonic()
            r = self.pgha(3, "standby", "follow")
            took = time.monotonic() - t0
            time.sleep(0.3)
        print("\nstandby follow: %.2fs" % took, file=sys.stderr)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(lab.postmaster_start_time(3), self.state["start3"],
                         "follow restarted node3" + describe(r))
        self.assertEqual(lab.wal_receiver(3), ("streaming", lab[2].port),
                         "follow returned before node3 streamed from node2" + describe(r))
        lab.wait_sql(3, "SELECT received_tli FROM pg_stat_wal_receiver", "2", timeout=10,
                     dbname="postgres")
        self.assertNotEqual(self.auto_conf(3), self.state["auto3"])
        self.assertIn("port=%d" % lab[2].port, self.auto_conf(3))
        self.assertTrue(w.acked, "the writer got nothing acknowledged")
        self.assertEqual(w.failed, 0, "writes to node2 failed during follow")
        want = ",".join(map(str, w.acked))
        lab.wait_sql(3, "SELECT string_agg(id::text, ',' ORDER BY id) FROM mf_writer", want,
                     timeout=30)
        lab.wait_sql(3, "SELECT count(*) FROM %s" % self.T, "300", timeout=30)
        self.state["writer"] = w.acked
        rows = self.node_rows(2)
        self.assertEqual(rows[3], ("standby", True, 2), rows)
        ev = self.events(2, "standby_follow")
        self.assertEqual([(e["node_id"], e["successful"]) for e in ev], [(3, True)], ev)

    def test_4_old_primary_diverges(self):
        # the old primary comes back on its own, as a primary on timeline 1,
        # and takes a write the new primary will never have
        lab = self.lab
        lab.start(1)
        self.assertFalse(lab.in_recovery(1))
        self.assertEqual(lab.timeline(1), 1)
        lab.psql(1, "INSERT INTO %s VALUES (999001, 'only on the diverged node1')" % self.T)
        lab.psql(1, "CHECKPOINT")
        lab.stop(1)
        self.assertEqual(lab.timeline(2), 2)

    def test_5_rejoin_dry_run_changes_nothing(self):
        lab = self.lab
        before = lab.data_dir_fingerprint(1)
        meta = self.metadata(2)
        r = self.pgha(1, "node", "rejoin", "-d", target_conninfo(lab[2]), "--dry-run")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertFalse(lab.is_running(1))
        self.assertIsNone(lab.adopt_pid(1), "--dry-run started node1" + describe(r))
        after = lab.data_dir_fingerprint(1)
        self.assertEqual(after[1], before[1], "pg_control changed" + describe(r))
        self.assertEqual(after[0], before[0], "data directory changed" + describe(r))
        self.assertEqual(self.metadata(2), meta, describe(r))

    def test_6_rejoin_with_pg_rewind(self):
        lab = self.lab
        t0 = time.monotonic()
        r = self.pgha(1, "node", "rejoin", "-d", target_conninfo(lab[2]), timeout=300)
        took = time.monotonic() - t0
        pid = lab.adopt_pid(1)
        print("\nnode rejoin (with pg_rewind): %.2fs" % took, file=sys.stderr)
        self.assertEqual(r.returncode, 0, describe(r) + "\n--- node1 log ---\n" +
                         lab.log_tail(1))
        self.assertIn("pg_rewind", r.stdout + r.stderr, describe(r))
        self.assertNotIn("without pg_rewind", r.stdout + r.stderr, describe(r))
        self.assertTrue(pid, "node1 is not running after rejoin" + describe(r))
        self.assertTrue(lab.in_recovery(1), describe(r))
        self.assertEqual(lab.wal_receiver(1), ("streaming", lab[2].port),
                         "rejoin returned before node1 streamed from node2" + describe(r) +
                         "\n--- node1 log ---\n" + lab.log_tail(1, 15))
        # the server logged to the lab's log (the [service] start_command was used)
        self.assertIn("database system is ready to accept read-only connections",
                      lab.log_tail(1, 200))
        # the diverged row is gone, everything node2 has arrives
        lab.wait_sql(1, "SELECT count(*) FROM %s" % self.T, "300", timeout=30)
        self.assertEqual(lab.psql(1, "SELECT count(*) FROM %s WHERE id = 999001" % self.T), "0")
        rows = self.node_rows(2)
        self.assertEqual(rows[1], ("standby", True, 2), rows)
        ev = self.events(2, "node_rejoin")
        self.assertEqual([(e["node_id"], e["successful"]) for e in ev], [(1, True)], ev)

    def test_7_final_state(self):
        lab = self.lab
        lab.insert_rows(2, self.T, 301, 50)

        def show():
            data = load_json(self, self.pgha(2, "cluster", "show", "--json"))
            return {d["node_name"]: (d["role"], d["actual_role"], d["status"], d["upstream"])
                    for d in data}
        want = {"node1": ("standby", "standby", "running", "node2"),
                "node2": ("primary", "primary", "running", None),
                "node3": ("standby", "standby", "running", "node2")}
        try:
            wait_for(lambda: show() == want, 15, 0.3, "cluster show")
        except Exception:
            self.assertEqual(show(), want)
        primary_ids = lab.ids(2, self.T)
        self.assertEqual(primary_ids, list(range(1, 351)))
        writer = lab.ids(2, "mf_writer")
        self.assertTrue(set(self.state["writer"]) <= set(writer))
        for n in (1, 3):
            lab.wait_sql(n, "SELECT count(*) FROM %s" % self.T, "350", timeout=30)
            self.assertEqual(lab.ids(n, self.T), primary_ids, "node%d" % n)
            self.assertEqual(lab.ids(n, "mf_writer"), writer, "node%d" % n)
        # and the old primary's port (its own postgresql.conf) survived pg_rewind
        self.assertEqual(lab.psql(1, "SHOW port", dbname="postgres"), str(lab[1].port))


class SiblingsFollowTest(FailoverHelpers, LabTestCase):
    """standby promote --siblings-follow re-points the other standby without a
    restart."""
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=2)
        lab.insert_rows(1, "sf_rows", 1, 50)
        for n in (2, 3):
            lab.wait_sql(n, "SELECT count(*) FROM sf_rows", "50", timeout=30)

    def test_promote_siblings_follow(self):
        lab = self.lab
        lab.stop(1)
        start3 = lab.postmaster_start_time(3)
        r = self.pgha(2, "standby", "promote", "--siblings-follow")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertFalse(lab.in_recovery(2), describe(r))
        try:
            lab.wait_streaming_from(3, 2, timeout=15)
        except Exception:
            self.fail("node3 does not stream from node2 15s after promote --siblings-follow: "
                      "%s%s" % (lab.wal_receiver(3), describe(r)))
        self.assertEqual(lab.postmaster_start_time(3), start3, "node3 was restarted")
        lab.insert_rows(2, "sf_rows", 51, 50)
        lab.wait_sql(3, "SELECT count(*) FROM sf_rows", "100", timeout=30)
        rows = self.node_rows(2)
        self.assertEqual(rows[2][:2], ("primary", True), rows)
        self.assertEqual(rows[3], ("standby", True, 2), rows)
        self.assertEqual([e["node_id"] for e in self.events(2, "standby_follow")], [3])

    def test_rejoin_clean_old_primary_without_rewind(self):
        # node1 was shut down cleanly before node2's promotion, so the
        # standbys had all its WAL: it can rejoin without pg_rewind
        lab = self.lab
        if lab.is_running(1) or lab.in_recovery(2):
            self.skipTest("needs node2 promoted with node1 stopped (test_promote_siblings_follow)")
        lab.use_lab_service(1)
        r = self.pgha(1, "node", "rejoin", "-d", target_conninfo(lab[2]), timeout=300)
        lab.adopt_pid(1)
        self.assertEqual(r.returncode, 0, describe(r) + "\n--- node1 log ---\n" +
                         lab.log_tail(1))
        self.assertIn("without pg_rewind", r.stdout, describe(r))
        self.assertTrue(lab.in_recovery(1), describe(r))
        self.assertEqual(lab.wal_receiver(1), ("streaming", lab[2].port), describe(r))
        lab.wait_sql(1, "SELECT count(*) FROM sf_rows", "100", timeout=30)
        self.assertEqual(self.node_rows(2)[1], ("standby", True, 2))


class RewindImpossibleTest(FailoverHelpers, LabTestCase):
    """An old primary that needs pg_rewind but runs without wal_log_hints (and
    without data checksums): rejoin is refused, exit 3, its data untouched."""
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=1)
        lab.use_lab_service(1)
        lab.psql(1, "ALTER SYSTEM SET wal_log_hints = off", dbname="postgres")
        lab.restart(1)
        lab.wait_streaming_from(2, 1)
        lab.insert_rows(1, "ri_rows", 1, 10)
        lab.wait_sql(2, "SELECT count(*) FROM ri_rows", "10")
        lab.stop(1, mode="immediate")
        lab.pgha(2, "standby", "promote", check=True)
        lab.insert_rows(2, "ri_rows", 11, 10)
        # node1 comes back alone and writes on timeline 1
        lab.start(1)
        lab.psql(1, "INSERT INTO ri_rows VALUES (999, 'diverged')")
        lab.stop(1)

    def test_rejoin_refused_without_wal_log_hints(self):
        lab = self.lab
        self.assertEqual(lab.psql(2, "SHOW data_checksums", dbname="postgres"), "off")
        before = lab.data_dir_fingerprint(1)
        meta = self.metadata(2)
        for extra in (("--dry-run",), ()):
            r = self.pgha(1, "node", "rejoin", "-d", target_conninfo(lab[2]), *extra)
            pid = lab.adopt_pid(1)
            self.assertRefused(r, "wal_log_hints")
            self.assertIsNone(pid, "rejoin started node1" + describe(r))
            self.assertEqual(lab.data_dir_fingerprint(1), before,
                             "node1's data directory changed" + describe(r))
            self.assertEqual(self.metadata(2), meta, describe(r))


class DivergedFollowTest(FailoverHelpers, LabTestCase):
    """node2 promoted by hand while node1 keeps writing; node3, still streaming
    from node1, is past the fork point, so following node2 must be refused with
    the `node rejoin` command to run instead."""
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=2)
        lab.insert_rows(1, "dv_rows", 1, 10)
        for n in (2, 3):
            lab.wait_sql(n, "SELECT count(*) FROM dv_rows", "10", timeout=30)
        lab.psql(2, "SELECT pg_promote()", dbname="postgres")
        wait_for(lambda: not lab.in_recovery(2), 30, 0.1, "node2 to leave recovery")
        # node1 goes on writing: node3 receives WAL that timeline 2 never had
        lab.insert_rows(1, "dv_rows", 11, 1000, payload=100)
        lab.wait_sql(3, "SELECT count(*) FROM dv_rows", "1010", timeout=30)

    def test_follow_diverged_refused_with_rejoin_hint(self):
        lab = self.lab
        start3 = lab.postmaster_start_time(3)
        auto3 = self.auto_conf(3)
        meta = self.metadata(1)
        for extra in (("--dry-run",), ()):
            r = self.pgha(3, "standby", "follow", "--upstream-node-id", "2", *extra)
            self.assertRefused(r, "node rejoin")
            # the exact command to run instead, with the target's conninfo
            hint = re.compile(r"pgha -f %s node rejoin -d '[^']*port=%d[^']*'" % (
                re.escape(lab[3].config), lab[2].port))
            self.assertRegex(r.stdout + r.stderr, hint, describe(r))
            self.assertUnchangedStandby(3, 1, start3, auto3, r)
            self.assertEqual(self.metadata(1), meta, describe(r))
        # node3 keeps replicating from node1
        lab.insert_rows(1, "dv_rows", 2001, 5)
        lab.wait_sql(3, "SELECT count(*) FROM dv_rows", "1015", timeout=30)
        self.assertEqual(lab.wal_receiver(3), ("streaming", lab[1].port))
        self.assertEqual([e for e in self.events(1, "standby_follow") if e["successful"]], [])


class BadTargetsTest(FailoverHelpers, LabTestCase):
    """Refusals, exit 3, nothing changed: an unknown node id, a witness, a
    standby as rejoin target, rejoin of a running server, promote on the primary."""
    NODES = 4

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=2)
        for n in (1, 2, 3):
            lab.use_lab_service(n)
        # node4: a separate, non-replicated server for the witness
        lab.init_standalone(4)
        r = lab.pgha(4, "witness", "register", "-h", lab[1].host, "-p", lab[1].port,
                     "-U", "pgha", "-d", "pgha")
        cls.witness = r.returncode == 0
        cls.witness_msg = describe(r)

    def snapshot3(self):
        lab = self.lab
        return lab.postmaster_start_time(3), self.auto_conf(3), self.metadata(1)

    def check3(self, before, r):
        start3, auto3, meta = before
        self.assertUnchangedStandby(3, 1, start3, auto3, r)
        self.assertEqual(self.metadata(1), meta, "metadata changed" + describe(r))

    def test_follow_unknown_node_id(self):
        before = self.snapshot3()
        r = self.pgha(3, "standby", "follow", "--upstream-node-id", "99")
        self.assertRefused(r, "99")
        self.check3(before, r)

    def test_follow_witness(self):
        if not self.witness:
            self.skipTest("witness register is not available/failed, cannot test following "
                          "a witness:" + self.witness_msg)
        before = self.snapshot3()
        r = self.pgha(3, "standby", "follow", "--upstream-node-id", "4")
        self.assertRefused(r)
        self.assertIn("witness", r.stderr.lower(), describe(r))
        self.check3(before, r)

    def test_rejoin_onto_a_standby(self):
        lab = self.lab
        meta = self.metadata(1)
        lab.stop(3)
        try:
            before = lab.data_dir_fingerprint(3)
            r = self.pgha(3, "node", "rejoin", "-d", target_conninfo(lab[2]))
            pid = lab.adopt_pid(3)
            self.assertRefused(r)
            self.assertIsNone(pid, "rejoin started node3" + describe(r))
            self.assertEqual(lab.data_dir_fingerprint(3), before,
                             "node3's data directory changed" + describe(r))
            self.assertEqual(self.metadata(1), meta, describe(r))
        finally:
            if not lab.is_running(3):
                lab.start(3)
        lab.wait_streaming_from(3, 1, timeout=30)

    def test_rejoin_refused_while_running(self):
        before = self.snapshot3()
        r = self.pgha(3, "node", "rejoin", "-d", target_conninfo(self.lab[1]))
        self.assertRefused(r)
        self.check3(before, r)

    def test_promote_on_primary(self):
        lab = self.lab
        meta = self.metadata(1)
        start1 = lab.postmaster_start_time(1)
        r = self.pgha(1, "standby", "promote")
        self.assertRefused(r)
        self.assertFalse(lab.in_recovery(1))
        self.assertEqual(lab.postmaster_start_time(1), start1)
        self.assertEqual(self.metadata(1), meta, describe(r))
        for n in (2, 3):
            self.assertEqual(lab.wal_receiver(n), ("streaming", lab[1].port))
        self.assertEqual(self.events(1, "standby_promote"), [])


if __name__ == "__main__":
    main()
