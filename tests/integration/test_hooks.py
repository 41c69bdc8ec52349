#!/usr/bin/python3
"""[events] command: argv splitting without a shell, per-argument placeholder
substitution, hostile node names, and the hook timeout."""
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import HOOK_RECORDER, PYTHON, LabTestCase, describe, main  # noqa: E402

PLACEHOLDERS = "%n %a %e %s %t %d %p %c"


def read_records(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


class HostileNameHookTest(LabTestCase):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        cls.pwned = os.path.join(lab.dir, "PWNED")
        cls.weird = "n3 \"q\" 'x'; $(touch %s) ; echo hacked" % cls.pwned
        cls.out = os.path.join(lab.dir, "hooks-node3.jsonl")
        cls.command = "%s %s %s %s" % (PYTHON, HOOK_RECORDER, cls.out, PLACEHOLDERS)
        lab.build_cluster(standbys=2, config={
            3: {"node_name": cls.weird, "events": {"command": cls.command}},
        })

    def test_hook_argv_per_event(self):
        recs = read_records(self.out)
        events = [r[2] for r in recs if isinstance(r, list) and len(r) > 2]
        self.assertEqual(sorted(events), ["standby_clone", "standby_register"],
                         "one hook call per event of node3, got %r" % recs)
        for rec in recs:
            self.assertEqual(len(rec), 8, "each placeholder is exactly one argument: %r" % rec)
            n, a, e, s, t, d, p, c = rec
            self.assertEqual(n, "3", rec)
            self.assertEqual(a, self.weird, "%%a must be the exact node name: %r" % rec)
            self.assertIn(e, ("standby_clone", "standby_register"))
            self.assertEqual(s, "1", rec)
            self.assertTrue(t.strip(), "empty %%t: %r" % rec)
            self.assertRegex(t, r"\d{4}-\d\d-\d\d", rec)
            self.assertIn(self.weird, d, "%%d must contain the node name verbatim: %r" % rec)
        self.assertFalse(os.path.exists(self.pwned), "the node name was run by a shell!")
        # the name round-trips through the metadata untouched
        rows = json.loads(self.pgha(1, "cluster", "show", "--json", check=True).stdout)
        names = sorted(r["node_name"] for r in rows)
        self.assertIn(self.weird, names)
        # node1's and node2's commands must not have called node3's hook
        self.assertEqual(len(recs), 2, recs)



class HookTimeoutTest(LabTestCase):
    """A hook that outlives `[events] timeout` must not hold up the command
    (own lab, so it runs even if the hostile-name build above fails)."""
    NODES = 2

    @classmethod
    def setUpClass(cls):
        cls.lab = cls.make_lab()
        cls.lab.build_cluster(standbys=1)

    def test_hook_timeout(self):
        lab = self.lab
        out2 = os.path.join(lab.dir, "hooks-timeout.jsonl")
        fast = "%s %s %s %s" % (PYTHON, HOOK_RECORDER, out2, PLACEHOLDERS)
        slow = "%s %s --sleep 20 %s %s" % (PYTHON, HOOK_RECORDER, out2, PLACEHOLDERS)

        lab.configure(2, events={"command": fast, "timeout": "1s"})
        t0 = time.monotonic()
        r = self.pgha(2, "standby", "register", "--force")
        baseline = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(len(read_records(out2)), 1, "the fast hook ran once")

        lab.configure(2, events={"command": slow, "timeout": "1s"})
        t0 = time.monotonic()
        r = self.pgha(2, "standby", "register", "--force", timeout=60)
        elapsed = time.monotonic() - t0
        print("\nstandby register --force: %.2fs with a fast hook, %.2fs with a hook "
              "sleeping 20s (timeout 1s)" % (baseline, elapsed), file=sys.stderr)
        self.assertEqual(r.returncode, 0, describe(r))
        recs = read_records(out2)
        self.assertEqual(len(recs), 2, "the slow hook was started: %r" % recs)
        self.assertEqual(recs[1][2], "standby_register", recs)
        self.assertLess(elapsed, baseline + 2.0,
                        "a hook sleeping past its 1s timeout delayed the command: %.2fs vs "
                        "%.2fs without" % (elapsed, baseline))
        self.assertGreaterEqual(elapsed, 0.8, "pgha did not wait for the hook at all?")
        # the event itself was recorded as successful despite the hook
        ev = json.loads(self.pgha(1, "cluster", "event", "--json", "--limit", "1",
                                  check=True).stdout)
        self.assertEqual((ev[0]["event"], ev[0]["node_id"], ev[0]["successful"]),
                         ("standby_register", 2, True), ev)


if __name__ == "__main__":
    main()
