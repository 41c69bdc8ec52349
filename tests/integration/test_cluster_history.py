#!/usr/bin/python3
"""pgha cluster history against real servers and daemons: a switchover's row
(0 bytes beyond the fork), then a failover that loses WAL the old primary
wrote alone, whose row learns how much once the old primary rejoined."""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import load_json, main  # noqa: E402
from test_daemon import wait_until  # noqa: E402
from test_manual_failover import target_conninfo  # noqa: E402
from test_switchover import SwitchoverLab  # noqa: E402


def lsn_value(text):
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


class ClusterHistoryTest(SwitchoverLab):
    def history(self, node):
        return load_json(self, self.pgha(node, "cluster", "history", "--json"))

    def fork_in_history_file(self, node, timeline):
        """The parent's switchpoint, as PostgreSQL wrote it in the new timeline's history file."""
        path = os.path.join(self.lab.node(node).data_dir, "pg_wal", "%08X.history" % timeline)
        with open(path) as f:
            last = [line.split() for line in f if line.strip() and not line.startswith("#")][-1]
        return int(last[0]), last[1]

    def timeline_of(self, node):
        return int(self.lab.psql(node, "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"), 16)

    def test_1_switchover_row_loses_nothing(self):
        self.assertEqual(self.history(1), [], "a new cluster has no timeline switch")
        r = self.switchover(2, "--siblings-follow")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assert_topology(2)
        rows = self.history(2)
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        timeline = self.timeline_of(2)
        parent, fork = self.fork_in_history_file(2, timeline)
        self.assertEqual((row["reason"], row["old_primary_id"], row["new_primary_id"]), ("switchover", 1, 2))
        self.assertEqual((row["timeline"], row["parent_timeline"], row["fork_lsn"]), (timeline, parent, fork))
        self.assertEqual(row["bytes_beyond_fork"], 0)
        # Replicated like the rest of the metadata, and readable by a human.
        wait_until(lambda: self.history(3) == rows, 10, "node3 to have the row")
        text = self.pgha(3, "cluster", "history").stdout
        self.assertRegex(text, r"%d -> %d .* switchover .* node1 \(1\) .* node2 \(2\) .* %s .* 0 bytes"
                         % (parent, timeline, fork))

    def test_2_failover_row_learns_the_lost_wal_at_rejoin(self):
        # The standbys stop streaming, so what node2 writes next is its own.
        for n in (1, 3):
            self.lab.psql(n, "ALTER SYSTEM SET primary_conninfo = ''")
            self.lab.psql(n, "SELECT pg_reload_conf()")
        wait_until(lambda: all(not self.streams_from(n, 2) for n in (1, 3)), 15, "the standbys to stop streaming")
        self.lab.psql(2, "CREATE TABLE IF NOT EXISTS lost_alone AS SELECT g FROM generate_series(1, 20000) g")
        written_to = lsn_value(self.lab.psql(2, "SELECT pg_current_wal_lsn()"))
        self.kill_postmaster(2)
        wait_until(lambda: len([n for n in (1, 3) if n in self.writable()]) == 1, 30, "a new primary")
        winner = [n for n in (1, 3) if n in self.writable()][0]
        rows = self.history(winner)
        self.assertEqual(len(rows), 2, rows)
        row = rows[-1]
        timeline = self.timeline_of(winner)
        parent, fork = self.fork_in_history_file(winner, timeline)
        self.assertEqual((row["reason"], row["old_primary_id"], row["new_primary_id"]), ("failover", 2, winner))
        self.assertEqual((row["timeline"], row["parent_timeline"], row["fork_lsn"]), (timeline, parent, fork))
        self.assertIsNone(row["bytes_beyond_fork"], "unknown until the old primary rejoined")
        self.assertIn("unknown", self.pgha(winner, "cluster", "history").stdout)

        r = self.pgha(2, "node", "rejoin", "-d", target_conninfo(self.lab.node(winner)), timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("after pg_rewind", r.stdout)
        row = self.history(winner)[-1]
        self.assertIsNotNone(row["old_primary_wal_end"])
        beyond = lsn_value(row["old_primary_wal_end"]) - lsn_value(fork)
        self.assertEqual(row["bytes_beyond_fork"], beyond)
        # What node2 wrote alone (the table, ~700 kB of WAL) is what the failover lost.
        self.assertGreaterEqual(lsn_value(row["old_primary_wal_end"]), written_to)
        self.assertGreater(beyond, 500000)
        csv = self.pgha(winner, "cluster", "history", "--csv").stdout.splitlines()
        self.assertEqual(csv[0], "timeline,parent_timeline,switched_at,reason,term,old_primary_id,new_primary_id,"
                                 "fork_lsn,old_primary_wal_end,bytes_beyond_fork")
        self.assertTrue(csv[-1].endswith(",%d" % beyond), csv[-1])


if __name__ == "__main__":
    main()
