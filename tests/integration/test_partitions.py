#!/usr/bin/python3
"""pghad under network partitions: every node (PostgreSQL and pghad) in its own
network namespace, faults made with nftables inside the namespaces and with
SIGSTOP, writers on the host side recording every acknowledged write. Each
scenario of tests/integration/partition_scenarios.py runs once, is healed, and
the cluster must converge to exactly one primary with every other data node
streaming from it (and `cluster show` agreeing); no double-primary moment ever.
Needs root (network namespaces); skipped otherwise."""
import os
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import main, require_pgha  # noqa: E402
import partition_scenarios as ps  # noqa: E402


class _Matrix(unittest.TestCase):
    LAYOUT = None
    cluster = None

    @classmethod
    def setUpClass(cls):
        ok, why = ps.available()
        if not ok:
            raise unittest.SkipTest(why)
        require_pgha()
        cls.cluster = ps.Cluster(cls.LAYOUT, keep=os.environ.get("PGHALAB_KEEP") == "1").build()
        cls.addClassCleanup(cls.cluster.close)

    def scenario(self, name):
        sc = ps.by_name(name)
        if sc.report_only:
            self.skipTest(sc.report_only)
        res = ps.run_scenario(self.cluster, sc)
        if res.skipped:
            self.skipTest(res.skipped)
        self.assertEqual(res.problems, [], res.summary())
        self.assertEqual(res.double, 0, res.summary())
        self.assertIsNotNone(res.final_primary, res.summary())
        return res

    def lease_scenario(self, name):
        """lease_timeout differs between the primary's counting and its voters'
        promises (raised by a reload, or configured so): the cut-off primary
        stops acknowledging before the new primary's first acknowledgment."""
        res = self.scenario(name)
        self.assertIsNotNone(res.time_to_writable, res.summary())
        self.assertIsNotNone(res.old_last_ack, res.summary())
        self.assertLess(res.old_last_ack, res.time_to_writable, res.summary())


# scenarios checked beyond scenario(): name -> method
CHECKS = {"lease_raised_by_reload": "lease_scenario", "lease_mismatch": "lease_scenario"}


def _add_tests():
    for layout in ps.LAYOUTS:
        cls = type("Partitions_%s" % layout, (_Matrix,), {"LAYOUT": layout})
        k = 0
        for sc in ps.SCENARIOS:
            if sc.layout != layout:
                continue
            k += 1
            setattr(cls, "test_%02d_%s" % (k, sc.name),
                    (lambda n, m: lambda self: getattr(self, m)(n))(sc.name, CHECKS.get(sc.name, "scenario")))
        globals()[cls.__name__] = cls


_add_tests()

if __name__ == "__main__":
    main()
