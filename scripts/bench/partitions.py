#!/usr/bin/python3
"""Benchmark: the network-partition matrix of tests/integration/test_partitions.py,
each scenario repeated N times (root only: every node in its own network namespace).

For each scenario it prints: runs, failovers (per run), the time from the fault
to the first write acknowledged by a new primary (median), acknowledged writes
missing on the final primary after heal (total over the runs, and the most in
one run), double-primary moments (must be 0), and the time from heal to a
converged cluster (median). A skipped scenario (e.g. delay without netem) says
why; a run whose checks failed is listed under the table with its problems.

    python3 scripts/bench/partitions.py [--runs N] [--only NAME[,NAME...]] [-v]

Builds one lab per layout (3 data nodes; 2 data nodes + witness; 2 data nodes
with fencing.mode = "ping") and runs that layout's scenarios N times each.
"""
import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import partition_scenarios as ps  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated scenario names: %s" % ", ".join(
        s.name for s in ps.SCENARIOS))
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run's summary as it ends")
    a = ap.parse_args()
    ok, why = ps.available()
    if not ok:
        print("partitions.py: %s" % why, file=sys.stderr)
        return 2
    only = [x for x in a.only.split(",") if x]
    for x in only:
        try:
            ps.by_name(x)
        except KeyError:
            print("partitions.py: no scenario %r (have: %s)" % (x, ", ".join(s.name for s in ps.SCENARIOS)),
                  file=sys.stderr)
            return 1
    chosen = [s for s in ps.SCENARIOS if not only or s.name in only]
    log = (lambda m: print(m, file=sys.stderr, flush=True)) if a.verbose else (lambda m: None)
    results = {s.name: [] for s in chosen}
    t0 = time.monotonic()
    for layout in ps.LAYOUTS:
        mine = [s for s in chosen if s.layout == layout]
        if not mine:
            continue
        c = ps.Cluster(layout, log=log)
        try:
            c.build()
            for s in mine:
                for _ in range(a.runs):
                    try:
                        r = ps.run_scenario(c, s, log=log)
                    except AssertionError as e:  # the cluster did not settle before the run
                        r = ps.Result(s.name)
                        r.problems.append(str(e))
                    results[s.name].append(r)
                    print("%s run %d: %s" % (s.name, len(results[s.name]), "skipped" if r.skipped else
                                             ("ok" if not r.problems else "reported" if s.report_only else "FAILED")), file=sys.stderr, flush=True)
                    if r.skipped:
                        break
        finally:
            c.close()
    print()
    head = ("scenario", "runs", "failovers", "to writable (median)", "acked lost (total/max)",
            "double-primary", "converge after heal (median)")
    rows = []
    for s in chosen:
        rs = results[s.name]
        if rs and rs[0].skipped:
            rows.append((s.name, "0", "-", "-", "-", "-", "skipped: " + rs[0].skipped))
            continue
        rows.append((s.name, str(len(rs)), ",".join(str(r.failovers) for r in rs),
                     ps.fmt_s(ps.median([r.time_to_writable for r in rs])),
                     "%d/%d" % (sum(r.lost for r in rs), max([r.lost for r in rs] or [0])),
                     str(sum(r.double for r in rs)),
                     ps.fmt_s(ps.median([r.converge for r in rs]))))
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    widths[-1] = len(head[-1])
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |")
    failed = [(s.name, i + 1, r) for s in chosen for i, r in enumerate(results[s.name])
              if r.problems and not s.report_only]
    for s in chosen:
        if s.report_only and results[s.name]:
            print("\n%s (report only: %s):" % (s.name, s.report_only))
            for i, r in enumerate(results[s.name]):
                print("  run %d: %s" % (i + 1, r.summary().split("; daemon decisions")[0]))
    print("\n%d scenario runs in %.0f s; %d with failed checks" % (
        sum(len(v) for v in results.values()), time.monotonic() - t0, len(failed)))
    for name, i, r in failed:
        print("\n%s run %d:\n  %s" % (name, i, r.summary()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
