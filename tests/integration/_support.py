"""Shared helpers for the integration tests (not a test file itself)."""
import json
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lab"))

import pghalab  # noqa: E402
from pghalab import Lab, LabError, unused_port, wait_for  # noqa: E402,F401

HOOK_RECORDER = os.path.join(HERE, "hook_recorder.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def pgha_bin():
    return os.environ.get("PGHA_BIN") or pghalab.DEFAULT_PGHA_BIN


def require_pgha():
    b = pgha_bin()
    if not os.access(b, os.X_OK):
        raise LabError("pgha binary not found at %s: build it first "
                       "(cmake -S . -B build -G Ninja && cmake --build build) "
                       "or set PGHA_BIN" % b)


def describe(r):
    """Text for assertion messages: a CompletedProcess in full."""
    return "\n$ %s\nexit %s\n--- stdout ---\n%s--- stderr ---\n%s" % (
        " ".join(str(a) for a in r.args), r.returncode, r.stdout, r.stderr)


def load_json(testcase, r):
    testcase.assertEqual(r.returncode, 0, describe(r))
    try:
        return json.loads(r.stdout)
    except ValueError as e:
        testcase.fail("invalid JSON (%s)%s" % (e, describe(r)))


class LabTestCase(unittest.TestCase):
    """A test class owning one Lab (built in setUpClass, torn down after)."""
    NODES = 3
    KEEP = os.environ.get("PGHALAB_KEEP") == "1"
    lab = None

    @classmethod
    def make_lab(cls, **kw):
        require_pgha()
        kw.setdefault("nodes", cls.NODES)
        kw.setdefault("keep", cls.KEEP)
        lab = Lab(**kw)
        cls.addClassCleanup(lab.close)
        return lab

    def pgha(self, node, *args, **kw):
        return self.lab.pgha(node, *args, **kw)

    def assertExit(self, r, code, msg=""):
        self.assertEqual(r.returncode, code, (msg + describe(r)))


def main():
    t0 = time.monotonic()
    prog = unittest.main(verbosity=2, exit=False)
    ok = prog.result.wasSuccessful()
    print("%s: wall time %.1fs" % (os.path.basename(sys.argv[0]), time.monotonic() - t0),
          file=sys.stderr)
    sys.exit(0 if ok else 1)
