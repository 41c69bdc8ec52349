#!/usr/bin/python3
"""Benchmark: writes through HAProxy (the shipped conf/haproxy.cfg: checks
every 300 ms, fall 2, rise 1) across failovers and switchovers of a tuned
3-node pghad cluster, next to a libpq multi-host client.

Two writers run at once, each inserting one row every 20 ms: one through
HAProxy's write port, one through a libpq multi-host string
(target_session_attrs=read-write) straight to the nodes. Per run it prints:

  kill -9 of the primary's postmaster: the time from the fault to the first
  write acknowledged by the new primary, through HAProxy and direct (the
  direct one is the daemons' own failover time, as scripts/bench/failover.py
  measures it);
  `pgha standby switchover --siblings-follow`: the longest gap between two
  acknowledged writes, through HAProxy and direct, and the acknowledged writes
  missing on the new primary.

Then the medians of RUNS runs of each.

    python3 scripts/bench/haproxy.py [RUNS]      (default 5)
"""
import os
import signal
import statistics
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lab"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from pghalab import Lab, Writer  # noqa: E402
from test_daemon import FAST, PGHAD, http, wait_until  # noqa: E402
from test_haproxy import HAProxy  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def writable(lab):
    out = []
    for n in (1, 2, 3):
        r = lab.psql_run(n, "SELECT pg_is_in_recovery()", timeout=5)
        if r.returncode == 0 and r.stdout.strip() == "f":
            out.append(n)
    return out


def streams_from(lab, standby, upstream):
    r = lab.psql_run(standby, "SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'", timeout=5)
    return r.returncode == 0 and r.stdout.strip() == str(lab.node(upstream).port)


def settled(lab, haproxy, primary):
    others = [n for n in (1, 2, 3) if n != primary]
    wait_until(lambda: all(streams_from(lab, n, primary) for n in others), 60, "the standbys streaming")
    wait_until(lambda: haproxy.up("primary") == [primary], 30, "node%d alone UP for writes" % primary)
    wait_until(lambda: haproxy.up("replicas") == others, 30, "the standbys UP for reads")


def writers(lab, haproxy, table):
    through = Writer(lab, haproxy.conninfo(haproxy.write_port), table + "_h", interval=0.02).start()
    direct = Writer(lab, lab.read_write_conninfo(), table + "_d", interval=0.02).start()
    return through, direct


def first_on(writer, port, before):
    return wait_until(lambda: next((writer.acked_at[i] for i in writer.acked[before:] if writer.acked_by.get(i) == port),
                                   None), 60, "a write on the new primary", interval=0.02)


def longest_gap(writer, start, end):
    times = [writer.acked_at[i] for i in writer.acked if start <= writer.acked_at[i] <= end]
    times = [start] + times + [end]
    return max(b - a for a, b in zip(times, times[1:]))


def one_failover(lab, haproxy, primary, table):
    through, direct = writers(lab, haproxy, table)
    time.sleep(1.0)
    with open(os.path.join(lab.node(primary).data_dir, "postmaster.pid")) as f:
        pid = int(f.readline())
    before = (len(through.acked), len(direct.acked))
    fault = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    new = wait_until(lambda: [n for n in writable(lab) if n != primary], 120, "failover")[0]
    port = lab.node(new).port
    took = (first_on(through, port, before[0]) - fault, first_on(direct, port, before[1]) - fault)
    time.sleep(0.5)
    through.stop()
    direct.stop()
    r = lab.pgha(primary, "node", "rejoin", "-d", lab.node(new).conninfo, timeout=120)
    if r.returncode != 0:
        raise SystemExit("rejoin failed: %s" % r.stderr)
    lab.adopt_pid(primary)
    settled(lab, haproxy, new)
    print("  kill -9 node %d -> node %d: first write through HAProxy %.3f s, direct %.3f s" % (primary, new, *took),
          flush=True)
    return new, took


def one_switchover(lab, haproxy, primary, target, table):
    through, direct = writers(lab, haproxy, table)
    time.sleep(1.0)
    start = time.monotonic()
    r = lab.pgha(target, "standby", "switchover", "--siblings-follow", timeout=120)
    if r.returncode != 0:
        raise SystemExit("switchover failed: %s%s" % (r.stdout, r.stderr))
    port = lab.node(target).port
    first_on(through, port, 0)
    first_on(direct, port, 0)
    time.sleep(1.0)
    end = time.monotonic()
    gaps = (longest_gap(through, start, end), longest_gap(direct, start, end))
    lost = 0
    for w in (through, direct):
        acked = w.stop()
        present = set(int(x) for x in lab.psql(target, "SELECT id FROM %s" % w.table).split())
        lost += len([i for i in acked if i not in present])
    settled(lab, haproxy, target)
    print("  switchover node %d -> node %d: longest write gap through HAProxy %.3f s, direct %.3f s; "
          "acknowledged writes lost %d" % (primary, target, *gaps, lost), flush=True)
    return gaps, lost


def main():
    with Lab(nodes=3) as lab:
        lab.build_cluster(standbys=2, config=lab.daemon_config(FAST))
        lab.start_daemons(PGHAD)
        haproxy = HAProxy(lab)
        try:
            settled(lab, haproxy, 1)
            primary = 1
            failovers = []
            for i in range(RUNS):
                primary, took = one_failover(lab, haproxy, primary, "bench_failover_%d" % i)
                failovers.append(took)
                time.sleep(2)
            switchovers, losses = [], []
            for i in range(RUNS):
                target = 1 if primary != 1 else 2
                gaps, lost = one_switchover(lab, haproxy, primary, target, "bench_switchover_%d" % i)
                primary = target
                switchovers.append(gaps)
                losses.append(lost)
                time.sleep(2)
        finally:
            haproxy.close()
        med = lambda xs: statistics.median(xs)  # noqa: E731
        print("kill -9 of the primary's postmaster, fault -> first acknowledged write: through HAProxy median "
              "%.2f s (max %.2f s), direct (the daemons' failover time) median %.2f s (max %.2f s) (runs=%d)"
              % (med([t[0] for t in failovers]), max(t[0] for t in failovers), med([t[1] for t in failovers]),
                 max(t[1] for t in failovers), RUNS))
        print("standby switchover --siblings-follow, longest write gap: through HAProxy median %.2f s (max %.2f s), "
              "direct median %.2f s (max %.2f s); acknowledged writes lost: %d in all (runs=%d)"
              % (med([g[0] for g in switchovers]), max(g[0] for g in switchovers), med([g[1] for g in switchovers]),
                 max(g[1] for g in switchovers), sum(losses), RUNS))


if __name__ == "__main__":
    main()
