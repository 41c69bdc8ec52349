#!/usr/bin/python3
"""Benchmark: re-pointing a standby with `pgha standby follow` (ALTER SYSTEM +
reload, no restart) against the classic way (ALTER SYSTEM primary_conninfo +
`pg_ctl restart`).

A 3-node lab: node1 primary, node2 and node3 standbys of node1.  node3 is
moved back and forth between node1 and node2 (node2 is a standby, so node3
cascades from it); each move is timed from the start of the change until
node3's pg_stat_wal_receiver streams from the new sender's port (polled with
psql every 20 ms; both figures include the tools' own start-up: pgha for
follow, psql ALTER SYSTEM + pg_ctl for restart).  RUNS round trips per method
(2 x RUNS moves); prints median and max.  The lab runs with fsync=off and
almost no data, so a restart here is far cheaper than on a real server
(where the shutdown checkpoint and crash-safe start dominate).

    python3 scripts/bench/follow_vs_restart.py [RUNS]      (default 5)
"""
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lab"))
from pghalab import Lab, LabError  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
POLL = 0.02
TIMEOUT = 60


def wait_from(lab, node, upstream, t0):
    """Seconds from t0 until node streams from upstream's port."""
    port = lab[upstream].port
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            if lab.wal_receiver(node) == ("streaming", port):
                return time.monotonic() - t0
        except LabError:
            pass            # the server is restarting
        time.sleep(POLL)
    raise LabError("node%d did not stream from node%d within %ds" % (node, upstream, TIMEOUT))


def follow(lab, upstream):
    t0 = time.monotonic()
    r = lab.pgha(3, "standby", "follow", "--upstream-node-id", upstream, timeout=TIMEOUT)
    if r.returncode != 0:
        raise LabError("pgha standby follow --upstream-node-id %d failed (exit %d):\n%s%s" % (
            upstream, r.returncode, r.stdout, r.stderr))
    return wait_from(lab, 3, upstream, t0)


def restart(lab, upstream):
    up = lab[upstream]
    conninfo = "host=%s port=%d user=pgha application_name=node3" % (up.host, up.port)
    t0 = time.monotonic()
    lab.psql(3, "ALTER SYSTEM SET primary_conninfo = '%s'" % conninfo, dbname="postgres")
    # no slot on node2 for node3: run both ways without one
    lab.psql(3, "ALTER SYSTEM SET primary_slot_name = ''", dbname="postgres")
    lab.restart(3, mode="fast")
    return wait_from(lab, 3, upstream, t0)


def summary(name, times):
    return "%s: median %.3f s, max %.3f s" % (name, statistics.median(times), max(times))


def main():
    with Lab(nodes=3) as lab:
        lab.build_cluster(standbys=2)
        lab.use_lab_service(3)
        lab.wait_streaming_from(3, 1)
        f_times, r_times = [], []
        started = lab.postmaster_start_time(3)
        for _ in range(RUNS):
            f_times.append(follow(lab, 2))
            f_times.append(follow(lab, 1))
        if lab.postmaster_start_time(3) != started:
            raise LabError("pgha standby follow restarted node3: not a fair comparison")
        for _ in range(RUNS):
            r_times.append(restart(lab, 2))
            r_times.append(restart(lab, 1))
        # sanity: node3 still replicates from node1 after all this
        lab.insert_rows(1, "bench_rows", 1, 10)
        lab.wait_sql(3, "SELECT count(*) FROM bench_rows", "10", timeout=30)
        print("moves per method: %d (node3 between node1 and node2, cascading)" % (2 * RUNS))
        print("follow (reload) samples: %s" % " ".join("%.3f" % t for t in f_times))
        print("restart samples:         %s" % " ".join("%.3f" % t for t in r_times))
        print("%s; %s" % (summary("follow (reload)", f_times), summary("restart", r_times)))


if __name__ == "__main__":
    main()
