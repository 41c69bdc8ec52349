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


def _add_tests():
    for layout in ps.LAYOUTS:
        cls = type("Partitions_%s" % layout, (_Matrix,), {"LAYOUT": layout})
        k = 0
        for sc in ps.SCENARIOS:
            if sc.layout != layout:
                continue
            k += 1
            setattr(cls, "test_%02d_%s" % (k, sc.name), (lambda n: lambda self: self.scenario(n))(sc.name))
        globals()[cls.__name__] = cls


_add_tests()

if __name__ == "__main__":
    main()
