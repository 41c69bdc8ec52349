#!/usr/bin/python3
"""Cluster-wide helpers against real servers: cluster conninfo (a libpq
multi-host string that really lands on the right kind of server), cluster
cleanup of monitoring history, cluster matrix / crosscheck with a stopped
node, node service (dry run, stop with checkpoint, start) and witness
register / unregister."""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, load_json, main  # noqa: E402
from pghalab import pid_alive  # noqa: E402


def parse_conninfo(s):
    """'k=v k=v' (values without spaces, as pgha prints them) -> dict."""
    out = {}
    for tok in s.split():
        k, sep, v = tok.partition("=")
        if sep:
            out[k] = v.strip("'")
    return out


class TopologyTest(LabTestCase):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=2)
        lab.use_lab_service(2)           # node2: configured commands; node3: pg_ctl default

    # ---- cluster conninfo
    def conninfo(self, *args):
        r = self.pgha(1, "cluster", "conninfo", *args)
        self.assertEqual(r.returncode, 0, describe(r))
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "one connection string expected" + describe(r))
        self.assertNotIn("password", r.stdout.lower(), describe(r))
        return lines[0].strip(), parse_conninfo(lines[0]), r

    def connect(self, s):
        """Where a client with this string lands: (in_recovery, port)."""
        kv = parse_conninfo(s)
        full = s + ("" if "user" in kv else " user=pgha") + ("" if "dbname" in kv else " dbname=pgha")
        r = self.lab.psql_conninfo(full, "SELECT pg_is_in_recovery(), inet_server_port()")
        self.assertEqual(r.returncode, 0, describe(r))
        rec, port = r.stdout.strip().split("|")
        return rec == "t", int(port)

    def test_conninfo_primary(self):
        lab = self.lab
        s, kv, r = self.conninfo("--role", "primary")
        self.assertEqual(kv.get("host"), ",".join([lab[n].host for n in (1, 2, 3)]), describe(r))
        self.assertEqual(kv.get("port"), ",".join(str(lab[n].port) for n in (1, 2, 3)),
                         describe(r))
        self.assertEqual(kv.get("target_session_attrs"), "read-write", describe(r))
        self.assertEqual(self.connect(s), (False, lab[1].port))

    def test_conninfo_standby(self):
        lab = self.lab
        s, kv, r = self.conninfo("--role", "standby")
        ports = [int(p) for p in kv.get("port", "").split(",") if p]
        hosts = kv.get("host", "").split(",")
        self.assertEqual(len(hosts), len(ports), describe(r))
        self.assertEqual(set(hosts), {"127.0.0.1"}, describe(r))
        # the standbys, in node id order (the primary may come last as a fallback)
        self.assertEqual([p for p in ports if p != lab[1].port], [lab[2].port, lab[3].port],
                         describe(r))
        self.assertIn(kv.get("target_session_attrs"), ("standby", "prefer-standby", "read-only"),
                      describe(r))
        self.assertEqual(self.connect(s), (True, lab[2].port))
        # with node2 down a client lands on node3
        lab.stop(2)
        try:
            self.assertEqual(self.connect(s), (True, lab[3].port))
        finally:
            lab.start(2)
        lab.wait_streaming_from(2, 1)

    def test_conninfo_any(self):
        lab = self.lab
        s, kv, r = self.conninfo("--role", "any")
        self.assertEqual(kv.get("port"), ",".join(str(lab[n].port) for n in (1, 2, 3)),
                         describe(r))
        self.assertIn(kv.get("target_session_attrs", "any"), ("any",), describe(r))
        self.assertEqual(self.connect(s), (False, lab[1].port))

    def test_conninfo_bad_role(self):
        r = self.pgha(1, "cluster", "conninfo", "--role", "leader")
        self.assertEqual(r.returncode, 1, describe(r))
        self.assertIn("ERROR:", r.stderr, describe(r))
        self.assertIn("leader", r.stderr, "the message names the bad role" + describe(r))

    # ---- cluster cleanup
    def test_cleanup(self):
        lab = self.lab
        lab.psql(1, "DELETE FROM pgha.monitoring_history")
        lab.psql(1, "INSERT INTO pgha.monitoring_history (primary_node_id, standby_node_id, "
                    "sampled_at, primary_lsn, lag_bytes) SELECT 1, 2, now() - interval '10 days' "
                    "- g * interval '1 hour', '0/1000000', g FROM generate_series(1, 3) g")
        lab.psql(1, "INSERT INTO pgha.monitoring_history (primary_node_id, standby_node_id, "
                    "sampled_at, primary_lsn, lag_bytes) SELECT 1, 3, now() - g * interval '1 day', "
                    "'0/2000000', g FROM generate_series(0, 1) g")
        count = "SELECT count(*) FROM pgha.monitoring_history"
        old = count + " WHERE sampled_at < now() - interval '5 days'"
        self.assertEqual(lab.psql(1, count), "5")
        r = self.pgha(1, "cluster", "cleanup", "--keep-history", "5", "--dry-run")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(lab.psql(1, count), "5", "--dry-run deleted rows" + describe(r))
        self.assertRegex(r.stdout + r.stderr, r"\b3\b", "dry run should say 3 rows" + describe(r))
        r = self.pgha(1, "cluster", "cleanup", "--keep-history", "5")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(lab.psql(1, old), "0", describe(r))
        self.assertEqual(lab.psql(1, count), "2", "recent rows were deleted" + describe(r))
        self.assertEqual(lab.psql(1, "SELECT string_agg(lag_bytes::text, ',' ORDER BY lag_bytes) "
                                     "FROM pgha.monitoring_history WHERE standby_node_id = 3"),
                         "0,1")
        # the deletion replicates like any other write
        lab.wait_sql(2, count, "2", timeout=15)

    # ---- matrix / crosscheck
    def matrix_table(self, r):
        """The text matrix as {row name: {node id: cell}}."""
        lines = [l for l in r.stdout.splitlines() if "|" in l]
        self.assertTrue(lines, "no table" + describe(r))
        header = [c.strip() for c in lines[0].split("|")]
        self.assertEqual(header[:2], ["Name", "ID"], describe(r))
        out = {}
        for l in lines[1:]:
            cells = [c.strip() for c in l.split("|")]
            if len(cells) != len(header) or set(cells[0]) <= {"-", "+"}:
                continue
            out[cells[0]] = {int(h): c for h, c in zip(header[2:], cells[2:])}
        return out

    def matrix_json(self):
        data = load_json(self, self.pgha(1, "cluster", "matrix", "--json"))
        return {row["source"]: {t["node_id"]: t["status"] for t in row["targets"]}
                for row in data["rows"]}

    def crosscheck(self):
        r = self.pgha(1, "cluster", "crosscheck", "--json")
        return {d["node_name"]: (d["seen_up"], d["sources"], d["verdict"])
                for d in load_json(self, r)}

    def test_matrix_and_crosscheck(self):
        lab = self.lab
        every = {1: "*", 2: "*", 3: "*"}
        # all up, no dblink: this host sees everyone, the nodes cannot be asked
        r = self.pgha(1, "cluster", "matrix")
        self.assertEqual(r.returncode, 0, describe(r))
        m = self.matrix_table(r)
        self.assertEqual(sorted(m), ["node1", "node2", "node3", "this host"], describe(r))
        self.assertEqual(m["this host"], every, describe(r))
        self.assertEqual(m["node1"], {1: "?", 2: "?", 3: "?"}, describe(r))
        self.assertIn("dblink", r.stdout, "a note says how to get the full matrix" + describe(r))
        r = self.pgha(1, "cluster", "crosscheck")
        self.assertEqual(r.returncode, 0, describe(r))
        for n in ("node1", "node2", "node3"):
            line = [l for l in r.stdout.splitlines() if " %s " % n in l]
            self.assertTrue(line and line[0].rstrip().endswith("reachable")
                            and "unreachable" not in line[0], describe(r))

        # node3 stopped: x in this host's row, verdict unreachable
        lab.stop(3)
        try:
            r = self.pgha(1, "cluster", "matrix")
            self.assertEqual(r.returncode, 0, describe(r))
            m = self.matrix_table(r)
            self.assertEqual(m["this host"], {1: "*", 2: "*", 3: "x"}, describe(r))
            self.assertEqual(m["node3"], {1: "?", 2: "?", 3: "?"}, describe(r))
            self.assertEqual(self.matrix_json()["this host"],
                             {1: "reachable", 2: "reachable", 3: "unreachable"})
            cc = self.crosscheck()
            self.assertEqual(cc["node3"][0], 0, cc)
            self.assertEqual(cc["node3"][2], "unreachable", cc)
            self.assertEqual(cc["node1"][2], "reachable", cc)
            r = self.pgha(1, "cluster", "crosscheck")
            line = [l for l in r.stdout.splitlines() if " node3 " in l]
            self.assertTrue(line and line[0].rstrip().endswith("unreachable"), describe(r))

            # with dblink the nodes test each other: node1 and node2 also see node3 down
            lab.psql(1, "CREATE EXTENSION IF NOT EXISTS dblink")
            lab.wait_sql(2, "SELECT count(*) FROM pg_extension WHERE extname = 'dblink'", "1")
            m = self.matrix_json()
            for src in ("this host", "node1", "node2"):
                self.assertEqual(m[src], {1: "reachable", 2: "reachable", 3: "unreachable"},
                                 "row %s: %s" % (src, m))
            self.assertEqual(set(m["node3"].values()), {"unknown"}, m)
            cc = self.crosscheck()
            self.assertEqual(cc["node3"], (0, 3, "unreachable"), cc)
        finally:
            lab.start(3)
        lab.wait_streaming_from(3, 1)
        lab.wait_sql(3, "SELECT count(*) FROM pg_extension WHERE extname = 'dblink'", "1")
        r = self.pgha(1, "cluster", "matrix")
        m = self.matrix_table(r)
        for src in ("this host", "node1", "node2", "node3"):
            self.assertEqual(m[src], every, "row %s%s" % (src, describe(r)))
        self.assertEqual({v[2] for v in self.crosscheck().values()}, {"reachable"})

    # ---- node service
    def test_service_dry_run(self):
        lab = self.lab
        start2 = lab.postmaster_start_time(2)
        r = self.pgha(2, "node", "service", "--action=restart", "--dry-run")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn(lab.service_settings(2)["restart_command"], r.stdout, describe(r))
        start3 = lab.postmaster_start_time(3)
        r3 = self.pgha(3, "node", "service", "--action=stop", "--checkpoint", "--dry-run")
        self.assertEqual(r3.returncode, 0, describe(r3))
        self.assertIn(os.path.join(lab.pg_bindir, "pg_ctl"), r3.stdout, describe(r3))
        self.assertIn(lab[3].data_dir, r3.stdout, describe(r3))
        self.assertIn("stop", r3.stdout, describe(r3))
        self.assertEqual(lab.postmaster_start_time(2), start2, "node2 restarted" + describe(r))
        self.assertEqual(lab.postmaster_start_time(3), start3, "node3 restarted" + describe(r3))
        self.assertEqual(lab.wal_receiver(3), ("streaming", lab[1].port))

    def test_service_stop_start(self):
        lab = self.lab
        pid = lab.adopt_pid(3)
        r = self.pgha(3, "node", "service", "--action=stop", "--checkpoint")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertFalse(pid_alive(pid), "node3 still running" + describe(r))
        self.assertFalse(os.path.exists(os.path.join(lab[3].data_dir, "postmaster.pid")),
                         describe(r))
        lab[3].pid = None
        r = self.pgha(3, "node", "service", "--action=start")
        self.assertTrue(lab.adopt_pid(3), "node3 not started" + describe(r))
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertTrue(lab.in_recovery(3))
        lab.wait_streaming_from(3, 1, timeout=30)
        # restart through the configured command of node2
        start2 = lab.postmaster_start_time(2)
        r = self.pgha(2, "node", "service", "--action=restart")
        lab.adopt_pid(2)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertNotEqual(lab.postmaster_start_time(2), start2, describe(r))
        lab.wait_streaming_from(2, 1, timeout=30)

    def test_service_bad_action(self):
        start3 = self.lab.postmaster_start_time(3)
        r = self.pgha(3, "node", "service", "--action=explode")
        self.assertEqual(r.returncode, 1, describe(r))
        self.assertIn("ERROR:", r.stderr)
        self.assertIn("explode", r.stderr, "the message names the bad action" + describe(r))
        self.assertEqual(self.lab.postmaster_start_time(3), start3)


class WitnessTest(LabTestCase):
    """node1 primary, node2 standby, node3 a separate non-replicated server
    registered as witness."""
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=1)
        lab.init_standalone(3)

    def show(self, node=1):
        data = load_json(self, self.pgha(node, "cluster", "show", "--json"))
        return {d["node_name"]: d for d in data}

    def test_1_witness_register(self):
        lab = self.lab
        r = self.pgha(3, "witness", "register", "-h", lab[1].host, "-p", lab[1].port,
                      "-U", "pgha", "-d", "pgha")
        self.assertEqual(r.returncode, 0, describe(r))
        rows = self.show()
        self.assertEqual(sorted(rows), ["node1", "node2", "node3"])
        self.assertEqual(rows["node3"]["role"], "witness", rows["node3"])
        self.assertEqual(rows["node3"]["status"], "running", rows["node3"])
        self.assertEqual(rows["node1"]["role"], "primary")
        self.assertFalse(lab.in_recovery(3), "the witness is not a standby")
        self.assertEqual(lab.psql(1, "SELECT type FROM pgha.nodes WHERE node_id = 3"), "witness")
        # a witness never takes client traffic
        r = self.pgha(1, "cluster", "conninfo", "--role", "any")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertNotIn(str(lab[3].port), r.stdout, describe(r))
        # registering twice is refused
        r = self.pgha(3, "witness", "register", "-h", lab[1].host, "-p", lab[1].port,
                      "-U", "pgha", "-d", "pgha")
        self.assertEqual(r.returncode, 3, describe(r))
        self.assertIn("already registered", r.stderr, describe(r))
        # the witness's own checks: it is a witness, and healthy
        r = self.pgha(3, "node", "check", "--role", "--nagios")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("witness", r.stdout, describe(r))

    def test_2_witness_register_on_a_standby_refused(self):
        lab = self.lab
        cfg = lab.make_config(os.path.join(lab.dir, "witness-on-standby.toml"), base_node=2,
                              node_id=9, node_name="bogus")
        before = lab.psql(1, "SELECT count(*) FROM pgha.nodes")
        r = lab.pgha(2, "witness", "register", "-h", lab[1].host, "-p", lab[1].port,
                     "-U", "pgha", "-d", "pgha", config=cfg)
        self.assertEqual(r.returncode, 3, describe(r))
        self.assertIn("recovery", r.stderr, "the message says why" + describe(r))
        self.assertEqual(lab.psql(1, "SELECT count(*) FROM pgha.nodes"), before)

    def test_3_witness_unregister(self):
        if "node3" not in self.show():
            self.skipTest("witness was not registered")
        r = self.pgha(3, "witness", "unregister")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(sorted(self.show()), ["node1", "node2"])


if __name__ == "__main__":
    main()
