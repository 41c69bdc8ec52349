#!/usr/bin/python3
"""pghad's safety behaviour against real servers: pause stops failover, a dead
primary daemon alone causes no failover, priority 0 is never promoted, a
returning old primary is fenced and rejoins, failover back and forth."""
import json
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, load_json, main  # noqa: E402
from test_daemon import FAST, PGHAD, daemon_pid, http, kill_daemon, wait_until  # noqa: E402


class DaemonLab(LabTestCase):
    NODES = 3
    CONFIG = {}  # per-node extra settings

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        config = lab.daemon_config(FAST)
        for n, extra in cls.CONFIG.items():
            config[n].update(extra)
        lab.build_cluster(standbys=cls.NODES - 1, config=config)
        cls.daemons = {}
        for n in range(1, cls.NODES + 1):
            cls.start_daemon(n)

    @classmethod
    def start_daemon(cls, n):
        node = cls.lab.node(n)
        cls.daemons[n] = cls.lab.spawn(n, [PGHAD, "-f", node.config], log_path=os.path.join(node.dir, "pghad.log"))
        wait_until(lambda: http(node, "/health")[0] is not None, 15, "pghad of %s" % node.name)

    @classmethod
    def wait_roles(cls):
        """Every daemon answers for its role: /primary on node1, /replica on the others."""
        for n in range(1, cls.NODES + 1):
            wait_until(lambda: http(cls.lab.node(n), "/replica" if n > 1 else "/primary")[0] == 200, 20,
                       "pghad of node%d in its role" % n)

    def status(self, n):
        code, body = http(self.lab.node(n), "/status")
        self.assertEqual(code, 200, body)
        return json.loads(body)

    def kill_postmaster(self, n):
        with open(os.path.join(self.lab.node(n).data_dir, "postmaster.pid")) as f:
            os.kill(int(f.readline()), signal.SIGKILL)

    def writable(self):
        found = []
        for n in range(1, self.NODES + 1):
            r = self.lab.psql_run(n, "SELECT pg_is_in_recovery()", timeout=5)
            if r.returncode == 0 and r.stdout.strip() == "f":
                found.append(n)
        return found

    def streams_from(self, n, upstream):
        r = self.lab.psql_run(n, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' "
                                 "AND sender_port = %d" % self.lab.node(upstream).port, timeout=5)
        return r.returncode == 0 and r.stdout.strip() == "1"


class PauseAndDaemonDeathTest(DaemonLab):
    def test_1_primary_daemon_killed_no_failover_and_restart_changes_nothing(self):
        kill_daemon(self.daemons[1])
        self.assertIsNone(http(self.lab.node(1), "/health")[0], "the primary's daemon is dead")
        time.sleep(6)  # well past reconnect_attempts x reconnect_interval and lease_timeout
        self.assertEqual(self.writable(), [1], "no failover while the primary's PostgreSQL is reachable")
        self.start_daemon(1)
        time.sleep(2)
        self.assertEqual(self.writable(), [1])
        self.assertTrue(self.streams_from(2, 1) and self.streams_from(3, 1))

    def test_2_standby_daemon_dies_and_comes_back(self):
        kill_daemon(self.daemons[3])
        self.assertIsNone(http(self.lab.node(3), "/health")[0], "node3's daemon is dead")
        time.sleep(2)
        self.assertEqual(self.writable(), [1])
        self.start_daemon(3)
        wait_until(lambda: http(self.lab.node(3), "/replica")[0] == 200, 10, "node3's daemon monitoring again")

    def test_2a_planned_restart_of_the_primary_is_no_failover(self):
        term = json.loads(http(self.lab.node(1), "/status")[1])["term"]
        log = os.path.join(self.lab.node(1).dir, "pghad.log")
        r = self.pgha(1, "node", "service", "--action=restart")
        self.assertEqual(r.returncode, 0, describe(r))
        self.lab.adopt_pid(1)
        time.sleep(6)  # past the lease and the failure threshold
        self.assertEqual(self.writable(), [1], "no failover after a planned restart")
        self.assertEqual(json.loads(http(self.lab.node(2), "/status")[1])["term"], term, "no new term")
        with open(log) as f:
            text = f.read()
        self.assertIn("exited after a clean shutdown", text, "the daemon saw the planned stop")
        self.assertNotIn("releasing the lease", text)
        wait_until(lambda: self.streams_from(2, 1) and self.streams_from(3, 1), 20, "the standbys to stream again")

    def test_3_paused_cluster_promotes_nobody_until_unpaused(self):
        r = self.pgha(2, "daemon", "pause")
        self.assertEqual(r.returncode, 0, describe(r))
        self.kill_postmaster(1)
        time.sleep(6)
        self.assertEqual(self.writable(), [], "a paused cluster promotes nobody")
        rows = load_json(self, self.pgha(2, "daemon", "status", "--json"))
        self.assertTrue(all(row["paused"] for row in rows if row["running"]), rows)
        r = self.pgha(2, "daemon", "unpause", "-d", self.lab.node(2).conninfo)
        self.assertIn(r.returncode, (0, 4), describe(r))  # node1's daemon may refuse nothing; it is alive
        promoted = wait_until(self.writable, 30, "a failover after unpause")
        self.assertEqual(len(promoted), 1, promoted)


class PriorityZeroTest(DaemonLab):
    CONFIG = {2: {"priority": 0}}

    def test_priority_zero_is_never_promoted(self):
        self.kill_postmaster(1)
        promoted = wait_until(self.writable, 30, "a failover")
        self.assertEqual(promoted, [3], "node2 has priority 0")
        wait_until(lambda: self.streams_from(2, 3), 20, "node2 to follow node3")


class ReturningPrimaryTest(DaemonLab):
    def test_old_primary_restarted_by_hand_is_fenced_and_rejoins(self):
        lab = self.lab
        self.kill_postmaster(1)
        new = wait_until(self.writable, 30, "a failover")[0]
        lab.psql(new, "CREATE TABLE after_failover (id int)")
        lab.psql(new, "INSERT INTO after_failover VALUES (1)")
        # The DBA starts the old primary by hand: it comes up as a primary of the old term.
        # (the killed postmaster's children may need a moment to exit first)
        start = [lab.pg("pg_ctl"), "-D", lab.node(1).data_dir, "-l", lab.node(1).log, "-w", "-t", "60", "start"]
        wait_until(lambda: lab.run(1, start, check=False).returncode == 0, 20, "node1 to start by hand")
        t0 = time.monotonic()
        wait_until(lambda: 1 not in self.writable(), 10, "the returning old primary to be fenced")
        print("\nreturning old primary fenced after %.2fs" % (time.monotonic() - t0), file=sys.stderr)
        wait_until(lambda: self.streams_from(1, new), 60, "node1 to rejoin as a standby of node%d" % new)
        lab.adopt_pid(1)
        lab.wait_sql(1, "SELECT count(*) FROM after_failover", "1", timeout=30)
        self.assertEqual(self.writable(), [new])

        # The rejoin records node1 as a standby once it streams: a moment after the check above.
        def shown():
            rows = {r["node_name"]: r for r in load_json(self, self.pgha(new, "cluster", "show", "--json"))}
            return rows if (rows["node1"]["role"], rows["node1"]["upstream"]) == ("standby", "node%d" % new) else None
        rows = wait_until(shown, 15, "cluster show to name node1 a standby of node%d" % new)
        self.assertEqual(rows["node1"]["role"], "standby", rows)


class NoAutoRejoinTest(DaemonLab):
    CONFIG = {1: {"fencing": {"auto_rejoin": False}}}

    def test_returning_old_primary_stays_fenced_and_cluster_show_says_why(self):
        lab = self.lab
        self.kill_postmaster(1)
        new = wait_until(self.writable, 30, "a failover")[0]
        start = [lab.pg("pg_ctl"), "-D", lab.node(1).data_dir, "-l", lab.node(1).log, "-w", "-t", "60", "start"]
        wait_until(lambda: lab.run(1, start, check=False).returncode == 0, 20, "node1 to start by hand")
        wait_until(lambda: 1 not in self.writable(), 10, "the returning old primary to be fenced")
        time.sleep(3)  # several monitor intervals: it must not come back by itself
        self.assertEqual(self.writable(), [new])
        self.assertNotEqual(lab.psql_run(1, "SELECT 1", timeout=5).returncode, 0, "node1 stays stopped")
        rows = {r["node_name"]: r for r in load_json(self, self.pgha(new, "cluster", "show", "--json"))}
        self.assertEqual(rows["node1"]["status"], "fenced", rows)
        self.assertIn("auto_rejoin is off", rows["node1"]["fenced_because"], rows)
        r = self.pgha(new, "cluster", "show")
        self.assertIn('node "node1" (ID 1) is fenced by its daemon', r.stdout, describe(r))
        status = json.loads(http(lab.node(1), "/status")[1])
        self.assertTrue(status["fenced"], status)
        self.assertEqual(http(lab.node(1), "/primary")[0], 503)


class MaximumLagTest(DaemonLab):
    # node3 never promoted at first; node2's WAL receiver is stopped so it falls behind.
    CONFIG = {n: {"failover": dict(FAST, maximum_lag_on_failover="1MB")} for n in (1, 2, 3)}
    CONFIG[3]["priority"] = 0

    def test_lagging_standby_is_not_promoted_while_a_node_with_more_data_exists(self):
        lab = self.lab
        lab.psql(2, "ALTER SYSTEM SET primary_conninfo = ''")
        lab.psql(2, "SELECT pg_reload_conf()")
        lab.wait_sql(2, "SELECT count(*) FROM pg_stat_wal_receiver", "0", timeout=20)
        lab.psql(1, "CREATE TABLE lag_rows AS SELECT generate_series(1, 200000) AS id")  # ~10 MB of WAL
        lab.wait_sql(3, "SELECT count(*) FROM lag_rows", "200000", timeout=30)
        self.kill_postmaster(1)
        time.sleep(6)  # past the failure threshold; the lease was released
        self.assertEqual(self.writable(), [], "node2 lacks data node3 has; node3 has priority 0: nobody")
        decision = json.loads(http(lab.node(2), "/status")[1])["last_decision"]
        self.assertIn("maximum_lag_on_failover", decision)
        # node3 becomes eligible (priority reloaded): it is promoted, never node2.
        lab.configure(3, priority=100)
        os.kill(daemon_pid(self.daemons[3]), signal.SIGHUP)
        promoted = wait_until(self.writable, 30, "node3 to be promoted")
        self.assertEqual(promoted, [3])
        wait_until(lambda: self.streams_from(2, 3), 30, "node2 to follow node3")
        lab.wait_sql(2, "SELECT count(*) FROM lag_rows", "200000", timeout=30)


class BackAndForthTest(DaemonLab):
    def test_failover_back_and_forth_five_times_with_a_writer(self):
        lab = self.lab
        primary = 1
        for i in range(5):
            lab.psql(primary, "CREATE TABLE IF NOT EXISTS rounds (id int PRIMARY KEY)")
            lab.psql(primary, "INSERT INTO rounds VALUES (%d)" % i)
            others = [n for n in (1, 2, 3) if n != primary]
            for n in others:
                lab.wait_sql(n, "SELECT count(*) FROM rounds WHERE id = %d" % i, "1", timeout=30)
            t0 = time.monotonic()
            self.kill_postmaster(primary)
            promoted = wait_until(lambda: [n for n in self.writable() if n != primary], 30, "failover %d" % i)
            self.assertEqual(len(promoted), 1, promoted)
            new = promoted[0]
            print("\nround %d: node%d -> node%d in %.2fs" % (i, primary, new, time.monotonic() - t0), file=sys.stderr)
            sibling = [n for n in others if n != new][0]
            wait_until(lambda: self.streams_from(sibling, new), 20, "node%d to follow node%d" % (sibling, new))
            self.assertEqual(lab.psql(new, "SELECT count(*) FROM rounds"), str(i + 1))
            # Bring the old primary back as a standby for the next round.
            r = self.pgha(primary, "node", "rejoin", "-d", lab.node(new).conninfo)
            self.assertEqual(r.returncode, 0, describe(r))
            lab.adopt_pid(primary)
            wait_until(lambda: self.streams_from(primary, new), 30, "old primary to stream")
            primary = new
        self.assertEqual(len(self.writable()), 1)


if __name__ == "__main__":
    main()
