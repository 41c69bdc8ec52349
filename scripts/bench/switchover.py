#!/usr/bin/python3
"""Benchmark: `pgha standby switchover --siblings-follow` back and forth.

One 3-node lab with pghad on every node (default daemon timings). A writer
inserts one row every 20 ms through a libpq multi-host string
(target_session_attrs=read-write), like a load-balanced client, and notes the
time of every acknowledged write. RUNS round trips (node1 -> node2 -> node1,
so 2 x RUNS switchovers); for each switchover it measures:

  write gap       the longest time between two acknowledged writes around it
  command         the wall time of the pgha command
  all streaming   from the command's start until every standby streams from the
                  new primary (the command confirms it on pg_stat_wal_receiver
                  before it prints each standby's line; checked again after it)
  lost writes     acknowledged writes missing on the new primary

and prints the median and max of each.

    python3 scripts/bench/switchover.py [RUNS]      (default 10)
"""
import os
import re
import statistics
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lab"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
sys.path.insert(0, HERE)
from failover import start_daemon  # noqa: E402
from pghalab import Lab, Writer  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
STREAMS = re.compile(r"^\[\s*(\d+) ms\] .*(now streams from|rejoined as a standby of)", re.M)


class TimedWriter(Writer):
    """The lab's writer, also noting when each write was acknowledged."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.ack_times = []  # the base class's acked_at maps write ids to times
        self._lock = threading.Lock()

    def write_one(self):
        ok = super().write_one()
        if ok:
            with self._lock:
                self.ack_times.append(time.monotonic())
        return ok

    def longest_gap(self, start, end):
        with self._lock:
            times = list(self.ack_times)
        gaps = [b - a for a, b in zip(times, times[1:]) if b >= start and a <= end]
        return max(gaps) if gaps else float("nan")


def streams_from(lab, n, upstream):
    r = lab.psql_run(n, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_port = %d"
                     % lab.node(upstream).port, timeout=5)
    return r.returncode == 0 and r.stdout.strip() == "1"


def one_switchover(lab, writer, target, table):
    others = [n for n in (1, 2, 3) if n != target]
    t0 = time.monotonic()
    r = lab.pgha(target, "standby", "switchover", "--siblings-follow", timeout=120)
    t1 = time.monotonic()
    if r.returncode != 0:
        raise SystemExit("switchover to node%d failed (exit %d):\n%s%s" % (target, r.returncode, r.stdout, r.stderr))
    confirmed = [int(ms) / 1000 for ms, _ in STREAMS.findall(r.stdout)]
    if len(confirmed) != len(others) or not all(streams_from(lab, n, target) for n in others):
        raise SystemExit("not every standby streams from node%d:\n%s" % (target, r.stdout))
    time.sleep(0.7)  # the writer keeps writing on the new primary
    acked = list(writer.acked)
    present = set(lab.ids(target, table))
    lost = len([i for i in acked if i not in present])
    for n in (1, 2, 3):
        lab.adopt_pid(n)
    return writer.longest_gap(t0, t1 + 0.5), t1 - t0, max(confirmed), lost


def summary(name, values, unit):
    fmt = "%.3f %s" if unit == "s" else "%d%s"
    return "%-16s median %s, max %s" % (name, fmt % (statistics.median(values), unit), fmt % (max(values), unit))


def main():
    with Lab(nodes=3) as lab:
        secret = lab.write_file(os.path.join(lab.dir, "secret"), "bench-secret\n", mode=0o600)
        lab.build_cluster(standbys=2, config={n: {"daemon": {"secret_file": secret},
                                                  "service": lab.service_settings(n)} for n in (1, 2, 3)})
        daemons = {}
        for n in (1, 2, 3):
            start_daemon(lab, daemons, n)
        time.sleep(3)
        nodes = [lab.node(n) for n in (1, 2, 3)]
        conninfo = ("host=%s port=%s user=pgha dbname=pgha connect_timeout=2 target_session_attrs=read-write"
                    % (",".join(n.host for n in nodes), ",".join(str(n.port) for n in nodes)))
        writer = TimedWriter(lab, conninfo, "bench_switchover", interval=0.02).start()
        time.sleep(1.0)
        gaps, commands, streaming, lost = [], [], [], []
        missing_before = 0
        try:
            for _ in range(RUNS):
                for target in (2, 1):
                    gap, took, streams, missing = one_switchover(lab, writer, target, "bench_switchover")
                    gaps.append(gap)
                    commands.append(took)
                    streaming.append(streams)
                    lost.append(missing - missing_before)  # acknowledged writes missing since the last one
                    missing_before = missing
                    time.sleep(0.5)
        finally:
            writer.stop()
        print("%d switchovers (3 nodes, --siblings-follow, one write every 20 ms, %d acknowledged writes):"
              % (len(gaps), len(writer.acked)))
        print(summary("write gap", gaps, "s"))
        print(summary("command", commands, "s"))
        print(summary("all streaming", streaming, "s"))
        print(summary("lost writes", lost, ""))


if __name__ == "__main__":
    main()
