#!/usr/bin/python3
"""cluster show with dead and hanging nodes: it reports them unreachable and
answers quickly (nodes are probed in parallel, each bounded by
connect_timeout)."""
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, load_json, main  # noqa: E402


class StoppedNodeTest(LabTestCase):
    """A standby stopped with pg_ctl: connections are refused at once."""
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = cls.make_lab()
        cls.lab.build_cluster(standbys=2)

    def test_stopped_standby_is_unreachable_fast(self):
        lab = self.lab
        lab.stop(3)
        t0 = time.monotonic()
        r = self.pgha(1, "cluster", "show", "--json")
        elapsed = time.monotonic() - t0
        print("\ncluster show --json with node3 stopped: %.2fs" % elapsed, file=sys.stderr)
        data = load_json(self, r)
        rows = {row["node_name"]: row for row in data}
        self.assertEqual(len(rows), 3, describe(r))
        self.assertEqual(rows["node3"]["status"], "unreachable", rows["node3"])
        self.assertIsNone(rows["node3"]["actual_role"], rows["node3"])
        self.assertEqual(rows["node3"]["role"], "standby", rows["node3"])
        for n in ("node1", "node2"):
            self.assertEqual(rows[n]["status"], "running", rows[n])
        self.assertLess(elapsed, 1.5, "cluster show took %.2fs with one node down" % elapsed)
        # the table says so too
        r = self.pgha(1, "cluster", "show")
        self.assertIn("unreachable", r.stdout, describe(r))
        line = [l for l in r.stdout.splitlines() if "node3" in l]
        self.assertTrue(line and "unreachable" in line[0], describe(r))
        # and it recovers when the node comes back
        lab.start(3)
        lab.wait_streaming(3)
        rows = {row["node_name"]: row
                for row in load_json(self, self.pgha(1, "cluster", "show", "--json"))}
        self.assertEqual(rows["node3"]["status"], "running", rows["node3"])
        self.assertEqual(rows["node3"]["actual_role"], "standby", rows["node3"])


class FrozenNodesTest(LabTestCase):
    """Three standbys whose postmasters are SIGSTOPped: TCP connects but the
    server never answers, so each probe costs connect_timeout (2 s)."""
    NODES = 4

    @classmethod
    def setUpClass(cls):
        cls.lab = cls.make_lab()
        cls.lab.build_cluster(standbys=3)

    def test_frozen_standbys_probed_in_parallel(self):
        lab = self.lab
        for n in (2, 3, 4):
            self.assertIn("connect_timeout=2", lab[n].settings["conninfo"])
        try:
            for n in (2, 3, 4):
                lab.freeze(n)
            t0 = time.monotonic()
            r = self.pgha(1, "cluster", "show", "--json", timeout=60)
            elapsed = time.monotonic() - t0
        finally:
            for n in (2, 3, 4):
                lab.thaw(n)
        print("\ncluster show --json with 3 frozen standbys: %.2fs (serial would be >= 6s)"
              % elapsed, file=sys.stderr)
        data = load_json(self, r)
        rows = {row["node_name"]: row for row in data}
        self.assertEqual(len(rows), 4, describe(r))
        self.assertEqual(rows["node1"]["status"], "running", rows["node1"])
        for n in ("node2", "node3", "node4"):
            self.assertEqual(rows[n]["status"], "unreachable", rows[n])
            self.assertIsNone(rows[n]["actual_role"], rows[n])
        self.assertLess(elapsed, 4.5, "cluster show took %.2fs" % elapsed)
        # the probe really waited for the timeout (the nodes did hang)
        self.assertGreaterEqual(elapsed, 1.5, "frozen nodes answered too fast: %.2fs" % elapsed)
        # after thawing, everyone is back
        rows = {row["node_name"]: row
                for row in load_json(self, self.pgha(1, "cluster", "show", "--json"))}
        for n in ("node2", "node3", "node4"):
            self.assertEqual(rows[n]["status"], "running", rows[n])


if __name__ == "__main__":
    main()
