#!/usr/bin/python3
"""pghad's health API with Patroni's paths, against a running 3-node cluster:
every path on the primary and on standbys with GET, HEAD and OPTIONS, a 400 for
a parameter a path does not take, /liveness, and [tags]: noloadbalance takes a
standby out of /replica, /standby and /read-only, free tags match ?tag_KEY=VALUE,
a reload applies changed tags, and nofailover keeps a node from being promoted."""
import json
import os
import signal
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import main  # noqa: E402
from test_daemon import daemon_pid, http, wait_until  # noqa: E402
from test_daemon_safety import DaemonLab  # noqa: E402

PRIMARY_PATHS = ["/", "/primary", "/master", "/leader", "/read-write"]
REPLICA_PATHS = ["/replica", "/standby"]
ALL_PATHS = PRIMARY_PATHS + REPLICA_PATHS + ["/read-only", "/liveness", "/readiness", "/health", "/status",
                                             "/metrics"]
METHODS = ["GET", "HEAD", "OPTIONS"]


class HealthApiTest(DaemonLab):
    # node2: a free tag and nofailover; node3: out of load balancing, another free tag.
    CONFIG = {2: {"tags": {"dc": "west", "nofailover": "true"}},
              3: {"tags": {"dc": "east", "noloadbalance": "true"}}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for n in (2, 3):
            wait_until(lambda: http(cls.lab.node(n), "/readiness")[0] == 200, 20,
                       "node%d streaming and within lag" % n)

    def expect(self, n, path, code):
        for method in METHODS:
            status, body = http(self.lab.node(n), path, method=method)
            self.assertEqual(status, code, "%s %s on node%d: %r" % (method, path, n, body))
            self.assertEqual(body == "", method == "HEAD", "%s %s on node%d: %r" % (method, path, n, body))

    def test_1_primary_answers_the_primary_paths(self):
        for path in PRIMARY_PATHS + ["/read-only", "/readiness", "/liveness", "/health"]:
            self.expect(1, path, 200)
        for path in REPLICA_PATHS + ["/replica?lag=16MB"]:
            self.expect(1, path, 503)

    def test_2_standby_answers_the_replica_paths(self):
        for path in REPLICA_PATHS + ["/read-only", "/readiness", "/liveness", "/health", "/replica?lag=16MB",
                                     "/replica?lag=1048576", "/standby?replication_state=streaming",
                                     "/readiness?lag=1MB"]:
            self.expect(2, path, 200)
        for path in PRIMARY_PATHS:
            self.expect(2, path, 503)

    def test_3_free_tags_are_matched(self):
        self.expect(2, "/replica?tag_dc=west", 200)
        self.expect(2, "/read-only?tag_dc=west&lag=16MB", 200)
        self.expect(2, "/replica?tag_dc=east", 503)
        self.expect(2, "/replica?tag_rack=r1", 503)
        self.expect(1, "/read-only?tag_dc=east", 200)  # the primary passes /read-only whatever its tags

    def test_4_noloadbalance_takes_a_standby_out_of_load_balancing(self):
        for path in REPLICA_PATHS + ["/read-only", "/replica?tag_dc=east"]:
            self.expect(3, path, 503)
        for path in ["/readiness", "/liveness", "/health"]:
            self.expect(3, path, 200)
        status, body = http(self.lab.node(3), "/replica")
        self.assertIn("noloadbalance", body)

    def test_5_unknown_parameters_are_a_400_on_every_path(self):
        for n in (1, 2):
            for path in ALL_PATHS:
                for method in METHODS:
                    status, body = http(self.lab.node(n), path + "?foo=1", method=method)
                    self.assertEqual(status, 400, "%s %s?foo=1 on node%d: %r" % (method, path, n, body))
                    if method != "HEAD":
                        self.assertIn('"foo"', body)
        status, body = http(self.lab.node(2), "/replica?lag=lots")
        self.assertEqual(status, 400, body)
        status, body = http(self.lab.node(2), "/replica?replication_state=stopped")
        self.assertEqual(status, 400, body)

    def test_6_status_shows_tags_and_the_last_tick(self):
        for n, tags in ((1, {}), (2, {"dc": "west", "nofailover": "true"}),
                        (3, {"dc": "east", "noloadbalance": "true"})):
            status = json.loads(http(self.lab.node(n), "/status")[1])
            self.assertEqual(status["tags"], tags)
            self.assertEqual(status["liveness_bound_ms"], 2500)  # 3 x 500 ms + 1 s
            self.assertLessEqual(status["last_tick_ms"], 2500)

    def test_6a_a_reload_applies_new_tags(self):
        self.lab.configure(3, tags={"dc": "east", "noloadbalance": "false"})
        os.kill(daemon_pid(self.daemons[3]), signal.SIGHUP)
        wait_until(lambda: http(self.lab.node(3), "/replica?tag_dc=east")[0] == 200, 10, "node3 back in /replica")
        self.assertEqual(json.loads(http(self.lab.node(3), "/status")[1])["tags"],
                         {"dc": "east", "noloadbalance": "false"})

    def test_7_nofailover_is_never_promoted(self):
        self.kill_postmaster(1)
        promoted = wait_until(self.writable, 30, "a failover")
        self.assertEqual(promoted, [3], "node2 has nofailover = \"true\"")
        wait_until(lambda: http(self.lab.node(3), "/primary")[0] == 200, 10, "node3's /primary")
        self.expect(3, "/read-only", 200)
        self.expect(3, "/replica", 503)


if __name__ == "__main__":
    main()
