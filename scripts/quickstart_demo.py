#!/usr/bin/python3
"""The quickstart's failover demo: a client writes every 20 ms through a
multi-host conninfo, the primary's postmaster is killed (kill -9), the daemons
elect and promote a standby; then the old primary rejoins as a standby.
Prints the new primary, the time from the kill to the first write it accepted,
whether any acknowledged write was lost, the events and `cluster show`.

    python3 scripts/quickstart_demo.py --dir /tmp/pgha-quickstart
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lab"))
from pghalab import PG_OS_USER, Writer, is_root, read_postmaster_pid  # noqa: E402


class Cluster:
    """The quickstart cluster as lab.json describes it, for the Writer and pgha."""

    def __init__(self, lab_dir):
        with open(os.path.join(lab_dir, "lab.json")) as f:
            self.state = json.load(f)
        self.path = os.path.join(lab_dir, "lab.json")
        self.nodes = self.state["nodes"]
        self.as_pg = ["runuser", "-u", PG_OS_USER, "--"] if is_root() else []
        self.psql_bin = os.path.join(self.state["pg_bindir"], "psql")

    def run(self, argv, timeout=60):
        return subprocess.run(self.as_pg + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, cwd="/")

    def psql_conninfo(self, conninfo, sql, timeout=30, check=False):  # what Writer calls
        env = dict(os.environ, PGCONNECT_TIMEOUT="5")
        return subprocess.run(self.as_pg + [self.psql_bin, "-d", conninfo, "-XAtq", "-v", "ON_ERROR_STOP=1",
                                            "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout, env=env, stdin=subprocess.DEVNULL, cwd="/")

    def conninfo(self, node):
        return "host=%s port=%d user=pgha dbname=pgha connect_timeout=2" % (node["host"], node["port"])

    def multi_host(self):
        return ("host=%s port=%s user=pgha dbname=pgha connect_timeout=2 target_session_attrs=read-write"
                % (",".join(n["host"] for n in self.nodes), ",".join(str(n["port"]) for n in self.nodes)))

    def writable(self):
        found = []
        for n in self.nodes:
            try:
                r = self.psql_conninfo(self.conninfo(n), "SELECT pg_is_in_recovery()", timeout=5)
            except subprocess.TimeoutExpired:
                continue
            if r.returncode == 0 and r.stdout.strip() == "f":
                found.append(n)
        return found

    def pgha(self, node, *args, timeout=300):
        return self.run([self.state["pgha_bin"], "-f", node["config"]] + list(args), timeout=timeout)

    def adopt_postmasters(self):
        """Record the servers pgha (re)started, so that `quickstart.sh stop` stops them."""
        for n in self.nodes:
            pid = read_postmaster_pid(n["data_dir"])
            if pid:
                n["pid"] = pid
        with open(self.path + ".tmp", "w") as f:
            json.dump(self.state, f, indent=2)
            f.write("\n")
        os.replace(self.path + ".tmp", self.path)


def wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit("demo: timed out after %d s waiting for %s" % (timeout, what))


def show(title, result):
    print("\n==> %s" % title)
    print((result.stdout + result.stderr).rstrip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True, help="the quickstart directory (holds lab.json)")
    a = ap.parse_args()
    cluster = Cluster(a.dir)
    primaries = cluster.writable()
    if len(primaries) != 1:
        raise SystemExit("demo: expected one writable primary, found %d; is the quickstart up "
                         "(bash scripts/quickstart.sh)?" % len(primaries))
    old = primaries[0]
    writer = Writer(cluster, cluster.multi_host(), "quickstart_demo", interval=0.02).start()
    time.sleep(1.0)
    pid = read_postmaster_pid(old["data_dir"])
    print("==> kill -9 of %s's postmaster (PID %d), the primary, while a client writes every 20 ms" % (old["name"], pid))
    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    new = wait(lambda: [n for n in cluster.writable() if n["name"] != old["name"]], 60, "a new primary")[0]
    first = wait(lambda: [at for i, at in sorted(writer.acked_at.items())
                          if at > killed_at and writer.acked_by.get(i) == new["port"]], 30,
                 "the first write on the new primary")[0]
    time.sleep(0.5)
    acked = writer.stop()
    stored = cluster.psql_conninfo(cluster.conninfo(new), "SELECT id FROM quickstart_demo").stdout.split()
    lost = sorted(set(acked) - {int(i) for i in stored})
    print("new primary: %s (port %d)" % (new["name"], new["port"]))
    print("first write accepted by it %.2f s after the kill" % (first - killed_at))
    print("acknowledged writes: %d, lost: %d%s" % (len(acked), len(lost), " %s" % lost[:10] if lost else ""))
    show("pgha cluster event --limit 6", cluster.pgha(new, "cluster", "event", "--limit", "6"))
    show("pgha node rejoin on %s (the old primary)" % old["name"],
         cluster.pgha(old, "node", "rejoin", "-d", cluster.conninfo(new)))
    cluster.adopt_postmasters()
    show("pgha cluster show", cluster.pgha(new, "cluster", "show"))
    show("pgha cluster history", cluster.pgha(new, "cluster", "history"))
    show("pgha daemon status", cluster.pgha(new, "daemon", "status"))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
