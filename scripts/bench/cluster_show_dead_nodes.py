#!/usr/bin/python3
"""Benchmark: wall time of `pgha cluster show --json` with 0..3 hanging nodes.

Builds a 4-node lab (primary + 3 standbys, connect_timeout=2 in every conninfo),
freezes k standbys' postmasters with SIGSTOP (TCP connects, the server never
answers, so each probe costs a full connect timeout), and times cluster show.
Prints the median and max of RUNS runs per k. Serial probing would take about
k x 2 s; pgha probes in parallel, so it should stay near one timeout.

    python3 scripts/bench/cluster_show_dead_nodes.py [RUNS]
"""
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lab"))
from pghalab import Lab  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def main():
    with Lab(nodes=4) as lab:
        lab.build_cluster(standbys=3)
        print("frozen_nodes  median_s  max_s  (runs=%d, connect_timeout=2s)" % RUNS)
        for frozen in range(0, 4):
            standbys = list(range(2, 2 + frozen))
            times = []
            try:
                for n in standbys:
                    lab.freeze(n)
                for _ in range(RUNS):
                    t0 = time.monotonic()
                    r = lab.pgha(1, "cluster", "show", "--json", timeout=60)
                    times.append(time.monotonic() - t0)
                    if r.returncode != 0:
                        raise SystemExit("cluster show failed: %s" % r.stderr)
            finally:
                for n in standbys:
                    lab.thaw(n)
            print("%12d  %8.2f  %5.2f" % (frozen, statistics.median(times), max(times)))


if __name__ == "__main__":
    main()
