#!/usr/bin/python3
"""pghad's /metrics against real servers and real Prometheus tools: every
node's text passes `promtool check metrics` (lint included), carries the
cluster label, and writes the same series in every role, before and after a
switchover and a failover (kill -9 of the primary's postmaster) whose counts
and durations the new primaries report. A real Prometheus server scrapes the lab's daemons, and
every expression of conf/grafana/pgha-dashboard.json parses and returns data."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, main, unused_port  # noqa: E402
from test_daemon import FAST, PGHAD, http, wait_until  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(REPO, "conf", "grafana", "pgha-dashboard.json")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
CLUSTER = "lab-metrics"

REQUIRED = [
    "pgha_up", "pgha_postgres_up", "pgha_role", "pgha_is_primary", "pgha_writable", "pgha_term", "pgha_paused",
    "pgha_fenced", "pgha_timeline", "pgha_wal_current_lsn_bytes", "pgha_wal_received_lsn_bytes",
    "pgha_wal_replayed_lsn_bytes", "pgha_lag_bytes", "pgha_replay_lag_seconds", "pgha_last_primary_contact_seconds",
    "pgha_pending_restart", "pgha_server_version_num", "pgha_postmaster_start_time_seconds",
    "pgha_lease_remaining_seconds", "pgha_promise_remaining_seconds", "pgha_voters_visible", "pgha_quorum_size",
    "pgha_primaries_seen", "pgha_failovers_total", "pgha_switchovers_total", "pgha_last_failover_detection_seconds",
    "pgha_last_failover_election_seconds", "pgha_last_failover_promotion_seconds", "pgha_last_failover_total_seconds",
    "pgha_last_failover_write_unavailable_seconds", "pgha_last_failover_timestamp_seconds",
    "pgha_last_failover_switchover", "pgha_hook_failures_total",
]
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$')


def parse(text):
    """{(name, labels without node): value} of a /metrics text, and the node label."""
    samples, nodes = {}, set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        nodes.add(labels.pop("node", None))
        samples[(m.group(1), tuple(sorted(labels.items())))] = float(m.group(3))
    return samples, nodes


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(dict(labels, cluster=CLUSTER).items())))]


class MetricsTest(LabTestCase):
    NODES = 3
    prometheus = None

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        secret = lab.write_file(os.path.join(lab.dir, "cluster.secret"), "s3cret-cluster-key\n", mode=0o600)
        daemon = {"secret_file": secret, "cluster_name": CLUSTER}
        config = {}
        for n in (1, 2, 3):
            node = lab.node(n)  # the switchover starts the old primary again as a standby
            service = {"start_command": "%s/pg_ctl -D %s -l %s -w -t 60 start" % (lab.pg_bindir, node.data_dir,
                                                                                 node.log)}
            config[n] = {"failover": FAST, "daemon": daemon, "service": service}
        lab.build_cluster(standbys=2, config=config)
        cls.daemons = {}
        for n in (1, 2, 3):
            node = lab.node(n)
            cls.daemons[n] = lab.spawn(n, [PGHAD, "-f", node.config], log_path=os.path.join(node.dir, "pghad.log"))
            wait_until(lambda: http(node, "/health")[0] is not None, 15, "pghad of %s to answer" % node.name)
        cls.start_prometheus()

    @classmethod
    def start_prometheus(cls):
        cls.prom_dir = tempfile.mkdtemp(prefix="pgha-prometheus-")
        cls.addClassCleanup(shutil.rmtree, cls.prom_dir, True)
        targets = ["%s:%d" % (cls.lab.node(n).host, cls.lab.node(n).http_port) for n in (1, 2, 3)]
        config = os.path.join(cls.prom_dir, "prometheus.yml")
        with open(config, "w") as f:  # JSON is YAML
            json.dump({"global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
                       "scrape_configs": [{"job_name": "pgha", "static_configs": [{"targets": targets}]}]}, f)
        cls.prom_port = unused_port()
        cls.prom_log = open(os.path.join(cls.prom_dir, "prometheus.log"), "w")
        cls.prometheus = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(cls.prom_dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % cls.prom_port, "--log.level=warn"],
            stdout=cls.prom_log, stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop_prometheus)

    @classmethod
    def stop_prometheus(cls):
        if cls.prometheus and cls.prometheus.poll() is None:
            os.kill(cls.prometheus.pid, signal.SIGTERM)
            try:
                cls.prometheus.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(cls.prometheus.pid, signal.SIGKILL)
                cls.prometheus.wait(5)
        cls.prom_log.close()

    def query(self, expr):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (self.prom_port, urllib.parse.urlencode({"query": expr}))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:  # 400 for a parse error, with the reason as JSON
            return json.loads(e.read() or b"{}")

    def metrics(self, n):
        status, text = http(self.lab.node(n), "/metrics")
        self.assertEqual(status, 200, text)
        return text

    def check_with_promtool(self, n, text):
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, "promtool check metrics on node%d: exit %d\n%s%s\n--- metrics ---\n%s"
                         % (n, r.returncode, r.stdout, r.stderr, text))

    def check_all(self):
        """Every node's /metrics through promtool: its samples, and its series."""
        found = {}
        for n in (1, 2, 3):
            text = self.metrics(n)
            self.check_with_promtool(n, text)
            samples, nodes = parse(text)
            self.assertEqual(nodes, {"node%d" % n}, "every sample carries node=\"node%d\"" % n)
            for name, labels in samples:
                self.assertIn(("cluster", CLUSTER), labels, "%s on node%d carries the cluster label" % (name, n))
            names = {name for name, _ in samples}
            self.assertEqual(sorted(names), sorted(REQUIRED), "the metrics of node%d, no more, no fewer" % n)
            found[n] = samples
        return found

    def test_1_every_node_passes_promtool_with_the_same_series(self):
        n1 = self.lab.node(1)
        wait_until(lambda: http(n1, "/primary")[0] == 200, 15, "/primary 200 on node1")
        for n in (2, 3):
            wait_until(lambda: http(self.lab.node(n), "/replica?lag=16MB")[0] == 200, 15, "node%d streaming" % n)
        # The primary hears from both standbys within a heartbeat round or two.
        wait_until(lambda: value(parse(self.metrics(1))[0], "pgha_voters_visible") == 3, 10, "3 voters visible")
        found = self.check_all()
        with open(os.path.join(REPO, "README.md")) as f:
            readme = f.read()
        self.assertEqual([name for name in REQUIRED if "`%s" % name not in readme], [], "README lists every metric")
        self.assertEqual(set(found[1]), set(found[2]), "the same series on the primary and a standby")
        self.assertEqual(set(found[2]), set(found[3]), "the same series on both standbys")
        self.__class__.series_before = {n: set(s) for n, s in found.items()}
        p, s = found[1], found[2]
        self.assertEqual(value(p, "pgha_is_primary"), 1)
        self.assertEqual(value(p, "pgha_role", role="primary"), 1)
        self.assertEqual(value(s, "pgha_role", role="standby"), 1)
        self.assertEqual(value(p, "pgha_timeline"), 1)
        self.assertEqual(value(p, "pgha_quorum_size"), 2)
        self.assertEqual(value(p, "pgha_primaries_seen"), 1)
        self.assertEqual(value(s, "pgha_primaries_seen"), 1)
        self.assertGreater(value(p, "pgha_lease_remaining_seconds"), 0)
        self.assertLessEqual(value(p, "pgha_lease_remaining_seconds"), 3)
        self.assertTrue(value(s, "pgha_lease_remaining_seconds") != value(s, "pgha_lease_remaining_seconds"),
                        "a standby's lease remaining is NaN")
        self.assertGreater(value(s, "pgha_promise_remaining_seconds"), 0, "a standby promised the primary")
        self.assertEqual(value(p, "pgha_lag_bytes"), 0)
        self.assertEqual(value(p, "pgha_replay_lag_seconds"), 0)
        self.assertGreater(value(p, "pgha_wal_current_lsn_bytes"), 0)
        self.assertGreater(value(s, "pgha_wal_replayed_lsn_bytes"), 0)
        self.assertGreaterEqual(value(s, "pgha_wal_received_lsn_bytes"), value(s, "pgha_wal_replayed_lsn_bytes"))
        self.assertGreaterEqual(value(p, "pgha_server_version_num"), 150000)
        self.assertEqual(value(p, "pgha_pending_restart"), 0)
        started = float(self.lab.psql(1, "SELECT extract(epoch FROM pg_postmaster_start_time())"))
        self.assertAlmostEqual(value(p, "pgha_postmaster_start_time_seconds"), started, places=2)
        self.assertEqual(sum(v for (name, _), v in p.items() if name == "pgha_failovers_total"), 0)

    def phases(self, samples):
        return {p: value(samples, "pgha_last_failover_%s_seconds" % p)
                for p in ("detection", "election", "promotion", "total", "write_unavailable")}

    def primaries_seen_once(self):
        return all(value(parse(self.metrics(n))[0], "pgha_primaries_seen") == 1 for n in (1, 2, 3)
                   if http(self.lab.node(n), "/health")[0] == 200)

    def test_2_switchover_is_counted_and_timed(self):
        r = self.pgha(2, "standby", "switchover", "--siblings-follow", timeout=120)
        self.assertExit(r, 0)
        for n in (1, 3):
            wait_until(lambda: http(self.lab.node(n), "/replica")[0] == 200, 30, "node%d to follow node2" % n)
        wait_until(lambda: value(parse(self.metrics(2))[0], "pgha_switchovers_total") == 1, 10,
                   "node2 to count the switchover")
        wait_until(self.primaries_seen_once, 10, "every daemon to see one primary")
        found = self.check_all()
        for n in (1, 2, 3):
            self.assertEqual(set(found[n]), self.series_before[n], "node%d's series are the same as before" % n)
        m = found[2]
        self.assertEqual(value(m, "pgha_is_primary"), 1)
        self.assertEqual(value(m, "pgha_last_failover_switchover"), 1)
        self.assertEqual(sum(v for (name, _), v in m.items() if name == "pgha_failovers_total"), 0)
        self.assertEqual(value(found[1], "pgha_switchovers_total"), 0)
        phases = self.phases(m)
        print("\nswitchover as node2's /metrics reports it: %s" % ", ".join("%s %.2fs" % kv for kv in phases.items()),
              file=sys.stderr)
        self.assertEqual((phases["detection"], phases["election"]), (0, 0))
        self.assertGreater(phases["write_unavailable"], 0)
        self.assertEqual(phases["promotion"], phases["write_unavailable"])
        self.assertTrue(phases["write_unavailable"] <= phases["total"] < 120, phases)
        self.assertEqual(value(m, "pgha_timeline"), 2)

    def test_3_failover_is_counted_and_timed_and_no_series_vanish(self):
        lab = self.lab
        with open(os.path.join(lab.node(2).data_dir, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)

        def promoted():
            for n in (1, 3):
                if http(lab.node(n), "/primary")[0] == 200:
                    return n
            return None
        new = wait_until(promoted, 60, "a standby to be promoted")
        other = 4 - new
        wait_until(lambda: http(lab.node(other), "/replica")[0] == 200, 30, "node%d to follow node%d" % (other, new))
        wait_until(self.primaries_seen_once, 10, "every daemon to see one primary")
        found = self.check_all()
        for n in (1, 2, 3):
            self.assertEqual(set(found[n]), self.series_before[n], "node%d's series are the same as before" % n)
        m = found[new]
        self.assertEqual(value(m, "pgha_failovers_total", reason="primary_crashed"), 1, "the release was a crash")
        self.assertEqual(value(m, "pgha_failovers_total", reason="primary_lost"), 0)
        self.assertEqual(value(m, "pgha_failovers_total", reason="manual"), 0)
        self.assertEqual(value(m, "pgha_switchovers_total"), 0)
        self.assertEqual(value(m, "pgha_last_failover_switchover"), 0)
        phases = self.phases(m)
        print("failover as node%d's /metrics reports it: %s" % (
            new, ", ".join("%s %.2fs" % kv for kv in phases.items())), file=sys.stderr)
        for phase, seconds in phases.items():
            self.assertTrue(0 <= seconds < 60, "%s: %r" % (phase, seconds))
        self.assertGreater(phases["total"], 0)
        self.assertGreater(phases["promotion"], 0)
        self.assertAlmostEqual(phases["total"], phases["detection"] + phases["election"] + phases["promotion"],
                               delta=0.05)
        self.assertAlmostEqual(value(m, "pgha_last_failover_timestamp_seconds"), time.time(), delta=60)
        self.assertEqual(value(m, "pgha_timeline"), 3)
        self.assertGreater(value(m, "pgha_lease_remaining_seconds"), 0)
        self.assertEqual(value(found[2], "pgha_postgres_up"), 0)
        self.assertEqual(value(found[2], "pgha_role", role="unknown"), 1)
        self.assertEqual(value(found[2], "pgha_last_failover_switchover"), 1, "node2 keeps its switchover")
        self.assertTrue(all(v != v for v in self.phases(found[other]).values()),
                        "node%d was never promoted: NaN" % other)

    def test_4_prometheus_evaluates_every_dashboard_expression(self):
        # Every target up, with a few scrapes behind it (the failover's included).
        if self.prometheus.poll() is not None:
            with open(os.path.join(self.prom_dir, "prometheus.log")) as f:
                self.fail("prometheus exited with %s:\n%s" % (self.prometheus.returncode, f.read()))
        wait_until(lambda: [r for r in self.query('up{job="pgha"} == 1').get("data", {}).get("result", [])]
                   and len(self.query('up{job="pgha"} == 1')["data"]["result"]) == 3, 30, "3 targets up")
        wait_until(lambda: self.query('count_over_time(pgha_up{cluster="%s"}[1m]) >= 5' % CLUSTER)
                   .get("data", {}).get("result"), 30, "a few scrapes")
        r = self.query('pgha_term{cluster="%s"}' % CLUSTER)
        self.assertEqual(len(r["data"]["result"]), 3, r)
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        self.assertGreaterEqual(dashboard["schemaVersion"], 36)
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        self.assertEqual(variables["cluster"]["query"]["query"], "label_values(pgha_up, cluster)")
        # label_values(pgha_up, cluster), as Grafana asks Prometheus for it.
        url = "http://127.0.0.1:%d/api/v1/label/cluster/values?match[]=pgha_up" % self.prom_port
        with urllib.request.urlopen(url, timeout=5) as resp:
            self.assertIn(CLUSTER, json.loads(resp.read())["data"])

        exprs = []

        def collect(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "expr":
                        exprs.append(v)
                    else:
                        collect(v)
            elif isinstance(node, list):
                for v in node:
                    collect(v)
        collect(dashboard["panels"])
        self.assertGreater(len(exprs), 20)
        subs = {"$cluster": CLUSTER, "$node": ".*", "$__rate_interval": "5s", "$__interval": "1m", "$__range": "5m"}
        failed = []
        for expr in exprs:
            q = expr
            for var, val in subs.items():
                q = q.replace(var, val)
            self.assertNotIn("$", q, "an unsubstituted variable in %r" % expr)
            r = self.query(q)
            if r.get("status") != "success" or not r["data"]["result"]:
                failed.append("%s -> %s" % (q, json.dumps(r)[:300]))
        self.assertEqual(failed, [], "dashboard expressions that failed or returned nothing")


if __name__ == "__main__":
    main()
