#!/usr/bin/python3
"""The witness's copy of the metadata is kept current by the primary's daemon:
a standby registered after `witness register` appears in it, and after a
failover it names the new primary and the new term."""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, main  # noqa: E402
from test_daemon import FAST, PGHAD, http, read_text, wait_until  # noqa: E402

NODES_SQL = "SELECT string_agg(node_id || ':' || type || ':' || active, ',' ORDER BY node_id) FROM pgha.nodes"
STATE_SQL = "SELECT term || ':' || coalesce(primary_node_id::text, '-') FROM pgha.cluster_state"


class WitnessCopyTest(LabTestCase):
    """node1 primary, node3 witness registered, then node2 cloned and
    registered as standby; pghad on all three."""
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        secret = lab.write_file(os.path.join(lab.dir, "cluster.secret"), "witness-copy-key\n", mode=0o600)
        for n in (1, 2, 3):
            lab.configure(n, failover=FAST, daemon={"secret_file": secret})
        lab.build_cluster(standbys=0)
        lab.init_standalone(3)
        r = lab.pgha(3, "witness", "register", "-h", lab[1].host, "-p", lab[1].port, "-U", "pgha", "-d", "pgha")
        if r.returncode != 0:
            raise AssertionError("witness register failed" + describe(r))
        lab.clone_standby(2)
        lab.start(2)
        lab.wait_streaming(2)
        lab.pgha(2, "standby", "register", check=True)
        cls.daemons = {}
        for n in (1, 2, 3):
            node = lab.node(n)
            cls.daemons[n] = lab.spawn(n, [PGHAD, "-f", node.config], log_path=os.path.join(node.dir, "pghad.log"))
        for n in (1, 2, 3):
            wait_until(lambda: http(lab.node(n), "/health")[0] is not None, 15, "pghad of node%d" % n)

    def on_witness(self, sql):
        r = self.lab.psql_run(3, sql)
        return r.stdout.strip() if r.returncode == 0 else None

    def test_1_a_standby_registered_later_reaches_the_witness(self):
        self.assertEqual(self.lab.psql(1, NODES_SQL), "1:primary:true,2:standby:true,3:witness:true")
        wait_until(lambda: self.on_witness(NODES_SQL) == "1:primary:true,2:standby:true,3:witness:true", 10,
                   "node2 in the witness's copy (%s)" % self.on_witness(NODES_SQL))
        self.assertEqual(self.on_witness(STATE_SQL), self.lab.psql(1, STATE_SQL))

    def test_2_after_a_failover_the_witness_names_the_new_primary_and_term(self):
        lab = self.lab
        wait_until(lambda: http(lab.node(2), "/replica")[0] == 200, 10, "node2 to stream")
        with open(os.path.join(lab.node(1).data_dir, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)
        t0 = time.monotonic()
        wait_until(lambda: http(lab.node(2), "/primary")[0] == 200, 30, "node2 to be promoted")
        state = lab.psql(2, STATE_SQL)
        term, primary = state.split(":")
        self.assertEqual(primary, "2", state)
        self.assertGreaterEqual(int(term), 2, state)
        wait_until(lambda: self.on_witness(STATE_SQL) == state, 5,
                   "the witness's copy to say %s (it says %s)" % (state, self.on_witness(STATE_SQL)))
        print("\nwitness copy current %.2fs after the kill" % (time.monotonic() - t0), file=sys.stderr)
        self.assertEqual(self.on_witness(NODES_SQL), lab.psql(2, NODES_SQL))
        self.assertIn("2:primary:true", self.on_witness(NODES_SQL))

    def test_3_a_witness_that_does_not_answer_never_holds_up_the_primary(self):
        lab = self.lab
        primary = 2 if http(lab.node(2), "/primary")[0] == 200 else 1
        log = os.path.join(lab.node(primary).dir, "pghad.log")
        fenced_before = read_text(log).count("fencing:")
        # The postmaster frozen: connections to it hang until connect_timeout (2 s). A copy
        # made in the monitoring round would delay every heartbeat round by that much,
        # past what the 3 s lease allows.
        lab.freeze(3)
        try:
            lab.psql(primary, "UPDATE pgha.nodes SET priority = 50 WHERE node_id = %d" % primary)
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                self.assertEqual(http(lab.node(primary), "/primary")[0], 200, "the primary stays primary")
                time.sleep(0.2)
        finally:
            lab.thaw(3)
        self.assertEqual(read_text(log).count("fencing:"), fenced_before, "no fencing while the witness hung")
        self.assertIn("is not updated", read_text(log), "the failed copy is logged")
        wait_until(lambda: self.on_witness("SELECT priority FROM pgha.nodes WHERE node_id = %d" % primary) == "50",
                   15, "the change to reach the witness once it answers again")


if __name__ == "__main__":
    main()
