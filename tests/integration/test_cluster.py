#!/usr/bin/python3
"""A 3-node cluster built with pgha: cluster show (table/json/csv), data
replication, and the event log with its filters."""
import csv
import sys
import io
import re
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, load_json, main, wait_for  # noqa: E402

SHOW_FIELDS = ("node_id", "node_name", "role", "actual_role", "status", "upstream",
               "location", "priority", "timeline", "lsn", "lag_bytes", "conninfo",
               "streaming")
EVENT_FIELDS = ("node_id", "node_name", "event", "successful", "timestamp", "details")
LSN_RE = re.compile(r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$")


class ClusterTest(LabTestCase):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = cls.make_lab()
        t0 = time.monotonic()
        cls.lab.build_cluster(standbys=2)
        cls.build_time = time.monotonic() - t0

    def show(self):
        data = load_json(self, self.pgha(1, "cluster", "show", "--json"))
        self.assertIsInstance(data, list)
        return {row.get("node_name"): row for row in data}

    def test_show_json(self):
        r = self.pgha(1, "cluster", "show", "--json")
        data = load_json(self, r)
        self.assertIsInstance(data, list, describe(r))
        self.assertEqual(len(data), 3, describe(r))
        for row in data:
            for f in SHOW_FIELDS:
                self.assertIn(f, row, "field %r missing in %r" % (f, row))
        rows = {row["node_name"]: row for row in data}
        self.assertEqual(sorted(rows), ["node1", "node2", "node3"], describe(r))
        p = rows["node1"]
        self.assertEqual(p["node_id"], 1)
        self.assertEqual(p["role"], "primary")
        self.assertEqual(p["actual_role"], "primary")
        self.assertEqual(p["status"], "running")
        self.assertIsNone(p["upstream"])
        self.assertEqual(p["timeline"], 1)
        self.assertRegex(p["lsn"], LSN_RE)
        self.assertNotIn(p["streaming"], (True,), "a primary does not stream")
        self.assertIn("port=%d" % self.lab[1].port, p["conninfo"])
        for name, nid in (("node2", 2), ("node3", 3)):
            s = rows[name]
            self.assertEqual(s["node_id"], nid, s)
            self.assertEqual(s["role"], "standby", s)
            self.assertEqual(s["actual_role"], "standby", s)
            self.assertEqual(s["status"], "running", s)
            self.assertEqual(s["upstream"], "node1", s)
            self.assertIs(s["streaming"], True, s)
            self.assertEqual(s["timeline"], p["timeline"], s)
            self.assertIsNotNone(s["lsn"], s)
            self.assertRegex(s["lsn"], LSN_RE)
            self.assertTrue(s["lag_bytes"] is None or isinstance(s["lag_bytes"], int), s)
            if isinstance(s["lag_bytes"], int):
                self.assertGreaterEqual(s["lag_bytes"], 0, s)
            self.assertIn("port=%d" % self.lab[nid].port, s["conninfo"])

    def test_replication_of_a_row(self):
        lab = self.lab
        lab.psql(1, "CREATE TABLE IF NOT EXISTS qa_rows(id int PRIMARY KEY, v text)")
        lab.psql(1, "INSERT INTO qa_rows VALUES (42, 'hello from node1')")
        for n in (2, 3):
            lab.wait_sql(n, "SELECT v FROM qa_rows WHERE id = 42", "hello from node1",
                         timeout=15)
        # a standby is read-only
        r = lab.psql_run(2, "INSERT INTO qa_rows VALUES (43, 'x')")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("read-only", r.stderr)

    def test_show_table(self):
        r = self.pgha(1, "cluster", "show")
        self.assertEqual(r.returncode, 0, describe(r))
        for name in ("node1", "node2", "node3"):
            self.assertIn(name, r.stdout, describe(r))
        self.assertIn("primary", r.stdout)
        self.assertIn("standby", r.stdout)
        # the same answer from a standby's config
        r2 = self.pgha(3, "cluster", "show")
        self.assertEqual(r2.returncode, 0, describe(r2))
        for name in ("node1", "node2", "node3"):
            self.assertIn(name, r2.stdout, describe(r2))

    def test_show_csv(self):
        r = self.pgha(1, "cluster", "show", "--csv")
        self.assertEqual(r.returncode, 0, describe(r))
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 4, "header + 3 rows expected" + describe(r))
        self.assertTrue(lines[0].startswith("node_id,node_name,role"), describe(r))
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(len(rows), 3)
        by_name = {row["node_name"]: row for row in rows}
        self.assertEqual(sorted(by_name), ["node1", "node2", "node3"])
        self.assertEqual(by_name["node1"]["role"], "primary")
        self.assertEqual(by_name["node2"]["role"], "standby")
        self.assertEqual(by_name["node1"]["node_id"], "1")

    def events(self, *args):
        r = self.pgha(1, "cluster", "event", "--json", *args)
        data = load_json(self, r)
        self.assertIsInstance(data, list, describe(r))
        for e in data:
            for f in EVENT_FIELDS:
                self.assertIn(f, e, "field %r missing in event %r" % (f, e))
        return data

    def test_events(self):
        ev = self.events()
        kinds = [e["event"] for e in ev]
        self.assertEqual(kinds.count("primary_register"), 1, ev)
        self.assertEqual(kinds.count("standby_clone"), 2, ev)
        self.assertEqual(kinds.count("standby_register"), 2, ev)
        wanted = {("primary_register", 1), ("standby_clone", 2), ("standby_clone", 3),
                  ("standby_register", 2), ("standby_register", 3)}
        got = {(e["event"], e["node_id"]) for e in ev}
        self.assertTrue(wanted <= got, "missing events: %s" % (wanted - got))
        for e in ev:
            if (e["event"], e["node_id"]) in wanted:
                self.assertIs(e["successful"], True, e)
                self.assertEqual(e["node_name"], "node%d" % e["node_id"], e)
                self.assertTrue(e["timestamp"], e)
                self.assertRegex(e["timestamp"], r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d", e)
                self.assertIsInstance(e["details"], str, e)

    def test_event_filters(self):
        allev = self.events()
        one = self.events("--limit", "1")
        self.assertEqual(len(one), 1, one)
        # --limit keeps the newest event
        newest = max(allev, key=lambda e: e["timestamp"])
        self.assertEqual(one[0]["timestamp"], newest["timestamp"], (one, allev))
        reg = self.events("--event", "standby_register")
        self.assertEqual(len(reg), 2, reg)
        self.assertTrue(all(e["event"] == "standby_register" for e in reg), reg)
        self.assertEqual(sorted(e["node_id"] for e in reg), [2, 3])
        n2 = self.events("--node-id", "2")
        self.assertTrue(n2, "no events for node 2")
        self.assertTrue(all(e["node_id"] == 2 for e in n2), n2)
        self.assertEqual(sorted(e["event"] for e in n2), ["standby_clone", "standby_register"], n2)
        both = self.events("--node-id", "3", "--event", "standby_clone")
        self.assertEqual([(e["node_id"], e["event"]) for e in both], [(3, "standby_clone")])
        # the table form mentions events too
        r = self.pgha(1, "cluster", "event")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("standby_register", r.stdout)

    def test_same_view_from_every_node(self):
        # metadata is replicated: a standby's config sees the same cluster
        for n in (2, 3):
            def same():
                data = load_json(self, self.pgha(n, "cluster", "show", "--json"))
                return sorted((r["node_name"], r["role"], r["status"]) for r in data)
            expected = [("node1", "primary", "running"), ("node2", "standby", "running"),
                        ("node3", "standby", "running")]
            wait_for(lambda: same() == expected, 10, 0.2, "node%d's cluster show" % n)


if __name__ == "__main__":
    main()
