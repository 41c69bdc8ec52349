"""Network-partition scenarios for pghad, shared by tests/integration/test_partitions.py
and scripts/bench/partitions.py (not a test file itself: no test_ prefix).

Every node (PostgreSQL and pghad) runs in its own network namespace
(Lab(netns=True), tests/lab/netns.py); faults are nftables rules inside the
node namespaces, SIGSTOP/SIGCONT, or packet loss. Clients run on the host side
of the lab's bridge:

  * one AckWriter per data node, connected only to that node, that keeps
    trying INSERTs (2 s connect timeout, 2 s client-side deadline per
    statement), and one on a libpq multi-host string with
    target_session_attrs=read-write; every acknowledged write is recorded
    with the time it was sent, the time it was acknowledged and the node that
    acknowledged it;
  * a "double-primary moment" is an acknowledged write by a node whose
    acknowledgment came after the first acknowledged write of a node that
    began acknowledging later than it (the old primary acknowledging after
    the new one's first write); must be 0;
  * "lost" writes are acknowledged writes missing on the final primary after
    heal and convergence (asynchronous replication loses what a cut-off
    primary acknowledged alone): reported, not asserted, unless a scenario
    says so.

A scenario runs on a Cluster (one lab layout), always from a converged cluster
(exactly one writable primary, every other data node streaming from it), and
after the fault is healed waits until the cluster has converged again.
"""
import ctypes
import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lab"))
REPO = os.path.dirname(os.path.dirname(HERE))
PGHAD = os.environ.get("PGHAD_BIN", os.path.join(REPO, "build", "daemon", "pghad"))

import netns  # noqa: E402
from pghalab import Lab, LabError  # noqa: E402
from test_daemon import daemon_pid, http, wait_until  # noqa: E402

# tuned timings (like test_daemon.FAST): a lost primary is replaced in ~3-5 s
FAST = {"monitor_interval": "500ms", "reconnect_attempts": 2, "reconnect_interval": "500ms", "lease_timeout": "3s"}
LEASE = 3.0
RAISED = 10.0  # lease_timeout of the lease_* scenarios' reload


def available():
    return netns.available()


# ---------------------------------------------------------------- libpq through ctypes

class _PQ:
    _lib = None

    @classmethod
    def lib(cls):
        if cls._lib is None:
            lib = ctypes.CDLL("libpq.so.5")
            vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
            for name, res, args in (("PQconnectdb", vp, [cp]), ("PQstatus", i, [vp]), ("PQfinish", None, [vp]),
                                    ("PQsendQuery", i, [vp, cp]), ("PQsocket", i, [vp]),
                                    ("PQconsumeInput", i, [vp]), ("PQisBusy", i, [vp]),
                                    ("PQgetResult", vp, [vp]), ("PQresultStatus", i, [vp]),
                                    ("PQclear", None, [vp]), ("PQerrorMessage", cp, [vp]),
                                    ("PQport", cp, [vp]), ("PQhost", cp, [vp]),
                                    ("PQsetNoticeProcessor", vp, [vp, vp, vp])):
                f = getattr(lib, name)
                f.restype = res
                f.argtypes = args
            cls._lib = lib
        return cls._lib


_NOTICE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)(lambda arg, msg: None)


class PGConn:
    """A libpq connection whose statements have a client-side deadline (a
    frozen or cut-off server cannot hang the caller)."""

    def __init__(self, conninfo):
        self.pq = _PQ.lib()
        self.conn = self.pq.PQconnectdb(conninfo.encode())
        if not self.conn or self.pq.PQstatus(self.conn) != 0:
            err = self.pq.PQerrorMessage(self.conn).decode(errors="replace") if self.conn else "out of memory"
            self.close()
            raise OSError(err.strip())
        # no "terminating connection due to immediate shutdown" on our stderr
        self.pq.PQsetNoticeProcessor(self.conn, ctypes.cast(_NOTICE, ctypes.c_void_p), None)

    def port(self):
        return int(self.pq.PQport(self.conn).decode() or 0)

    def execute(self, sql, deadline):
        """True when the statement succeeded; False on an SQL error; raises
        OSError (and closes) on a broken connection or a missed deadline."""
        pq, c = self.pq, self.conn
        if not pq.PQsendQuery(c, sql.encode()):
            self.close()
            raise OSError("send failed")
        ok = None
        while True:
            while pq.PQisBusy(c):
                left = deadline - time.monotonic()
                if left <= 0:
                    self.close()
                    raise OSError("deadline")
                r, _, _ = select.select([pq.PQsocket(c)], [], [], left)
                if r and not pq.PQconsumeInput(c):
                    self.close()
                    raise OSError("connection lost")
            res = pq.PQgetResult(c)
            if not res:
                break
            st = pq.PQresultStatus(res)
            pq.PQclear(res)
            ok = (st in (1, 2)) if ok is None else (ok and st in (1, 2))
        if pq.PQstatus(c) != 0:
            self.close()
            raise OSError("connection bad")
        return bool(ok)

    def close(self):
        if self.conn:
            self.pq.PQfinish(self.conn)
            self.conn = None


class Acks:
    """Shared record of every write of one scenario: ids are unique across writers."""

    def __init__(self, port_to_node):
        self.lock = threading.Lock()
        self.next = 1
        self.acked = []     # (id, writer, node, sent, acked)
        self.port_to_node = port_to_node

    def take_id(self):
        with self.lock:
            i = self.next
            self.next += 1
            return i

    def add(self, rec):
        with self.lock:
            self.acked.append(rec)


class AckWriter(threading.Thread):
    def __init__(self, acks, name, conninfo, table, node=None, interval=0.05, deadline=2.0):
        super().__init__(daemon=True)
        self.acks, self.wname, self.conninfo, self.table = acks, name, conninfo, table
        self.node, self.interval, self.deadline = node, interval, deadline
        self.stop_ev = threading.Event()
        self.attempts = 0

    def run(self):
        conn = None
        while not self.stop_ev.is_set():
            if conn is None or conn.conn is None:
                try:
                    conn = PGConn(self.conninfo)
                except OSError:
                    conn = None
                    self.stop_ev.wait(0.1)
                    continue
            i = self.acks.take_id()
            node = self.node or self.acks.port_to_node.get(conn.port())
            sent = time.monotonic()
            self.attempts += 1
            try:
                ok = conn.execute("INSERT INTO %s VALUES (%d, '%s', %d)" % (self.table, i, self.wname, node or 0),
                                  sent + self.deadline)
            except OSError:
                ok = False
            if ok:
                self.acks.add((i, self.wname, node, sent, time.monotonic()))
            self.stop_ev.wait(self.interval)
        if conn is not None:
            conn.close()

    def stop(self):
        self.stop_ev.set()


# ---------------------------------------------------------------- helpers

def children_of(pids):
    """Every descendant of the given PIDs (from /proc, parents first)."""
    kids = {}
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open("/proc/%s/stat" % e) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(e))
    out, todo = [], list(pids)
    while todo:
        p = todo.pop(0)
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def stamp(t=None):
    t = time.time() if t is None else t
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)


def fmt_s(x):
    return "-" if x is None else "%.1f s" % x


# ---------------------------------------------------------------- cluster layouts

class Cluster:
    """One lab layout with daemons: "three" (3 data nodes), "witness" (2 data
    nodes + witness node3), "ping" (2 data nodes, fencing.mode = "ping" with
    the host-side bridge address as ping target)."""

    def __init__(self, layout, keep=False, log=None):
        self.layout = layout
        self.keep = keep
        self.lab = None
        self.daemons = {}
        self.frozen = []
        self.log = log or (lambda msg: sys.stderr.write(msg + "\n"))

    @property
    def net(self):
        return self.lab.net

    def build(self):
        n = 3
        self.data_nodes = [1, 2, 3] if self.layout == "three" else [1, 2]
        self.witness = 3 if self.layout == "witness" else None
        if self.layout == "ping":
            n = 2
        lab = self.lab = Lab(nodes=n, netns=True, keep=self.keep)
        try:
            secret = lab.write_file(os.path.join(lab.dir, "cluster.secret"), "partition-lab-key\n", mode=0o600)
            config = {}
            for i in range(1, n + 1):
                node = lab.node(i)
                service = {"start_command": "%s/pg_ctl -D %s -l %s -w -t 60 start"
                                            % (lab.pg_bindir, node.data_dir, node.log)}
                config[i] = {"failover": FAST, "daemon": {"secret_file": secret}, "service": service}
                if self.layout == "ping":
                    config[i]["fencing"] = {"mode": "ping", "ping_targets": [lab.net.host_addr]}
            lab.build_cluster(standbys=len(self.data_nodes) - 1,
                              config={i: c for i, c in config.items() if i in self.data_nodes})
            if self.witness:
                lab.configure(self.witness, **config[self.witness])
                lab.init_standalone(self.witness)
                lab.pgha(self.witness, "witness", "register", "-h", lab[1].host, "-p", lab[1].port,
                         "-U", "pgha", "-d", "pgha", check=True)
            for i in range(1, n + 1):
                self.start_daemon(i)
            wait_until(lambda: self.converged() is not None, 30, "the new cluster to settle")
        except BaseException:
            lab.close()
            raise
        return self

    def close(self):
        self.thaw()
        if self.lab:
            self.lab.close()

    def ready(self, timeout=30):
        """The primary of a converged cluster; when the cluster does not
        converge (a previous scenario left it broken), a fresh lab is built
        so that one failure does not fail every later scenario."""
        try:
            return wait_until(self.converged, timeout, "a converged cluster", interval=0.3)
        except AssertionError:
            self.log("[%s] the %s cluster did not converge (writable: %s): building a new one" % (
                stamp(), self.layout, self.writable()))
        self.close()
        self.daemons = {}
        self.build()
        return wait_until(self.converged, 30, "the rebuilt cluster to converge")

    def start_daemon(self, i):
        """pghad in node i's namespace; its output goes to node i's
        pghad.log with the wall-clock time (ms) of every line."""
        lab, node = self.lab, self.lab.node(i)
        p = subprocess.Popen(lab.node_cmd(i, [PGHAD, "-f", node.config]), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=lab._env(), cwd=lab.dir,
                             start_new_session=True)
        lab.spawned.append((i, p))
        lab._save_state()
        self.daemons[i] = p

        def copy(out=p.stdout, path=os.path.join(node.dir, "pghad.log")):
            with open(path, "a") as f:
                for line in iter(out.readline, b""):
                    f.write("%s %s" % (stamp(), line.decode(errors="replace")))
                    f.flush()
        threading.Thread(target=copy, daemon=True).start()
        wait_until(lambda: http(node, "/health")[0] is not None, 15, "pghad of %s" % node.name)

    def log_size(self, i):
        try:
            return os.path.getsize(os.path.join(self.lab.node(i).dir, "pghad.log"))
        except OSError:
            return 0

    def daemon_log(self, i, since=None, grep=None, tail=40):
        """Lines of node i's daemon log (from byte offset `since`), those
        containing one of `grep`, the last `tail`."""
        try:
            with open(os.path.join(self.lab.node(i).dir, "pghad.log"), errors="replace") as f:
                if since:
                    f.seek(since)
                lines = f.readlines()
        except OSError:
            return []
        if grep:
            lines = [ln for ln in lines if any(g in ln for g in grep)]
        return lines[-tail:]

    # ---- observation (from inside each node's namespace: works while cut off)
    def sql(self, i, q, timeout=5):
        r = self.lab.psql_run(i, q, dbname="pgha", timeout=timeout)
        return r.stdout.strip() if r.returncode == 0 else None

    def writable(self, skip=()):
        out = []
        for i in self.data_nodes:
            if i in skip or any(f[0] == i and f[2] for f in self.frozen):
                continue
            try:
                if self.sql(i, "SELECT pg_is_in_recovery()", timeout=4) == "f":
                    out.append(i)
            except LabError:
                pass
        return out

    def streams_from(self, i, up):
        q = ("SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_port = %d"
             % self.lab.node(up).port)
        try:
            return self.sql(i, q) == "1"
        except LabError:
            return False

    def converged(self):
        """The primary's id when exactly one data node is writable, every
        other data node streams from it, cluster show agrees and /primary
        answers 200 on it only; else None."""
        w = self.writable()
        if len(w) != 1:
            return None
        p = w[0]
        for i in self.data_nodes:
            if i != p and not self.streams_from(i, p):
                return None
        r = self.lab.pgha(p, "cluster", "show", "--json", timeout=30)
        if r.returncode != 0:
            return None
        try:
            rows = {x["node_name"]: x for x in json.loads(r.stdout)}
        except ValueError:
            return None
        for i in self.data_nodes:
            row = rows.get("node%d" % i)
            if not row or row.get("status") != "running":
                return None
            if i == p and row.get("role") != "primary":
                return None
            if i != p and (row.get("role") != "standby" or row.get("upstream") != "node%d" % p):
                return None
        if self.witness and (rows.get("node%d" % self.witness) or {}).get("role") != "witness":
            return None
        for i in self.data_nodes:
            if http(self.lab.node(i), "/primary")[0] != (200 if i == p else 503):
                return None
        for i in range(1, self.lab.n + 1):
            self.lab.adopt_pid(i)  # a server the daemon restarted (rejoin) is stopped at teardown
        return p

    def max_event_id(self, p):
        return int(self.sql(p, "SELECT coalesce(max(event_id), 0) FROM pgha.events") or 0)

    def events_since(self, p, ev0):
        out = self.sql(p, "SELECT node_name || ' ' || event FROM pgha.events WHERE event_id > %d "
                          "ORDER BY event_id" % ev0)
        return out.splitlines() if out else []

    def term(self, i):
        st, body = http(self.lab.node(i), "/status")
        try:
            return json.loads(body).get("term") if st else None
        except ValueError:
            return None

    # ---- process faults
    def freeze_daemon(self, i):
        pid = daemon_pid(self.daemons[i])
        os.kill(pid, signal.SIGSTOP)
        self.frozen.append((i, [pid], False))

    def freeze_node(self, i):
        """SIGSTOP the postmaster, then every one of its children, and the daemon."""
        pm = self.lab.adopt_pid(i)
        pids = []
        if pm:
            os.kill(pm, signal.SIGSTOP)
            pids.append(pm)
            for c in children_of([pm]):
                try:
                    os.kill(c, signal.SIGSTOP)
                    pids.append(c)
                except ProcessLookupError:
                    pass
        d = daemon_pid(self.daemons[i])
        for p in [d] + children_of([d]):
            try:
                os.kill(p, signal.SIGSTOP)
                pids.append(p)
            except ProcessLookupError:
                pass
        self.frozen.append((i, pids, True))

    def thaw(self):
        """SIGCONT everything frozen, all at once (as a resumed VM would)."""
        for _, pids, _ in self.frozen:
            for p in pids:
                try:
                    os.kill(p, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        self.frozen = []


# ---------------------------------------------------------------- one scenario run

class Result:
    def __init__(self, name):
        self.name = name
        self.skipped = None
        self.old_primary = None
        self.final_primary = None
        self.failovers = 0
        self.time_to_writable = None     # fault -> first write acknowledged by a node other than the old primary
        self.old_after_fault = 0         # writes the old primary acknowledged after the fault
        self.old_last_ack = None         # fault -> the old primary's last acknowledgment (the whole run)
        self.lost = 0
        self.acked = 0
        self.double = 0
        self.double_window = None        # last "late" ack - first ack of the newer primary
        self.converge = None             # heal -> converged
        self.max_gap = None              # longest time without any acknowledged write (fault..end)
        self.decisions = []              # the daemons' key log lines during the run
        self.log0 = {}                   # each daemon log's size when the run began
        self.events = []
        self.notes = []
        self.problems = []
        self.per_node = {}

    def summary(self):
        if self.skipped:
            return "%s: skipped: %s" % (self.name, self.skipped)
        return ("%s: primary node%s -> node%s, failovers %d, writable after %s, longest write gap %s, "
                "acked %d (%s), lost %d, double-primary moments %d%s, converged %s after heal%s%s%s" % (
                    self.name, self.old_primary, self.final_primary, self.failovers, fmt_s(self.time_to_writable),
                    "-" if self.max_gap is None else "%.2f s" % self.max_gap,
                    self.acked, ", ".join("node%s %d" % kv for kv in sorted(self.per_node.items())), self.lost,
                    self.double, "" if self.double_window is None else " (window %.3f s)" % self.double_window,
                    fmt_s(self.converge), self.old_vs_new(), "".join("; " + n for n in self.notes),
                    "".join("\n  PROBLEM: " + p for p in self.problems)))

    def old_vs_new(self):
        if self.time_to_writable is None or self.old_last_ack is None:
            return ""
        return ("; old primary acknowledged %d writes after the fault, its last at +%.3f s, the new primary's "
                "first at +%.3f s" % (self.old_after_fault, self.old_last_ack, self.time_to_writable))


def double_primary(acks):
    """(count, window): acknowledgments by a node after the first
    acknowledgment of a node that began acknowledging later than it."""
    first = {}
    for (_, _, node, _, t) in sorted(acks, key=lambda a: a[4]):
        first.setdefault(node, t)
    count, window = 0, None
    for (_, _, node, _, t) in acks:
        later = [f for n, f in first.items() if n != node and f > first[node] and f < t]
        if later:
            count += 1
            w = t - min(later)
            window = w if window is None else max(window, w)
    return count, window


class Scenario:
    """name, layout, what it does, and what must hold afterwards.
    fault(c, p, standbys) makes the fault; hold is how long it lasts (or
    (min, max, until) to end early once until(c, p, res) holds after min);
    heal(c, p, standbys) undoes it first, if given (then every nft rule is removed and everything thawed);
    failovers: allowed (lo, hi); during(c, p, res) checks things just before heal;
    prepare(c, p, standbys) runs on the converged cluster before the writers start
    (heal, if given, also undoes it when it fails)."""

    def __init__(self, name, layout, doc, fault, hold, failovers, heal=None, during=None, after=None,
                 needs=None, new_primary=None, report_only=None, prepare=None):
        self.name, self.layout, self.doc, self.prepare = name, layout, doc, prepare
        self.fault, self.hold, self.failovers = fault, hold, failovers
        self.heal, self.during, self.after, self.needs = heal, during, after, needs
        self.new_primary = new_primary   # True: must end on another node; False: on the same node
        self.report_only = report_only   # why the test does not run it (the benchmark reports it)


def run_scenario(c, sc, log=None):
    log = log or c.log
    res = Result(sc.name)
    if sc.needs:
        why = sc.needs(c)
        if why:
            res.skipped = why
            return res
    lab = c.lab
    p = c.ready()
    res.old_primary = p
    standbys = [i for i in c.data_nodes if i != p]
    table = "pw_%s_%d" % (sc.name, int(time.time() * 1000) % 100000000)
    lab.psql(p, "CREATE TABLE %s (id bigint PRIMARY KEY, writer text, node int)" % table)
    for s in standbys:
        wait_until(lambda: c.sql(s, "SELECT to_regclass('%s') IS NOT NULL" % table) == "t", 20,
                   "the table on node%d" % s)
    ev0 = c.max_event_id(p)
    log0 = res.log0 = {i: c.log_size(i) for i in range(1, lab.n + 1)}
    if sc.prepare:
        try:
            sc.prepare(c, p, standbys)
        except BaseException:
            if sc.heal:
                sc.heal(c, p, standbys)
            raise
    ports = {lab.node(i).port: i for i in c.data_nodes}
    acks = Acks(ports)
    opts = "connect_timeout=2 tcp_user_timeout=2000 keepalives_idle=1 keepalives_interval=1 keepalives_count=2"
    writers = [AckWriter(acks, "node%d" % i, "host=%s port=%d user=pgha dbname=pgha %s" % (
        lab.node(i).host, lab.node(i).port, opts), table, node=i) for i in c.data_nodes]
    writers.append(AckWriter(acks, "multi", lab.read_write_conninfo(c.data_nodes).replace(
        "connect_timeout=2", opts), table))
    for w in writers:
        w.start()
    try:
        wait_until(lambda: any(a[2] == p for a in acks.acked), 10, "a first write on node%d" % p)
        time.sleep(0.5)
        log("[%s] %s: fault on primary node%d (%s)" % (stamp(), sc.name, p, sc.doc))
        res.notes.append("fault at %s" % stamp())
        t_fault = time.monotonic()
        sc.fault(c, p, standbys)
        if isinstance(sc.hold, tuple):
            lo, hi, until = sc.hold
            time.sleep(lo)
            while time.monotonic() - t_fault < hi and not until(c, p, acks):
                time.sleep(0.2)
        else:
            time.sleep(sc.hold)
        if sc.during:
            sc.during(c, p, res, acks)
        t_heal = time.monotonic()
        if sc.heal:
            sc.heal(c, p, standbys)
        c.thaw()
        c.net.heal()
        log("[%s] %s: healed after %.1f s" % (stamp(), sc.name, t_heal - t_fault))
        res.notes.append("healed at %s" % stamp())
        try:
            final = wait_until(c.converged, 90, "the cluster to converge after heal", interval=0.3)
            res.converge = time.monotonic() - t_heal
        except AssertionError as e:
            res.problems.append(str(e) + ": writable %s" % c.writable())
            final = None
        time.sleep(1.0)  # a few writes on the final primary
    finally:
        for w in writers:
            w.stop()
        for w in writers:
            w.join(10)
    res.final_primary = final
    acked = list(acks.acked)
    res.acked = len(acked)
    for a in acked:
        res.per_node[a[2]] = res.per_node.get(a[2], 0) + 1
    others = [a[4] for a in acked if a[2] != p and a[4] > t_fault]
    res.time_to_writable = (min(others) - t_fault) if others else None
    olds = [a[4] for a in acked if a[2] == p]
    res.old_after_fault = sum(1 for t in olds if t > t_fault)
    res.old_last_ack = (max(olds) - t_fault) if olds else None
    res.double, res.double_window = double_primary(acked)
    times = sorted([t_fault] + [a[4] for a in acked if a[4] > t_fault])
    res.max_gap = max(b - a for a, b in zip(times, times[1:])) if len(times) > 1 else None
    for i in range(1, lab.n + 1):
        for ln in c.daemon_log(i, since=log0[i], grep=DECISIONS, tail=1000):
            res.decisions.append("node%d: %s" % (i, ln.strip()))
    if res.double:
        late = sorted((a for a in acked if a[2] == p), key=lambda a: a[4])[-3:]
        first_new = min(others) if others else None
        res.notes.append("late acknowledgments by node%d: %s (times from the fault; new primary's first "
                         "at +%.3f s; healed/resumed at +%.3f s)" % (
                             p, ", ".join("id %d sent +%.3f s acked +%.3f s" % (
                                 a[0], a[3] - t_fault, a[4] - t_fault) for a in late),
                             (first_new - t_fault) if first_new else -1, t_heal - t_fault))
    if final:
        present = set(int(x) for x in (c.sql(final, "SELECT id FROM %s" % table, timeout=30) or "").split())
        lost = [a for a in acked if a[0] not in present]
        res.lost = len(lost)
        if lost:
            res.notes.append("lost: %d acknowledged by %s" % (len(lost), ", ".join(
                "node%s" % n for n in sorted(set(a[2] for a in lost)))))
        res.events = c.events_since(final, ev0)
        res.failovers = sum(1 for e in res.events if e.endswith(" failover_election"))
    lo, hi = sc.failovers
    if not lo <= res.failovers <= hi:
        res.problems.append("%d failovers, expected %s" % (res.failovers, lo if lo == hi else "%d..%d" % (lo, hi)))
    if res.double:
        res.problems.append("%d double-primary moments (window %.3f s)" % (res.double, res.double_window))
    if final and sc.new_primary is True and final == p:
        res.problems.append("node%d is still the primary" % p)
    if sc.new_primary is True and (res.time_to_writable is None or res.time_to_writable > t_heal - t_fault):
        res.problems.append("no other node acknowledged a write during the fault (%.1f s); first after %s" % (
            t_heal - t_fault, fmt_s(res.time_to_writable)))
    if final and sc.new_primary is False and final != p:
        res.problems.append("the primary moved from node%d to node%d" % (p, final))
    if sc.after and final:
        sc.after(c, p, res)
    if res.problems or res.double:
        res.notes.append("daemon decisions during the run:\n    " + "\n    ".join(res.decisions))
    if res.problems:
        for i in range(1, lab.n + 1):
            res.notes.append("node%d daemon log (tail):\n    %s" % (i, "    ".join(
                c.daemon_log(i, tail=8))))
    log("[%s] %s" % (time.strftime("%H:%M:%S"), res.summary()))
    return res


# ---------------------------------------------------------------- the matrix

DECISIONS = ["fencing", "unfencing", "fenced", "electing", "won the election", "promoted", "rejoin", "voted for",
             "releasing", "lost the lease", "error", "configuration reloaded", "reload refused",
             "lease_timeout differs"]


def _new_primary_acked(c, p, acks):
    return any(a[2] not in (p, None) for a in acks.acked)


def until_new_primary(extra=2.0):
    state = {}

    def f(c, p, acks):
        if _new_primary_acked(c, p, acks):
            t = state.setdefault(id(acks), time.monotonic())
            return time.monotonic() - t >= extra
        return False
    return f


def expect_fenced(c, p, res, acks):
    """Just before heal: the cut-off old primary no longer accepts writes."""
    if p in c.writable():
        res.problems.append("node%d still accepts writes at the end of the fault" % p)


def expect_nobody_promoted(c, p, res, acks):
    w = c.writable()
    promoted = [i for i in w if i != p]
    if promoted:
        res.problems.append("node(s) %s promoted without a quorum" % promoted)
    if p in w:
        res.problems.append("node%d still accepts writes without a quorum" % p)
    res.notes.append("writable data nodes at the end of the fault: %s" % (w or "none"))


def expect_still_primary(c, p, res, acks):
    if c.writable() != [p]:
        res.problems.append("writable nodes at the end of the fault: %s (expected node%d only)" % (c.writable(), p))


def gap_note(c, p, res, acks):
    olds = [a[4] for a in acks.acked if a[2] == p]
    news = [a[4] for a in acks.acked if a[2] not in (p, None)]
    if olds and news:
        res.notes.append("old primary's last acknowledgment %.2f s before the new primary's first"
                         % (min(news) - max(olds)))


def both(*fs):
    def f(*a):
        for g in fs:
            g(*a)
    return f


def daemon_resumed(c, p, res):
    st, body = http(c.lab.node(p), "/status")
    try:
        s = json.loads(body)
    except ValueError:
        s = {}
    if st != 200 or s.get("role") != "primary" or s.get("fenced"):
        res.problems.append("node%d's daemon after SIGCONT: HTTP %s, role %s, fenced %s" % (
            p, st, s.get("role"), s.get("fenced")))
    fenced = [d for d in res.decisions if d.startswith("node%d: " % p) and "fenc" in d]
    if fenced:
        res.notes.append("node%d's daemon fenced its PostgreSQL when it resumed (write gap %.2f s):\n    %s" % (
            p, res.max_gap or 0, "\n    ".join(fenced)))


def unfenced_or_elected(c, p, res):
    """After the peers see each other again: the old primary unfenced, or
    (its lease not yet taken back) the standby was elected with both votes."""
    if not any(e.endswith(" fencing_lifted") or e.endswith(" failover_election") for e in res.events):
        res.problems.append("neither fencing_lifted nor failover_election after heal (events: %s)"
                            % (res.events or "none"))


def needs_netem(c):
    ok, why = c.net.netem_available()
    return None if ok else "netem is unavailable in this kernel (tc: %s): no delay scenario" % why


def _both_cut_from_host(c, p, standbys):
    c.net.isolate(p)
    for s in standbys:
        c.net.cut_host(s)


def _heal_peers_first(c, p, standbys):
    """The nodes see each other again while neither reaches the ping target.
    Two of two voters answer again, so either the fenced primary finds no
    newer term and takes its lease back, or the standby's next round comes
    first and it is elected with both votes: both are safe (a fenced node
    that is unfencing refuses votes and tells the standby to wait). Then the
    host side comes back."""
    c.net.cut_host(p)
    try:
        wait_until(lambda: c.writable(), 20, "a node to be writable", interval=0.3)
    except AssertionError:
        pass  # reported by the checks after heal


def set_lease_timeout(c, nodes, value):
    """[failover] lease_timeout = value in the nodes' pgha.toml (their other
    settings kept), then SIGHUP to their daemons; waits until each logged the reload."""
    since = {i: c.log_size(i) for i in nodes}
    for i in nodes:
        c.lab.configure(i, failover={"lease_timeout": value})
        os.kill(daemon_pid(c.daemons[i]), signal.SIGHUP)
    for i in nodes:
        ln = wait_until(lambda: c.daemon_log(i, since=since[i], grep=["configuration reloaded", "reload refused"]),
                        10, "node%d's daemon to reload its configuration" % i)
        if "refused" in ln[0]:
            raise AssertionError("node%d: %s" % (i, ln[0].strip()))


def lease_ms(c, i):
    """The lease node i's daemon counts as primary (from its last decision), or None."""
    st, body = http(c.lab.node(i), "/status")
    m = re.search(r"with a lease valid for (\d+) ms", body) if st == 200 else None
    return int(m.group(1)) if m else None


def _short_lease(c, p):
    """Longer promises of an earlier run (they keep their end across a reload)
    have run out: the primary counts its lease from 3 s promises."""
    wait_until(lambda: 0 < (lease_ms(c, p) or 0) <= LEASE * 1000, RAISED + 5,
               "node%d to count a lease of at most %gs" % (p, LEASE))


def _raise_lease(c, p, standbys):
    _short_lease(c, p)
    set_lease_timeout(c, [p] + standbys, "%ds" % RAISED)
    wait_until(lambda: (lease_ms(c, p) or 0) > LEASE * 1000, 10, "node%d to count a lease longer than %gs" % (
        p, LEASE))


def _raise_primary_lease(c, p, standbys):
    _short_lease(c, p)
    set_lease_timeout(c, [p], "%ds" % RAISED)
    time.sleep(1.0)  # two heartbeat rounds answered with the standbys' shorter promises
    ms = lease_ms(c, p)
    if ms is None or ms > LEASE * 1000:
        raise AssertionError("node%d counts a lease of %s ms with lease_timeout %gs, its voters promise %gs" % (
            p, ms, RAISED, LEASE))


def _restore_lease(c, p, standbys):
    set_lease_timeout(c, c.data_nodes, FAST["lease_timeout"])


def expect_lease_mismatch(c, p, res, acks):
    """The primary warned that its voters promise another lease_timeout than its own."""
    st, body = http(c.lab.node(p), "/status")
    try:
        field = json.loads(body).get("lease_mismatch") if st == 200 else None
    except ValueError:
        field = None
    lines = c.daemon_log(p, since=res.log0[p], grep=["lease_timeout differs between nodes"])
    if field:
        res.notes.append("node%d's /status lease_mismatch: %s" % (p, field))
    if lines:
        res.notes.append("node%d warned: %s" % (p, lines[0].strip()))
    elif not field:
        res.problems.append("node%d did not report that lease_timeout differs between nodes (log or /status)" % p)


SCENARIOS = [
    Scenario("primary_isolated", "three", "primary cut from everyone, the host side included",
             lambda c, p, s: c.net.isolate(p), (LEASE + 2, 20, until_new_primary()), (1, 1),
             during=both(expect_fenced, gap_note), new_primary=True),
    Scenario("primary_cut_from_standbys", "three", "primary cut from the standbys; the writers still reach it",
             lambda c, p, s: c.net.cut(p, s), (LEASE + 2, 20, until_new_primary()), (1, 1),
             during=both(expect_fenced, gap_note), new_primary=True),
    Scenario("standby_isolated", "three", "one standby cut from everyone",
             lambda c, p, s: c.net.isolate(s[0]), 2 * LEASE + 2, (0, 0),
             during=expect_still_primary, new_primary=False),
    Scenario("asymmetric", "three", "the primary-standby A link cut; A and the primary both still see standby B",
             lambda c, p, s: c.net.cut(p, s[:1]), 2 * LEASE + 2, (0, 0),
             during=expect_still_primary, new_primary=False),
    Scenario("one_way", "three", "packets from the standbys to the primary dropped (nft input chain), "
             "the other direction passes", lambda c, p, s: c.net.drop_one_way(p, s, "input"),
             (LEASE + 2, 20, until_new_primary()), (0, 1), during=gap_note),
    Scenario("packet_loss", "three", "30% of the primary's packets dropped each way for 20 s",
             lambda c, p, s: c.net.loss(p, 30), 20, (0, 1)),
    Scenario("delay", "three", "300 ms +- 100 ms delay on the primary for 20 s (netem)",
             lambda c, p, s: c.net.delay(p, 300, 100), 20, (0, 1),
             heal=lambda c, p, s: [c.net.undelay(i) for i in c.data_nodes], needs=needs_netem),
    Scenario("flapping", "three", "the primary's link down and up every 2 s for 30 s",
             lambda c, p, s: c.net.flap(p, 2.0, 30.0), 31, (0, 1)),
    Scenario("daemon_frozen", "three", "the primary's daemon SIGSTOPped for 30 s, PostgreSQL reachable",
             lambda c, p, s: c.freeze_daemon(p), 30, (0, 0), during=expect_still_primary,
             after=daemon_resumed, new_primary=False),
    Scenario("node_frozen", "three", "the primary's postmaster, all its children and its daemon "
             "SIGSTOPped past the lease, then resumed", lambda c, p, s: c.freeze_node(p),
             (LEASE + 2, 25, until_new_primary(1.0)), (1, 1), new_primary=True),
    Scenario("lease_raised_by_reload", "three", "lease_timeout raised from 3s to 10s on every node (SIGHUP), "
             "then the primary cut from the standbys; the writers still reach it", lambda c, p, s: c.net.cut(p, s),
             (RAISED + 2, 40, until_new_primary()), (1, 1), prepare=_raise_lease, heal=_restore_lease,
             during=both(expect_fenced, gap_note), new_primary=True),
    Scenario("lease_mismatch", "three", "the primary reloaded with lease_timeout 10s, the standbys keep 3s, "
             "then the primary cut from the standbys; the writers still reach it", lambda c, p, s: c.net.cut(p, s),
             (LEASE + 2, 20, until_new_primary()), (1, 1), prepare=_raise_primary_lease, heal=_restore_lease,
             during=both(expect_fenced, gap_note, expect_lease_mismatch), new_primary=True),
    Scenario("witness_and_primary_down", "witness", "witness and primary cut from everyone: "
             "the standby is alone", lambda c, p, s: (c.net.isolate(c.witness), c.net.isolate(p)),
             2 * LEASE + 4, (0, 1), during=expect_nobody_promoted),
    Scenario("witness_primary_isolated", "witness", "primary cut from everyone: the standby wins "
             "with the witness's vote", lambda c, p, s: c.net.isolate(p),
             (LEASE + 2, 20, until_new_primary()), (1, 1), during=both(expect_fenced, gap_note), new_primary=True),
    Scenario("ping_primary_isolated", "ping", "fencing.mode=ping, primary cut from everyone: it cannot "
             "ping the host side and fences; the standby can and promotes", lambda c, p, s: c.net.isolate(p),
             (LEASE + 2, 20, until_new_primary()), (1, 1), during=both(expect_fenced, gap_note), new_primary=True),
    Scenario("ping_unfence", "ping", "fencing.mode=ping, primary cut from everyone and the standby from "
             "the host side: the primary fences, the standby does not promote; after heal (the link "
             "between the nodes first, then the host side) the primary finds no newer primary and "
             "unfences, or the standby is elected with both votes first", _both_cut_from_host,
             2 * LEASE + 4, (0, 1), heal=_heal_peers_first, during=expect_nobody_promoted,
             after=unfenced_or_elected),
    Scenario("ping_link_cut", "ping", "fencing.mode=ping, only the link between the two nodes cut: both "
             "still reach the ping target", lambda c, p, s: c.net.cut(p, s), (LEASE + 2, 20, until_new_primary()),
             (0, 1), during=gap_note,
             report_only="the documented weakness of fencing.mode = \"ping\": the standby may promote with its "
                         "own vote and the primary stays up while both reach a ping target; measured by "
                         "scripts/bench/partitions.py, not asserted"),
]
LAYOUTS = ["three", "witness", "ping"]


def by_name(name):
    for s in SCENARIOS:
        if s.name == name:
            return s
    raise KeyError(name)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
