#!/usr/bin/python3
"""Benchmark: automatic failover time and lost writes, and the idle daemon's cost.

For each profile (default timings, and the tuned one of the daemon issue) and
each fault -- the primary's postmaster killed (its daemon alive: the fast path)
and the primary's postmaster and daemon both killed (a lost host: the lease
path) -- it runs RUNS failovers back and forth on one 3-node lab, with a writer
that inserts one row every 20 ms through a libpq multi-host string
(target_session_attrs=read-write). It prints, per case, the median and max of:
the time from the fault to the first acknowledged write on the new primary, and
the acknowledged writes missing on the new primary. Each run also prints its
phases, read from the daemons' dated log lines: fault -> detected (the
postmaster's exit, a broken connection to the primary, or a round that lost
it) -> lease released (or, without a release, the winner deciding that the
lease expired) -> votes asked -> won -> PostgreSQL writable -> first write.
Then the resident memory and CPU per minute of an idle pghad.

    python3 scripts/bench/failover.py [RUNS]      (default 5)
"""
import datetime
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
from test_daemon import PGHAD, daemon_pid, http, kill_daemon, wait_until  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
PROFILES = {
    "default": {},
    "tuned": {"monitor_interval": "500ms", "reconnect_attempts": 2, "reconnect_interval": "500ms",
              "lease_timeout": "3s"},
}


def start_daemon(lab, daemons, n):
    node = lab.node(n)
    daemons[n] = lab.spawn(n, [PGHAD, "-f", node.config], log_path=os.path.join(node.dir, "pghad.log"))
    wait_until(lambda: http(node, "/health")[0] is not None, 15, "pghad of %s" % node.name)


def writable(lab):
    out = []
    for n in (1, 2, 3):
        r = lab.psql_run(n, "SELECT pg_is_in_recovery()", timeout=5)
        if r.returncode == 0 and r.stdout.strip() == "f":
            out.append(n)
    return out


def one_failover(lab, daemons, primary, lost_host, table):
    writer = Writer(lab, lab.read_write_conninfo(), table, interval=0.02).start()
    time.sleep(1.0)
    with open(os.path.join(lab.node(primary).data_dir, "postmaster.pid")) as f:
        pid = int(f.readline())
    before = len(writer.acked)
    offsets = log_offsets(lab)
    fault_wall = time.time()
    fault = time.monotonic()
    if lost_host:
        kill_daemon(daemons[primary])
    os.kill(pid, signal.SIGKILL)
    new = wait_until(lambda: [n for n in writable(lab) if n != primary], 120, "failover")[0]
    promoted = time.monotonic()
    port = lab.node(new).port
    first = wait_until(lambda: next((i for i in writer.acked[before:] if writer.acked_by.get(i) == port), None),
                       60, "a write on the new primary", interval=0.02)
    first_ack = writer.acked_at[first]  # when the writer saw it acknowledged
    sibling = ({1, 2, 3} - {primary, new}).pop()
    streaming = wait_until(lambda: streams_from(lab, sibling, new) and time.monotonic(), 60, "the sibling")
    time.sleep(0.5)
    acked = writer.stop()
    took = first_ack - fault
    steps = phases(lab, offsets, fault_wall, primary, new)
    print("  node %d -> node %d: %s -> first write %.3f s" % (
        primary, new, " -> ".join("%s %s" % (k, "-" if v is None else "%.3f s" % v) for k, v in steps.items()),
        took), flush=True)
    present = set(int(x) for x in lab.psql(new, "SELECT id FROM %s" % table).split())
    lost = len([i for i in acked if i not in present])
    r = lab.pgha(primary, "node", "rejoin", "-d", lab.node(new).conninfo, timeout=120)
    if r.returncode != 0:
        raise SystemExit("rejoin failed: %s" % r.stderr)
    lab.adopt_pid(primary)
    if lost_host:
        start_daemon(lab, daemons, primary)
    return new, took, lost, streaming - promoted


PHASES = [
    ("detected", ("the postmaster (PID", "the connection to the primary broke", "waiting: primary lost for")),
    ("lease released/expired", ("released its lease", "electing: the primary is lost")),
    ("votes asked", ("electing: asking for votes",)),
    ("won", ("won the election",)),
    ("writable", ("pg_promote finished",)),
]


def log_offsets(lab):
    return {n: os.path.getsize(log_path(lab, n)) if os.path.exists(log_path(lab, n)) else 0 for n in (1, 2, 3)}


def log_path(lab, n):
    return os.path.join(lab.node(n).dir, "pghad.log")


def log_lines(lab, offsets, nodes):
    """(wall-clock seconds, text) of the daemons' lines since `offsets`."""
    out = []
    for n in nodes:
        with open(log_path(lab, n), "rb") as f:
            f.seek(offsets[n])
            for raw in f.read().decode(errors="replace").splitlines():
                stamp, _, text = raw.partition(" ")
                try:
                    when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
                except ValueError:
                    continue
                out.append((when.replace(tzinfo=datetime.timezone.utc).timestamp(), text))
    return sorted(out)


def phases(lab, offsets, fault_wall, old, new):
    """Seconds from the fault to the first line of each phase (None: not seen)."""
    seen = {}
    everyone = log_lines(lab, offsets, (1, 2, 3))
    winner = log_lines(lab, offsets, (new,))
    for name, needles in PHASES:
        lines = everyone if name == "detected" else winner
        hits = [t for t, text in lines if t >= fault_wall - 0.05 and any(x in text for x in needles)]
        seen[name] = min(hits) - fault_wall if hits else None
    return seen


def streams_from(lab, standby, upstream):
    r = lab.psql_run(standby, "SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'", timeout=5)
    return r.returncode == 0 and r.stdout.strip() == str(lab.node(upstream).port)


def idle_cost(daemons):
    def cpu(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    pids = [daemon_pid(p) for p in daemons.values()]
    start = {p: cpu(p) for p in pids}
    time.sleep(30)
    per_minute = [(cpu(p) - start[p]) * 2 for p in pids]
    # Resident set, and how much of it is this daemon's own: most of the
    # resident set is shared library pages (libpq alone brings ~8.7 MB here).
    memory = {"Rss": [], "Pss": [], "Private_Dirty": []}
    for p in pids:
        with open("/proc/%d/smaps_rollup" % p) as f:
            for line in f:
                key = line.split(":")[0]
                if key in memory:
                    memory[key].append(int(line.split()[1]) / 1024)
    print("idle pghad: resident %.1f MB (proportional share %.1f MB, private %.1f MB; max of 3), "
          "CPU %.3f s per minute (max of 3)" % (max(memory["Rss"]), max(memory["Pss"]),
                                                 max(memory["Private_Dirty"]), max(per_minute)))


def main():
    for profile, failover in PROFILES.items():
        with Lab(nodes=3) as lab:
            secret = lab.write_file(os.path.join(lab.dir, "secret"), "bench-secret\n", mode=0o600)
            lab.build_cluster(standbys=2, config={n: {"failover": failover, "daemon": {"secret_file": secret}}
                                                  for n in (1, 2, 3)})
            daemons = {}
            for n in (1, 2, 3):
                start_daemon(lab, daemons, n)
            time.sleep(3)
            primary = 1
            for fault in ("postmaster killed", "lost host"):
                times, losses, follows = [], [], []
                for i in range(RUNS):
                    table = "bench_%s_%d" % ("host" if fault == "lost host" else "pm", i)
                    primary, took, lost, follow = one_failover(lab, daemons, primary, fault == "lost host", table)
                    times.append(took)
                    losses.append(lost)
                    follows.append(follow)
                    time.sleep(2)
                print("%-8s %-18s fault -> first acknowledged write: median %.2f s, max %.2f s; "
                      "lost acknowledged writes: median %d, max %d; sibling streaming from the new primary "
                      "after its promotion was seen: median %.2f s, max %.2f s (runs=%d)"
                      % (profile, fault, statistics.median(times), max(times), statistics.median(losses),
                         max(losses), statistics.median(follows), max(follows), RUNS))
            if profile == "default":
                idle_cost(daemons)


if __name__ == "__main__":
    main()
