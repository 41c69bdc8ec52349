#!/usr/bin/python3
"""node check (Nagios mode and single checks) and node status against real
servers: a healthy standby is OK, a standby whose replay is paused behind ~3MB
of WAL is WARNING or CRITICAL by the thresholds given, a stopped standby is
CRITICAL, the primary's role check is OK."""
import json
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, load_json, main  # noqa: E402

NAGIOS_LINE = re.compile(r"^PGHA_[A-Z_]+ (OK|WARNING|CRITICAL|UNKNOWN) - ")


class NodeCheckTest(LabTestCase):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=2)
        lab.insert_rows(1, "nc_rows", 1, 10)
        for n in (2, 3):
            lab.wait_sql(n, "SELECT count(*) FROM nc_rows", "10", timeout=30)

    def nagios(self, r, state, check=None):
        """Every line of r.stdout is a Nagios status line; the named check has `state`."""
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        self.assertTrue(lines, "no output" + describe(r))
        for l in lines:
            self.assertRegex(l, NAGIOS_LINE, describe(r))
        if check:
            mine = [l for l in lines if l.startswith("PGHA_%s " % check)]
            self.assertTrue(mine, "no PGHA_%s line%s" % (check, describe(r)))
            for l in mine:
                self.assertTrue(l.startswith("PGHA_%s %s - " % (check, state)), describe(r))
        return lines

    def test_healthy_standby_ok(self):
        r = self.pgha(2, "node", "check", "--nagios")
        self.assertEqual(r.returncode, 0, describe(r))
        for l in self.nagios(r, "OK"):
            self.assertIn(" OK - ", l, describe(r))
        r = self.pgha(2, "node", "check", "--replication-lag", "--nagios")
        self.assertEqual(r.returncode, 0, describe(r))
        self.nagios(r, "OK", "REPLICATION_LAG")
        # the human form says so too
        r = self.pgha(2, "node", "check", "--replication-lag")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("OK", r.stdout, describe(r))

    def test_role_on_primary(self):
        r = self.pgha(1, "node", "check", "--role", "--nagios")
        self.assertEqual(r.returncode, 0, describe(r))
        lines = self.nagios(r, "OK", "ROLE")
        self.assertIn("primary", lines[0], describe(r))
        r = self.pgha(1, "node", "check", "--role")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("primary", r.stdout, describe(r))

    def test_downstream_on_primary(self):
        r = self.pgha(1, "node", "check", "--downstream", "--nagios")
        self.assertEqual(r.returncode, 0, describe(r))
        self.nagios(r, "OK", "DOWNSTREAM")

    def test_json(self):
        r = self.pgha(2, "node", "check", "--json")
        data = load_json(self, r)
        self.assertTrue(data, describe(r))
        self.assertNotIn('"CRITICAL"', json.dumps(data), describe(r))

    def test_node_status_json(self):
        for n, role in ((1, "primary"), (2, "standby")):
            r = self.pgha(n, "node", "status", "--json")
            data = load_json(self, r)
            self.assertIsInstance(data, dict, describe(r))
            self.assertEqual(data.get("role"), role, describe(r))
            self.assertEqual(data.get("timeline"), 1, describe(r))
        r = self.pgha(2, "node", "status")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("standby", r.stdout, describe(r))

    def test_lagging_standby(self):
        lab = self.lab
        lab.psql(2, "SELECT pg_wal_replay_pause()", dbname="postgres")
        try:
            lab.wait_sql(2, "SELECT pg_get_wal_replay_pause_state()", "paused",
                         dbname="postgres")
            # ~3MB of WAL that node2 receives but does not replay
            lab.insert_rows(1, "nc_lag", 1, 3000, payload=1000)
            lag = int(lab.psql(1, "SELECT pg_current_wal_insert_lsn() - replay_lsn "
                                  "FROM pg_stat_replication WHERE application_name = 'node2'",
                               dbname="postgres") or 0)
            self.assertGreater(lag, 2 * 1024 * 1024, "the lab did not make node2 lag")
            self.assertLess(lag, 16 * 1024 * 1024)
            r = self.pgha(2, "node", "check", "--replication-lag", "--warning", "1MB",
                          "--critical", "100MB", "--nagios")
            self.assertEqual(r.returncode, 1, "expected WARNING (lag %d bytes)%s" % (
                lag, describe(r)))
            self.nagios(r, "WARNING", "REPLICATION_LAG")
            r = self.pgha(2, "node", "check", "--replication-lag", "--warning", "1MB",
                          "--critical", "2MB", "--nagios")
            self.assertEqual(r.returncode, 2, "expected CRITICAL (lag %d bytes)%s" % (
                lag, describe(r)))
            self.nagios(r, "CRITICAL", "REPLICATION_LAG")
            # default thresholds 16MB / 64MB: OK
            r = self.pgha(2, "node", "check", "--replication-lag", "--nagios")
            self.assertEqual(r.returncode, 0, describe(r))
            self.nagios(r, "OK", "REPLICATION_LAG")
            # the lag shows in node status
            st = load_json(self, self.pgha(2, "node", "status", "--json"))
            lags = [v for k, v in st.items() if "lag" in k and isinstance(v, int)
                    and not isinstance(v, bool)]
            self.assertTrue(any(v > 1024 * 1024 for v in lags),
                            "node status --json shows no lag over 1MB: %s" % st)
        finally:
            lab.psql(2, "SELECT pg_wal_replay_resume()", dbname="postgres")
        lab.wait_sql(2, "SELECT count(*) FROM nc_lag", "3000", timeout=60)
        r = self.pgha(2, "node", "check", "--replication-lag", "--warning", "1MB",
                      "--critical", "2MB", "--nagios")
        self.assertEqual(r.returncode, 0, "lag gone after resume" + describe(r))

    def test_stopped_standby_critical(self):
        lab = self.lab
        lab.stop(3)
        try:
            for extra in ((), ("--replication-lag",)):
                r = self.pgha(3, "node", "check", *extra, "--nagios")
                self.assertEqual(r.returncode, 2, describe(r))
                lines = self.nagios(r, "CRITICAL")
                self.assertTrue(any(" CRITICAL - " in l for l in lines), describe(r))
            # the primary sees a downstream node missing
            r = self.pgha(1, "node", "check", "--downstream", "--nagios")
            self.assertEqual(r.returncode, 2, describe(r))
            self.nagios(r, "CRITICAL", "DOWNSTREAM")
            self.assertIn("node3", r.stdout, describe(r))
        finally:
            lab.start(3)
        lab.wait_streaming_from(3, 1, timeout=30)
        r = self.pgha(3, "node", "check", "--nagios")
        self.assertEqual(r.returncode, 0, describe(r))


if __name__ == "__main__":
    main()
