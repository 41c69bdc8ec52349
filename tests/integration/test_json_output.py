#!/usr/bin/python3
"""--json on every verb that changes something: one JSON object on stdout,
success or failure, with what was done (node, event, details, checks, plan,
timings) or the error (message, detail, hint, exit code), and the exit code
of the same command without --json. One lab, built with the verbs themselves:
primary register, standby clone/register, witness register/unregister,
cluster cleanup, node service, standby follow/unregister, standby promote,
primary unregister, node rejoin, then pghad on every node for daemon
pause/unpause and standby switchover. Tests run in order (test_01...)."""
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, main  # noqa: E402
from test_daemon import FAST, PGHAD, http, wait_until  # noqa: E402

KEYS = {"ok", "command", "dry_run", "node", "event", "events", "details", "messages", "checks", "plan",
        "timings", "error"}
EVENT_KEYS = {"event", "node_id", "node_name", "peer_node_id", "successful", "recorded", "timestamp", "details"}
CHECK_KEYS = {"check", "passed", "detail", "hint"}
# In node2's conninfo and in the -d given to node rejoin: never printed.
SECRET = "Js0n-Pa55word"


def ref(n):
    return {"id": n, "name": "node%d" % n}


def step(test):
    """Each test builds on the state the ones before left: once one fails,
    the rest are skipped rather than failing for the same cause."""
    def run(self):
        if type(self).broken:
            self.skipTest("an earlier step failed: " + type(self).broken)
        try:
            test(self)
        except BaseException:
            type(self).broken = test.__name__
            raise
    run.__name__ = test.__name__
    run.__doc__ = test.__doc__
    return run


class JsonOutputTest(LabTestCase):
    NODES = 4  # node4: a separate server, registered as a witness for a while
    broken = None

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        secret = lab.write_file(os.path.join(lab.dir, "cluster.secret"), "json-output-cluster-key\n", mode=0o600)
        for n in (1, 2, 3):
            lab.configure(n, failover=FAST, daemon={"secret_file": secret}, service=lab.service_settings(n))
        lab.configure(2, conninfo=lab[2].conninfo + " password=" + SECRET)
        cls.daemons = {}

    # ---- helpers
    def run_json(self, node, *args, code=0, timeout=60, config=None):
        """Runs `pgha ARGS --json`: checks the one object's envelope and the
        exit code; returns (object, CompletedProcess)."""
        r = self.pgha(node, *args, "--json", timeout=timeout, config=config)
        self.assertEqual(r.returncode, code, describe(r))
        try:
            out = json.loads(r.stdout)  # exactly one JSON value, nothing else on stdout
        except ValueError as e:
            self.fail("stdout is not one JSON object (%s)%s" % (e, describe(r)))
        self.assertIsInstance(out, dict, describe(r))
        self.assertEqual(set(out), KEYS, describe(r))
        self.assertEqual(out["command"], " ".join(args[:2]), describe(r))
        self.assertIs(out["ok"], code == 0, describe(r))
        self.assertIs(out["dry_run"], "--dry-run" in args, describe(r))
        self.assertIsInstance(out["timings"]["total_s"], (int, float), describe(r))
        self.assertGreaterEqual(out["timings"]["total_s"], 0, describe(r))
        self.assertIsInstance(out["timings"]["steps"], list, describe(r))
        for e in out["events"]:
            self.assertEqual(set(e), EVENT_KEYS, describe(r))
        for c in out["checks"]:
            self.assertEqual(set(c), CHECK_KEYS, describe(r))
        self.assertNotIn(SECRET, r.stdout + r.stderr, "a password was printed" + describe(r))
        if code == 0:
            self.assertIsNone(out["error"], describe(r))
        else:
            err = out["error"]
            self.assertEqual(set(err), {"message", "detail", "hint", "exit_code"}, describe(r))
            self.assertEqual(err["exit_code"], code, describe(r))
            self.assertTrue(err["message"], describe(r))
        return out, r

    def ok(self, node, *args, event=None, node_ref=None, **kw):
        out, r = self.run_json(node, *args, **kw)
        self.assertEqual(out["event"], event, describe(r))
        if event:
            mine = [e for e in out["events"] if e["event"] == event]
            self.assertEqual(len(mine), 1, describe(r))
            self.assertIs(mine[0]["successful"], True, describe(r))
            self.assertIs(mine[0]["recorded"], True, "the event is in pgha.events" + describe(r))
            self.assertTrue(mine[0]["timestamp"], describe(r))
        if node_ref is not None:
            self.assertEqual(out["node"], node_ref, describe(r))
        if "--dry-run" in args:
            self.assertEqual(out["events"], [], "a dry run records nothing" + describe(r))
        return out

    def fails(self, node, *args, code, hint=True, same_message=True, **kw):
        """The failure as JSON, then the same command without --json: same
        exit code, and the ERROR/HINT lines say what the object says."""
        out, r = self.run_json(node, *args, code=code, **kw)
        err = out["error"]
        if hint:
            self.assertTrue(err["hint"], "the error says what to do" + describe(r))
        human = self.pgha(node, *args, timeout=kw.get("timeout", 60), config=kw.get("config"))
        self.assertEqual(human.returncode, code, "the same exit code without --json" + describe(human))
        if same_message:
            self.assertIn("ERROR: " + err["message"] + "\n", human.stderr, describe(human))
            if err["hint"]:
                self.assertIn("HINT: " + err["hint"] + "\n", human.stderr, describe(human))
        return out

    def upstream_args(self, n):
        node = self.lab[n]
        return ("-h", node.host, "-p", node.port, "-U", "pgha", "-d", "pgha")

    def term(self, n):
        return int(self.lab.psql(n, "SELECT term FROM pgha.cluster_state"))

    # ---- the verbs, in the order a cluster is built and changed
    @step
    def test_01_primary_register(self):
        self.lab.init_primary(1)
        out = self.ok(1, "primary", "register", "--dry-run", node_ref=ref(1))
        self.assertTrue(out["messages"][0].startswith("dry run:"), out)
        out = self.ok(1, "primary", "register", event="primary_register", node_ref=ref(1))
        self.assertEqual(out["events"][0]["node_id"], 1, out)
        self.assertIn("registered", out["messages"][0], out)

    @step
    def test_02_standby_clone(self):
        lab, up = self.lab, self.upstream_args(1)
        out = self.ok(2, "standby", "clone", "--dry-run", *up, node_ref=ref(2))
        self.assertGreaterEqual(len(out["checks"]), 5, out)
        self.assertTrue(all(c["passed"] for c in out["checks"]), out)
        out = self.ok(2, "standby", "clone", "--fast-checkpoint", *up, event="standby_clone", node_ref=ref(2),
                      timeout=300)
        self.assertEqual(out["details"]["upstream_server"], "host=%s port=%d" % (lab[1].host, lab[1].port), out)
        self.assertEqual(out["details"]["data_directory"], lab[2].data_dir, out)
        self.assertTrue(any(m.startswith("next: ") for m in out["messages"]), out)
        # again into the now non-empty directory: refused, and a dry run says which check failed
        out = self.fails(2, "standby", "clone", *up, code=3)
        self.assertIn("--force", out["error"]["hint"], out)
        out = self.fails(2, "standby", "clone", "--dry-run", *up, code=3, same_message=False)
        failed = [c for c in out["checks"] if not c["passed"]]
        self.assertEqual(len(failed), 1, out)
        self.assertIn("target data directory", failed[0]["check"], out)
        lab.append_pg_conf(2, lab.node_pg_conf(lab.node(2)))
        lab.start(2)
        lab.wait_streaming(2)

    @step
    def test_03_standby_register(self):
        lab = self.lab
        out = self.fails(2, "standby", "register", "--upstream-node-id", "99", code=3)
        self.assertIn("99", out["error"]["message"], out)
        out = self.ok(2, "standby", "register", event="standby_register", node_ref=ref(2))
        self.assertEqual(out["details"]["upstream"], ref(1), out)
        self.assertEqual(out["events"][0]["peer_node_id"], 1, out)
        # a standby is no primary
        out = self.fails(2, "primary", "register", code=3)
        self.assertIn("standby", out["error"]["message"], out)
        lab.clone_standby(3)
        lab.start(3)
        lab.wait_streaming(3)
        lab.pgha(3, "standby", "register", check=True)

    @step
    def test_04_witness_register_and_unregister(self):
        lab = self.lab
        lab.init_standalone(4)
        out = self.fails(4, "witness", "register", *self.upstream_args(2), code=3)
        self.assertIn("standby", out["error"]["message"], out)
        out = self.ok(4, "witness", "register", *self.upstream_args(1), event="witness_register", node_ref=ref(4))
        self.assertEqual(out["details"]["primary"], ref(1), out)
        out = self.fails(4, "witness", "unregister", "--node-id", "2", code=3)
        self.assertIn("standby unregister", out["error"]["hint"], out)
        self.ok(4, "witness", "unregister", event="witness_unregister", node_ref=ref(4))
        self.assertEqual(lab.psql(1, "SELECT count(*) FROM pgha.nodes WHERE node_id = 4"), "0")

    @step
    def test_05_cluster_cleanup(self):
        out = self.fails(1, "cluster", "cleanup", "--keep-history=-1", code=1)
        self.assertIn("--keep-history", out["error"]["message"], out)
        self.fails(1, "cluster", "cleanup", code=1)
        out = self.ok(1, "cluster", "cleanup", "--dry-run", "--keep-history", "0")
        self.assertIsInstance(out["details"]["rows"], int, out)
        out = self.ok(1, "cluster", "cleanup", "--keep-history", "30", event="cluster_cleanup", node_ref=ref(1))
        self.assertEqual(out["details"]["keep_days"], 30, out)
        self.assertGreaterEqual(out["details"]["rows"], 0, out)

    @step
    def test_06_node_service(self):
        out = self.fails(3, "node", "service", "--action", "bogus", code=1)
        self.assertIn("bogus", out["error"]["message"], out)
        out = self.ok(3, "node", "service", "--dry-run", "--action", "restart", "--checkpoint", node_ref=ref(3))
        self.assertEqual(out["details"]["action"], "restart", out)
        self.assertIs(out["details"]["checkpoint"], True, out)
        self.assertEqual(out["plan"], ["CHECKPOINT on this node", out["details"]["command"]], out)
        self.assertIn("restart", out["details"]["command"], out)
        out = self.ok(3, "node", "service", "--action", "reload", node_ref=ref(3))
        self.assertIn("reload of PostgreSQL", out["messages"][0], out)
        # starting a running server fails part way (exit 4) with the command's output
        out = self.fails(3, "node", "service", "--action", "start", code=4, same_message=False)
        self.assertTrue(out["error"]["detail"], out)
        self.assertTrue(self.lab.is_running(3))

    @step
    def test_07_standby_follow(self):
        lab = self.lab
        out = self.ok(3, "standby", "follow", "--dry-run", "--upstream-node-id", "2", node_ref=ref(3))
        self.assertEqual(out["details"]["upstream"], ref(2), out)
        self.assertTrue(out["checks"] and all(c["passed"] for c in out["checks"]), out)
        out = self.ok(3, "standby", "follow", "--upstream-node-id", "2", event="standby_follow", node_ref=ref(3))
        self.assertEqual(out["details"]["upstream"], ref(2), out)
        self.assertGreaterEqual(out["timings"]["streaming_s"], 0, out)
        lab.wait_streaming_from(3, 2, timeout=30)
        out = self.fails(3, "standby", "follow", "--upstream-node-id", "99", code=3)
        self.assertIn("99", out["error"]["message"], out)
        self.fails(1, "standby", "follow", code=3)  # a primary follows nobody
        out = self.ok(3, "standby", "follow", event="standby_follow")
        self.assertEqual(out["details"]["upstream"], ref(1), out)
        lab.wait_streaming_from(3, 1, timeout=30)

    @step
    def test_08_standby_unregister(self):
        out = self.fails(1, "standby", "unregister", "--node-id", "1", code=3)
        self.assertIn("primary unregister", out["error"]["hint"], out)
        self.fails(1, "primary", "unregister", code=3)  # node1 runs as the primary
        self.ok(1, "standby", "unregister", "--dry-run", "--node-id", "3", node_ref=ref(3))
        out = self.ok(1, "standby", "unregister", "--node-id", "3", event="standby_unregister", node_ref=ref(3))
        self.assertEqual(out["events"][0]["peer_node_id"], 3, out)
        self.ok(3, "standby", "register", event="standby_register")

    @step
    def test_09_standby_promote(self):
        lab = self.lab
        out = self.fails(2, "standby", "promote", code=3)  # node1 still runs as the primary
        self.assertIn("writable primary", out["error"]["message"], out)
        out = self.fails(2, "standby", "promote", "--dry-run", code=3, same_message=False)
        failed = [c for c in out["checks"] if not c["passed"]]
        self.assertTrue([c for c in failed if "writable primary" in c["check"]], out)
        for c in failed:
            self.assertIn(c["check"], out["error"]["detail"], "the error names the failed checks")
        self.fails(1, "standby", "promote", code=3)  # already a primary
        term = self.term(1)
        lab.stop(1)
        out = self.ok(2, "standby", "promote", "--dry-run", node_ref=ref(2))
        self.assertTrue(all(c["passed"] for c in out["checks"]), out)
        self.assertTrue(out["plan"] and out["plan"][0].startswith("would promote"), out)
        out = self.ok(2, "standby", "promote", "--siblings-follow", event="standby_promote", node_ref=ref(2))
        d = out["details"]
        self.assertEqual(d["term"], term + 1, out)
        self.assertEqual(d["term"], self.term(2), out)
        self.assertEqual(d["timeline"], lab.timeline(2), out)
        self.assertEqual(d["timeline"], 2, out)
        self.assertEqual(d["old_primary"], ref(1), out)
        self.assertEqual(d["siblings_followed"], [ref(3)], out)
        self.assertEqual(d["siblings_failed"], [], out)
        follows = [e for e in out["events"] if e["event"] == "standby_follow"]
        self.assertEqual([(e["node_id"], e["peer_node_id"]) for e in follows], [(3, 2)], out)
        self.assertIn("promoted to primary (term %d)" % d["term"], out["messages"][0], out)
        self.assertFalse(lab.in_recovery(2))
        lab.wait_streaming_from(3, 2, timeout=30)

    @step
    def test_10_primary_unregister(self):
        # node1 is stopped and no longer the registered primary
        self.ok(2, "primary", "unregister", "--node-id", "1", event="primary_unregister", node_ref=ref(1))

    @step
    def test_11_node_rejoin(self):
        lab = self.lab
        self.fails(1, "node", "rejoin", "-d", lab[3].conninfo, code=3)  # node3 is a standby
        target = lab[2].conninfo + " password=" + SECRET
        out = self.ok(1, "node", "rejoin", "--dry-run", "-d", target, node_ref=ref(1))
        self.assertEqual(out["details"]["upstream"], ref(2), out)
        self.assertIsInstance(out["details"]["rewind"], bool, out)
        self.assertEqual(len(out["plan"]), 1, out)
        out = self.ok(1, "node", "rejoin", "-d", target, event="node_rejoin", node_ref=ref(1), timeout=180)
        lab.adopt_pid(1)
        self.assertEqual(out["details"]["upstream"], ref(2), out)
        self.assertTrue(out["checks"] and all(c["passed"] for c in out["checks"]), out)
        lab.wait_streaming_from(1, 2, timeout=30)

    @step
    def test_12_daemon_pause_unpause(self):
        lab = self.lab
        for verb in ("pause", "unpause"):
            out = self.fails(1, "daemon", verb, code=4)  # no daemon runs yet
            self.assertEqual(out["details"]["done"], [], out)
            self.assertEqual(len(out["details"]["failed"]), 3, out)
        # no cluster secret to sign with
        unsigned = lab.make_config(os.path.join(lab.dir, "no-secret.toml"), base_node=1, daemon={"secret_file": None})
        out = self.fails(1, "daemon", "unpause", code=1, config=unsigned)
        self.assertIn("secret_file", out["error"]["message"] + out["error"]["hint"], out)
        for n in (1, 2, 3):
            node = lab.node(n)
            self.daemons[n] = lab.spawn(n, [PGHAD, "-f", node.config], log_path=os.path.join(node.dir, "pghad.log"))
        for n in (1, 2, 3):
            wait_until(lambda: self.daemon_role(n), 20, "the daemon of node%d to see its PostgreSQL" % n)
        # a pause has no dry run: refused, and nothing paused
        self.fails(1, "daemon", "pause", "--dry-run", code=1)
        self.assertIn('"paused":false', http(lab.node(2), "/status")[1].replace(" ", ""))
        out = self.ok(1, "daemon", "pause", node_ref=ref(1))
        self.assertEqual(sorted(out["details"]["done"]), ["node1", "node2", "node3"], out)
        self.assertIs(out["details"]["paused"], True, out)
        out = self.ok(1, "daemon", "unpause")
        self.assertIs(out["details"]["paused"], False, out)
        self.assertEqual(out["details"]["failed"], [], out)

    def daemon_role(self, n):
        status, body = http(self.lab.node(n), "/status")
        return status is not None and '"role":"unknown"' not in body.replace(" ", "")

    @step
    def test_13_standby_switchover(self):
        lab = self.lab
        self.fails(2, "standby", "switchover", code=3)  # node2 is the primary
        out = self.ok(1, "standby", "switchover", "--dry-run", node_ref=ref(1), timeout=60)
        self.assertTrue(out["checks"] and all(c["passed"] for c in out["checks"]), out)
        self.assertTrue(out["plan"], out)
        self.assertEqual(out["details"]["old_primary"], ref(2), out)
        term = self.term(2)
        out = self.ok(1, "standby", "switchover", "--siblings-follow", event="standby_switchover", node_ref=ref(1),
                      timeout=180)
        for n in (1, 2, 3):
            lab.adopt_pid(n)
        self.assertEqual(out["details"]["old_primary"], ref(2), out)
        self.assertGreater(out["details"]["term"], term, out)
        self.assertEqual(out["details"]["term"], self.term(1), out)
        steps = out["timings"]["steps"]
        self.assertGreaterEqual(len(steps), 4, out)
        self.assertEqual([s["at_s"] for s in steps], sorted(s["at_s"] for s in steps), out)
        self.assertLessEqual(steps[-1]["at_s"], out["timings"]["total_s"], out)
        self.assertIn("standby_promote", [e["event"] for e in out["events"]], out)
        self.assertFalse(lab.in_recovery(1))
        lab.wait_streaming_from(2, 1, timeout=30)


if __name__ == "__main__":
    main()
