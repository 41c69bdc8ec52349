#!/usr/bin/python3
"""pghalab: a throw-away lab of real PostgreSQL 15 servers for pgha tests.

Library use (tests/integration/*.py):

    from pghalab import Lab
    with Lab(nodes=3) as lab:
        lab.build_cluster(standbys=2)
        r = lab.pgha(1, "cluster", "show", "--json")
        lab.psql(2, "SELECT 1")

CLI use (scripts/quickstart.sh):

    python3 tests/lab/pghalab.py up   --nodes 3 --dir DIR
    python3 tests/lab/pghalab.py down --dir DIR

Rules this module keeps:
  * PostgreSQL refuses to run as root: when we are root every server-side
    command (initdb, pg_ctl, postgres, pgha) runs as the `postgres` OS user
    through `runuser`, and the lab directory is owned by postgres.
  * Only 127.0.0.1 is used, unless Lab(netns=True): then every node runs
    in its own network namespace with its own address on a private bridge
    (tests/lab/netns.py, root only), removed at teardown.  Ports are picked below the kernel's ephemeral
    range (so an outgoing connection can never hold a port we are about to
    listen on), checked free by binding, and recorded in a shared registry
    directory so that two labs (or two runs) never pick the same port.
  * Only processes the lab started are stopped, by their recorded PID.
  * Every wait is bounded by a timeout.
  * How a command is run for a node lives in one place (`Lab.node_cmd`,
    using `Node.run_prefix`, empty today) and each node's address is
    `Node.host`, so nodes can later be moved into network namespaces.

Only the Python 3 standard library is used.
"""

import argparse
import atexit
import copy
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

PG_BINDIR = os.environ.get("PGHA_PG_BINDIR", "/usr/lib/postgresql/15/bin")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PGHA_BIN = os.path.join(REPO, "build", "cli", "pgha")
DEFAULT_PGHAD_BIN = os.path.join(REPO, "build", "daemon", "pghad")
PORT_REGISTRY = os.environ.get("PGHALAB_PORT_REGISTRY", "/tmp/pghalab-ports")
LOOPBACK = "127.0.0.1"
PG_OS_USER = "postgres"
# ports we never hand out: the Debian cluster, pgha's documented default
RESERVED_PORTS = {5432, 5433, 8008}


class LabError(RuntimeError):
    """A lab step failed; the message carries the command's output."""


def is_root():
    return os.geteuid() == 0


def _pg_ids():
    import pwd
    pw = pwd.getpwnam(PG_OS_USER)
    return pw.pw_uid, pw.pw_gid


def pid_alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive for our purposes
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        state = stat.rsplit(")", 1)[1].split()[0]
        if state == "Z":
            return False
    except OSError:
        pass
    return True


def pid_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def is_our_postmaster(pid, data_dir):
    """True if `pid` is a postgres process serving `data_dir` (guards against
    PID reuse before we signal anything)."""
    cmd = pid_cmdline(pid)
    if not cmd:
        return False
    if "postgres" not in os.path.basename(cmd[0]) and "postmaster" not in os.path.basename(cmd[0]):
        return False
    real = os.path.realpath(data_dir)
    for i, a in enumerate(cmd):
        if a == "-D" and i + 1 < len(cmd) and os.path.realpath(cmd[i + 1]) == real:
            return True
    return False


def read_postmaster_pid(data_dir):
    try:
        with open(os.path.join(data_dir, "postmaster.pid")) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def wait_for(predicate, timeout, interval=0.1, what="condition"):
    """Poll predicate() until truthy; return its value or raise LabError."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = predicate()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - reported on timeout
            last_exc = e
        if time.monotonic() >= deadline:
            raise LabError("timed out after %.1fs waiting for %s%s" % (
                timeout, what, (": last error: %s" % last_exc) if last_exc else ""))
        time.sleep(interval)


# ---------------------------------------------------------------- TOML output

def toml_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append("\\u%04X" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError("cannot write %r as TOML" % (v,))


def render_toml(settings):
    """settings: dict of top-level keys; dict values are tables.  Special keys:
    `raw_top` (text written before any table) and `raw` (text appended at the
    end of the file, i.e. inside the last table unless it opens its own)."""
    lines = []
    tables = []
    for k, v in settings.items():
        if k in ("raw", "raw_top") or v is None:
            continue
        if isinstance(v, dict):
            tables.append((k, v))
        else:
            lines.append("%s = %s" % (k, toml_value(v)))
    if settings.get("raw_top"):
        lines.append(settings["raw_top"].rstrip("\n"))
    for name, tbl in tables:
        lines.append("")
        lines.append("[%s]" % name)
        for k, v in tbl.items():
            if v is None:
                continue
            lines.append("%s = %s" % (k, toml_value(v)))
    if settings.get("raw"):
        lines.append(settings["raw"].rstrip("\n"))
    return "\n".join(lines) + "\n"


def merge_settings(base, overrides):
    """Deep-merge overrides into a copy of base; a None value deletes a key."""
    out = copy.deepcopy(base)
    for k, v in (overrides or {}).items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_settings(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# ---------------------------------------------------------------- ports

class PortRegistry:
    """Cross-process record of ports handed out to labs.  One file per port
    (created with O_EXCL) holding "pid labdir"; a record is stale when its
    process is gone and its lab directory no longer exists."""

    def __init__(self, path=PORT_REGISTRY):
        self.path = path

    def _ensure_dir(self):
        try:
            os.makedirs(self.path, exist_ok=True)
            if is_root() or os.stat(self.path).st_uid == os.geteuid():
                os.chmod(self.path, 0o1777)
        except OSError:
            pass

    def _stale(self, f):
        try:
            with open(f) as fh:
                parts = fh.read().split(None, 1)
            pid = int(parts[0])
            labdir = parts[1].strip() if len(parts) > 1 else ""
        except (OSError, ValueError, IndexError):
            # unreadable or half-written: stale only if old
            try:
                return time.time() - os.stat(f).st_mtime > 60
            except OSError:
                return True
        if pid_alive(pid):
            return False
        return not (labdir and os.path.exists(labdir))

    def reserve(self, labdir, taken=()):
        self._ensure_dir()
        lo, hi = 20000, 32000
        try:
            with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
                eph_lo = int(f.read().split()[0])
            hi = min(hi, eph_lo - 1)
        except (OSError, ValueError, IndexError):
            pass
        rng = random.Random()
        for _ in range(2000):
            port = rng.randint(lo, hi)
            if port in RESERVED_PORTS or port in taken:
                continue
            if not self._claim(port, labdir):
                continue
            if port_free(port):
                return port
            self.release(port)
        # fall back to the kernel's choice
        for _ in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
            s.close()
            if port not in RESERVED_PORTS and port not in taken and self._claim(port, labdir):
                return port
        raise LabError("could not find a free TCP port on %s" % LOOPBACK)

    def _claim(self, port, labdir):
        f = os.path.join(self.path, str(port))
        for _ in range(2):
            try:
                fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                if self._stale(f):
                    try:
                        os.unlink(f)
                    except OSError:
                        return False
                    continue
                return False
            except OSError:
                return False
            with os.fdopen(fd, "w") as fh:
                fh.write("%d %s\n" % (os.getpid(), labdir))
            return True
        return False

    def adopt(self, port, labdir):
        """Re-point a record at a lab that outlives this process (lab up)."""
        f = os.path.join(self.path, str(port))
        try:
            with open(f, "w") as fh:
                fh.write("0 %s\n" % labdir)
        except OSError:
            pass

    def release(self, port):
        try:
            os.unlink(os.path.join(self.path, str(port)))
        except OSError:
            pass


def port_free(port, host=LOOPBACK):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def unused_port(taken=()):
    """A port with nothing listening (for 'connection refused' tests);
    reserved in the registry only by the caller's lab if wanted."""
    for _ in range(200):
        p = random.randint(20000, 32000)
        if p not in RESERVED_PORTS and p not in taken and port_free(p):
            return p
    raise LabError("no unused port found")


# ---------------------------------------------------------------- registry of live labs

_LIVE_LABS = []
_LIVE_LOCK = threading.RLock()
_HANDLERS_INSTALLED = False


def _cleanup_all():
    with _LIVE_LOCK:
        labs = list(_LIVE_LABS)
    for lab in labs:
        try:
            lab.close()
        except Exception as e:  # noqa: BLE001
            sys.stderr.write("pghalab: cleanup of %s failed: %s\n" % (lab.dir, e))


def _signal_handler(signum, frame):
    # Ignore further TERM/INT while we clean up, then die with the signal.
    for s in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(s, signal.SIG_IGN)
        except (ValueError, OSError):
            pass
    sys.stderr.write("pghalab: got signal %d, tearing down labs\n" % signum)
    _cleanup_all()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
    os._exit(128 + signum)


def _install_handlers():
    global _HANDLERS_INSTALLED
    if _HANDLERS_INSTALLED:
        return
    _HANDLERS_INSTALLED = True
    atexit.register(_cleanup_all)
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            try:
                signal.signal(s, _signal_handler)
            except (ValueError, OSError):
                pass


# ---------------------------------------------------------------- nodes

class Node:
    def __init__(self, lab, idx):
        self.lab = lab
        self.id = idx
        self.name = "node%d" % idx
        self.host = LOOPBACK          # address others use to reach this node
        self.run_prefix = []          # e.g. ["ip", "netns", "exec", "pgha1"] later
        self.port = None
        self.http_port = None
        self.dir = os.path.join(lab.dir, "node%d" % idx)
        self.data_dir = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.state_dir = os.path.join(self.dir, "state")
        self.config = os.path.join(self.dir, "pgha.toml")
        self.settings = {}
        self.pid = None               # postmaster PID while the lab runs it
        self.frozen = False

    def __repr__(self):
        return "<Node %s port=%s pid=%s>" % (self.name, self.port, self.pid)

    @property
    def conninfo(self):
        return "host=%s port=%d user=pgha dbname=pgha connect_timeout=2" % (self.host, self.port)

    def to_json(self):
        return {
            "id": self.id, "name": self.name, "host": self.host, "port": self.port,
            "http_port": self.http_port, "data_dir": self.data_dir, "log": self.log,
            "state_dir": self.state_dir, "config": self.config, "pid": self.pid,
            "run_prefix": self.run_prefix,
        }


class Lab:
    """A directory of PostgreSQL nodes on 127.0.0.1, torn down on exit."""

    def __init__(self, nodes=3, base_dir=None, keep=False, node_config=None,
                 pgha_bin=None, pg_bindir=PG_BINDIR, verbose=None, netns=False):
        self.n = nodes
        self.net = None               # a netns.Network when each node has its own namespace
        self.keep = keep
        self.pg_bindir = pg_bindir
        self.pgha_bin = pgha_bin or os.environ.get("PGHA_BIN") or DEFAULT_PGHA_BIN
        self.verbose = (os.environ.get("PGHALAB_VERBOSE") == "1") if verbose is None else verbose
        self.as_pg = is_root()
        self.ports = PortRegistry()
        self.detached = False
        self.closed = False
        self.spawned = []             # [(node_id, Popen)] extra processes (daemons)
        self._own_dir = base_dir is None
        if base_dir is None:
            self.dir = tempfile.mkdtemp(prefix="pghalab-", dir="/tmp")
        else:
            self.dir = os.path.abspath(base_dir)
            if os.path.exists(self.dir) and os.listdir(self.dir):
                raise LabError("lab directory %s exists and is not empty" % self.dir)
            os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.sock_dir = os.path.join(self.dir, "sock")
        self._mkdir(self.sock_dir)
        self._chown(self.dir)
        self.nodes = [Node(self, i) for i in range(1, nodes + 1)]
        with _LIVE_LOCK:
            _LIVE_LABS.append(self)
        _install_handlers()
        taken = set()
        try:
            if netns:
                # each node (PostgreSQL, pghad, commands run for it) in its
                # own network namespace with its own address (tests/lab/netns.py)
                if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
                    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
                import netns as _netns
                self.net = _netns.Network(nodes)
                self.net.setup()
                for node in self.nodes:
                    node.host = self.net.addr(node.id)
                    node.run_prefix = self.net.prefix(node.id)
            for node in self.nodes:
                node.port = self.ports.reserve(self.dir, taken)
                taken.add(node.port)
                node.http_port = self.ports.reserve(self.dir, taken)
                taken.add(node.http_port)
                self._mkdir(node.dir)
                self._mkdir(node.state_dir, mode=0o700)
                node.settings = self.default_settings(node)
                node.settings = merge_settings(node.settings, (node_config or {}).get(node.id))
                self.write_config(node)
        except BaseException:
            self.close()
            raise

    # ---- context manager
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- helpers
    def node(self, n):
        if isinstance(n, Node):
            return n
        if isinstance(n, str):
            for nd in self.nodes:
                if nd.name == n or "node%d" % nd.id == n:
                    return nd
            raise KeyError(n)
        return self.nodes[n - 1]

    def __getitem__(self, n):
        return self.node(n)

    def log(self, msg):
        if self.verbose:
            sys.stderr.write("[pghalab %s] %s\n" % (time.strftime("%H:%M:%S"), msg))

    def _chown(self, path):
        if self.as_pg:
            uid, gid = _pg_ids()
            try:
                os.chown(path, uid, gid)
            except OSError:
                pass

    def _mkdir(self, path, mode=0o755):
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        self._chown(path)

    def write_file(self, path, text, mode=0o644):
        """Write a file owned by the server user (so pgha can read/replace it)."""
        d = os.path.dirname(path)
        if d and not os.path.isdir(d):
            self._mkdir(d)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        self._chown(path)
        return path

    def mkdir(self, path, mode=0o700):
        """Create a directory owned by the server user."""
        self._mkdir(path, mode)
        return path

    # ---- the one place that decides how a command runs for a node
    def node_cmd(self, node, argv, as_pg=True):
        node = self.node(node) if node is not None else None
        prefix = list(node.run_prefix) if node is not None else []
        if as_pg and self.as_pg:
            prefix += ["runuser", "-u", PG_OS_USER, "--"]
        return prefix + [str(a) for a in argv]

    def _env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        for k in ("PGHA_BIN",):
            if k in os.environ:
                env[k] = os.environ[k]
        env.setdefault("LC_ALL", "C.UTF-8")
        if extra:
            env.update(extra)
        return env

    def run(self, node, argv, as_pg=True, check=True, timeout=60, env=None,
            input=None, what=None):
        cmd = self.node_cmd(node, argv, as_pg)
        self.log("$ " + " ".join(cmd))
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=timeout, env=self._env(env),
                               cwd=self.dir, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise LabError("%s: timed out after %ss: %s\nstdout:\n%s\nstderr:\n%s" % (
                what or "command", timeout, " ".join(cmd),
                _text(e.stdout), _text(e.stderr))) from None
        if check and r.returncode != 0:
            raise LabError("%s failed (exit %d): %s\nstdout:\n%s\nstderr:\n%s" % (
                what or "command", r.returncode, " ".join(cmd), r.stdout, r.stderr))
        return r

    def pg(self, prog):
        return os.path.join(self.pg_bindir, prog)

    # ---- configuration
    def default_settings(self, node):
        return {
            "node_id": node.id,
            "node_name": node.name,
            "conninfo": node.conninfo,
            "data_directory": node.data_dir,
            "pg_bindir": self.pg_bindir,
            "events": {"command": ""},
            "daemon": {
                "listen": "%s:%d" % (node.host, node.http_port),
                "state_dir": node.state_dir,
            },
        }

    def write_config(self, node, settings=None):
        node = self.node(node)
        if settings is not None:
            node.settings = settings
        if isinstance(node.settings.get("node_name"), str):
            node.name = node.settings["node_name"]
        self.write_file(node.config, render_toml(node.settings))
        return node.config

    def configure(self, node, **overrides):
        """Merge overrides into the node's settings and rewrite its config.
        Nested tables as dicts (events={"command": ...}); None deletes a key;
        raw="..." appends text; raw_top="..." inserts text before tables."""
        node = self.node(node)
        node.settings = merge_settings(node.settings, overrides)
        return self.write_config(node)

    def make_config(self, path, base_node=None, raw_text=None, **overrides):
        """Write an ad-hoc config file (not bound to a lab node).  Starts from
        base_node's settings when given; raw_text writes the file verbatim."""
        if raw_text is not None:
            return self.write_file(path, raw_text)
        base = self.node(base_node).settings if base_node is not None else {}
        return self.write_file(path, render_toml(merge_settings(base, overrides)))

    def config_text(self, node):
        with open(self.node(node).config) as f:
            return f.read()

    # ---- PostgreSQL lifecycle
    def init_primary(self, node=1):
        node = self.node(node)
        if os.path.exists(node.data_dir) and os.listdir(node.data_dir):
            raise LabError("%s: data directory %s is not empty" % (node.name, node.data_dir))
        self.run(node, [self.pg("initdb"), "-D", node.data_dir, "-A", "trust",
                        "--auth-local=trust", "-U", "postgres", "-E", "UTF8",
                        "--locale=C", "-N"], what="initdb %s" % node.name, timeout=120)
        self.append_pg_conf(node, self.base_pg_conf(node))
        with open(os.path.join(node.data_dir, "pg_hba.conf"), "a") as f:
            f.write("\n# pghalab\nhost all all 127.0.0.1/32 trust\n"
                    "host replication all 127.0.0.1/32 trust\n")
            if self.net is not None:
                f.write("host all all %s trust\nhost replication all %s trust\n"
                        % (self.net.subnet, self.net.subnet))
        self.start(node)
        self.psql(node, "CREATE ROLE pgha SUPERUSER LOGIN REPLICATION", dbname="postgres",
                  user="postgres")
        self.psql(node, "CREATE DATABASE pgha OWNER pgha", dbname="postgres", user="postgres")
        return node

    def base_pg_conf(self, node):
        return {
            "port": node.port,
            "listen_addresses": node.host,
            "unix_socket_directories": self.sock_dir,
            "wal_level": "replica",
            "max_wal_senders": 10,
            "max_replication_slots": 10,
            "hot_standby": "on",
            "wal_log_hints": "on",
            "logging_collector": "off",
            "fsync": "off",
            "shared_buffers": "32MB",
        }

    def node_pg_conf(self, node):
        """Settings that must differ per node after a clone copied the
        upstream's postgresql.conf."""
        return {
            "port": node.port,
            "listen_addresses": node.host,
            "unix_socket_directories": self.sock_dir,
        }

    def append_pg_conf(self, node, settings):
        node = self.node(node)
        lines = ["", "# pghalab"]
        for k, v in settings.items():
            if isinstance(v, int) and not isinstance(v, bool):
                lines.append("%s = %d" % (k, v))
            else:
                lines.append("%s = '%s'" % (k, str(v).replace("'", "''")))
        path = os.path.join(node.data_dir, "postgresql.conf")
        with open(path, "a") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, node, timeout=30):
        node = self.node(node)
        if node.pid and pid_alive(node.pid):
            raise LabError("%s already running (pid %d)" % (node.name, node.pid))
        cmd = self.node_cmd(node, [self.pg("pg_ctl"), "-D", node.data_dir, "-l", node.log,
                                   "-w", "-t", str(timeout), "start"])
        self.log("$ " + " ".join(cmd))
        # own session: a terminal ^C must reach us (we stop the server), not
        # the postmaster directly
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=timeout + 15, env=self._env(),
                               cwd=self.dir, stdin=subprocess.DEVNULL,
                               start_new_session=True)
        except subprocess.TimeoutExpired:
            r = None
        pid = read_postmaster_pid(node.data_dir)
        if pid and is_our_postmaster(pid, node.data_dir):
            node.pid = pid
            self._save_state()
        if r is None or r.returncode != 0:
            raise LabError("pg_ctl start %s failed%s\n%s\n--- %s (tail) ---\n%s" % (
                node.name, "" if r is None else " (exit %d)" % r.returncode,
                "" if r is None else r.stdout + r.stderr, node.log, self.log_tail(node)))
        if not node.pid:
            raise LabError("%s started but no postmaster.pid found" % node.name)
        return node.pid

    def adopt_pid(self, node):
        """Record the postmaster PID of a server started by someone else
        (e.g. by pgha itself) so that teardown stops it."""
        node = self.node(node)
        pid = read_postmaster_pid(node.data_dir)
        if pid and is_our_postmaster(pid, node.data_dir):
            node.pid = pid
            self._save_state()
        return node.pid

    def stop(self, node, mode="fast", timeout=30):
        node = self.node(node)
        if node.frozen:
            self.thaw(node)
        self.adopt_pid(node)
        r = self.run(node, [self.pg("pg_ctl"), "-D", node.data_dir, "-m", mode, "-w",
                            "-t", str(timeout), "stop"], check=False, timeout=timeout + 15)
        if node.pid:
            try:
                wait_for(lambda: not pid_alive(node.pid), 10, 0.05,
                         "%s postmaster %d to exit" % (node.name, node.pid))
            except LabError:
                self._kill(node)
        if r.returncode != 0 and node.pid and pid_alive(node.pid):
            raise LabError("pg_ctl stop %s failed: %s%s" % (node.name, r.stdout, r.stderr))
        node.pid = None
        self._save_state()
        return r

    def restart(self, node, mode="fast"):
        self.stop(node, mode)
        return self.start(node)

    def is_running(self, node):
        node = self.node(node)
        return bool(node.pid and pid_alive(node.pid))

    def _kill(self, node):
        pid = node.pid
        if pid and pid_alive(pid) and is_our_postmaster(pid, node.data_dir):
            try:
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                wait_for(lambda: not pid_alive(pid), 10, 0.05, "pid %d to die" % pid)
            except LabError:
                pass

    def freeze(self, node):
        """SIGSTOP the postmaster: new connections hang (TCP accepts, no reply)."""
        node = self.node(node)
        if not (node.pid and pid_alive(node.pid)):
            raise LabError("%s is not running" % node.name)
        os.kill(node.pid, signal.SIGSTOP)
        node.frozen = True

    def thaw(self, node):
        node = self.node(node)
        if node.pid and pid_alive(node.pid):
            os.kill(node.pid, signal.SIGCONT)
        node.frozen = False

    def log_tail(self, node, n=30):
        try:
            with open(self.node(node).log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    # ---- extra processes (daemons in later issues)
    def spawn(self, node, argv, log_path=None, env=None, as_pg=True):
        """Start a long-running process for node; teardown SIGTERMs, then
        SIGKILLs, exactly that PID."""
        node = self.node(node)
        cmd = self.node_cmd(node, argv, as_pg)
        out = open(log_path or os.path.join(node.dir, "spawn-%d.log" % len(self.spawned)), "ab")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=self._env(env), cwd=self.dir, start_new_session=True)
        out.close()
        self.spawned.append((node.id, p))
        self._save_state()
        return p

    def stop_spawned(self, proc, timeout=10):
        """SIGTERM, then SIGKILL, the spawned process's whole group (its own
        session): runuser stops itself when its child is SIGSTOPped (job
        control) and, killed while stopped, would orphan the child."""
        if proc.poll() is not None:
            return
        for sig in (signal.SIGCONT, signal.SIGTERM):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass

    # ---- SQL
    def psql_run(self, node, sql, dbname="pgha", user="pgha", timeout=30, check=False):
        node = self.node(node)
        return self.run(node, [self.pg("psql"), "-h", node.host, "-p", node.port, "-U", user,
                               "-d", dbname, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                        as_pg=True, check=check, timeout=timeout,
                        env={"PGCONNECT_TIMEOUT": "5"}, what="psql on %s" % node.name)

    def psql(self, node, sql, dbname="pgha", user="pgha", timeout=30):
        r = self.psql_run(node, sql, dbname, user, timeout, check=True)
        return r.stdout.strip()

    def wait_streaming(self, node, timeout=60):
        node = self.node(node)
        sql = "SELECT status FROM pg_stat_wal_receiver"
        return wait_for(lambda: self.psql(node, sql, dbname="postgres") == "streaming",
                        timeout, 0.2, "%s to stream from its upstream" % node.name)

    def wait_sql(self, node, sql, expected, timeout=30, dbname="pgha"):
        def check():
            r = self.psql_run(node, sql, dbname)
            return r.returncode == 0 and r.stdout.strip() == expected
        return wait_for(check, timeout, 0.1,
                        "%r on %s to return %r" % (sql, self.node(node).name, expected))

    # ---- observation helpers (used by the failover / follow / rejoin tests)
    def read_write_conninfo(self, nodes=None):
        """A libpq multi-host string over the nodes that connects to whichever
        accepts writes, as a load-balanced client would."""
        nodes = [self.node(n) for n in (nodes or range(1, len(self.nodes) + 1))]
        return ("host=%s port=%s user=pgha dbname=pgha connect_timeout=2 target_session_attrs=read-write"
                % (",".join(n.host for n in nodes), ",".join(str(n.port) for n in nodes)))

    def psql_conninfo(self, conninfo, sql, timeout=30, check=False):
        """psql with a whole libpq connection string (e.g. a multi-host
        string printed by `pgha cluster conninfo`)."""
        return self.run(None, [self.pg("psql"), "-d", conninfo, "-XAtq", "-v", "ON_ERROR_STOP=1",
                               "-c", sql], as_pg=True, check=check, timeout=timeout,
                        env={"PGCONNECT_TIMEOUT": "5"}, what="psql %r" % conninfo)

    def postmaster_start_time(self, node):
        """pg_postmaster_start_time() as text: changes exactly when the server restarts."""
        return self.psql(node, "SELECT pg_postmaster_start_time()", dbname="postgres")

    def in_recovery(self, node):
        return self.psql(node, "SELECT pg_is_in_recovery()", dbname="postgres") == "t"

    def timeline(self, node):
        """The timeline a primary writes on (from its current WAL file name,
        right after promotion too), or a standby's last checkpoint's /
        WAL receiver's timeline."""
        out = self.psql(node, "SELECT CASE WHEN pg_is_in_recovery() THEN coalesce("
                              "(SELECT received_tli FROM pg_stat_wal_receiver), "
                              "(SELECT timeline_id FROM pg_control_checkpoint())) "
                              "ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
                              "::bit(32)::int END", dbname="postgres")
        return int(out)

    def wal_receiver(self, node):
        """(status, sender_port) of the node's WAL receiver, or (None, None)."""
        out = self.psql(node, "SELECT status, sender_port FROM pg_stat_wal_receiver",
                        dbname="postgres")
        if not out:
            return (None, None)
        status, _, port = out.partition("|")
        return (status, int(port) if port.strip() else None)

    def wait_streaming_from(self, node, upstream, timeout=60, interval=0.1):
        """Wait until node's WAL receiver streams from upstream's port."""
        node, up = self.node(node), self.node(upstream)
        return wait_for(lambda: self.wal_receiver(node) == ("streaming", up.port), timeout,
                        interval, "%s to stream from %s (port %d)" % (node.name, up.name, up.port))

    def service_settings(self, node, timeout=60):
        """[service] commands that start the server with the lab's log file, so
        a server pgha starts (node rejoin, node service) logs where the lab's do."""
        node = self.node(node)
        ctl = self.pg("pg_ctl")
        return {
            "start_command": "%s -D %s -l %s -w -t %d start" % (ctl, node.data_dir, node.log, timeout),
            "restart_command": "%s -D %s -l %s -w -t %d -m fast restart" % (
                ctl, node.data_dir, node.log, timeout),
        }

    def use_lab_service(self, node, timeout=60):
        """Write service_settings() into the node's pgha.toml."""
        return self.configure(node, service=self.service_settings(node, timeout))

    def init_standalone(self, node):
        """A plain, non-replicated server with the pgha role and database (e.g.
        a witness); the same as init_primary, without registering anything."""
        return self.init_primary(node)

    def data_dir_fingerprint(self, node):
        """(sorted [(relpath, size, mtime_ns)], sha256 of global/pg_control):
        equal before and after a command that promised to change nothing."""
        import hashlib
        node = self.node(node)
        listing = []
        for root, dirs, files in os.walk(node.data_dir):
            for x in dirs + files:
                p = os.path.join(root, x)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                listing.append((os.path.relpath(p, node.data_dir), st.st_size, st.st_mtime_ns))
        try:
            with open(os.path.join(node.data_dir, "global", "pg_control"), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            digest = None
        return sorted(listing), digest

    def insert_rows(self, node, table, first, count, payload=0):
        """Batch writer: INSERT ids first..first+count-1 into table(id int
        primary key, v text) (created if missing) in one transaction; payload
        bytes of filler per row make WAL on purpose."""
        self.psql(node, "CREATE TABLE IF NOT EXISTS %s (id int PRIMARY KEY, v text)" % table)
        self.psql(node, "INSERT INTO %s SELECT g, repeat('x', %d) FROM generate_series(%d, %d) g"
                  % (table, int(payload), int(first), int(first) + int(count) - 1), timeout=120)
        return list(range(first, first + count))

    def ids(self, node, table):
        out = self.psql(node, "SELECT id FROM %s ORDER BY id" % table)
        return [int(x) for x in out.split()] if out else []

    def writer(self, target, table, **kw):
        """A continuous writer (see Writer); target is a node or a conninfo."""
        return Writer(self, target, table, **kw)

    # ---- pgha
    def pgha_raw(self, args, check=False, timeout=60, env=None, node=None):
        """Run the pgha CLI with exactly `args` (no -f)."""
        r = self.run(node, [self.pgha_bin] + [str(a) for a in args], as_pg=True,
                     check=False, timeout=timeout, env=env, what="pgha")
        if check and r.returncode != 0:
            raise LabError("pgha %s failed (exit %d)\nstdout:\n%s\nstderr:\n%s" % (
                " ".join(str(a) for a in args), r.returncode, r.stdout, r.stderr))
        return r

    def pgha(self, node, *args, check=False, timeout=60, env=None, config=None):
        node = self.node(node)
        return self.pgha_raw(["-f", config or node.config] + list(args), check=check,
                             timeout=timeout, env=env, node=node)

    def pgha_json(self, node, *args, timeout=60):
        r = self.pgha(node, *args, "--json", check=True, timeout=timeout)
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            raise LabError("pgha %s --json printed invalid JSON (%s):\n%s" % (
                " ".join(args), e, r.stdout)) from None

    # ---- cluster building (the real way, with pgha)
    def clone_standby(self, node, upstream=1, extra_args=()):
        node = self.node(node)
        up = self.node(upstream)
        self.pgha(node, "standby", "clone", "-h", up.host, "-p", up.port, "-U", "pgha",
                  "-d", "pgha", "--fast-checkpoint", *extra_args, check=True, timeout=300)
        if not os.path.isfile(os.path.join(node.data_dir, "PG_VERSION")):
            raise LabError("pgha standby clone for %s left no PG_VERSION in %s" % (
                node.name, node.data_dir))
        self.append_pg_conf(node, self.node_pg_conf(node))
        return node

    def daemon_config(self, failover=None):
        """Per-node settings for running pghad: a cluster secret, pg_ctl as the
        start command (logging to the node's server log), `failover` timings."""
        secret = self.write_file(os.path.join(self.dir, "cluster.secret"), secrets.token_hex(32) + "\n", mode=0o600)
        config = {}
        for node in self.nodes:
            service = {"start_command": "%s -D %s -l %s -w -t 60 start" % (self.pg("pg_ctl"), node.data_dir, node.log)}
            config[node.id] = {"daemon": {"secret_file": secret}, "service": service}
            if failover:
                config[node.id]["failover"] = dict(failover)
        return config

    def start_daemons(self, pghad, timeout=20):
        """pghad on every node, logging to NODE/pghad.log; waits until each answers /health."""
        for node in self.nodes:
            self.spawn(node, [pghad, "-f", node.config], log_path=os.path.join(node.dir, "pghad.log"))
        for node in self.nodes:
            url = "http://%s:%d/health" % (node.host, node.http_port)
            wait_for(lambda: _answers(url), timeout, 0.1)

    def build_cluster(self, standbys=None, config=None, upstream=1):
        """init node1 as primary, register it, clone+start+register standbys.
        config: {node_id: overrides} applied (configure) before use."""
        if standbys is None:
            standbys = self.n - 1
        if standbys > self.n - 1:
            raise LabError("lab has %d nodes, cannot build %d standbys" % (self.n, standbys))
        for nid, ov in (config or {}).items():
            self.configure(nid, **ov)
        primary = self.node(upstream)
        self.init_primary(primary)
        self.pgha(primary, "primary", "register", check=True)
        for node in self.nodes:
            if node is primary or standbys <= 0:
                continue
            standbys -= 1
            self.clone_standby(node, primary)
            self.start(node)
            self.wait_streaming(node)
            self.pgha(node, "standby", "register", check=True)
        return self

    # ---- state file (lab.json) and teardown
    def to_json(self):
        return {
            "dir": self.dir,
            "pgha_bin": self.pgha_bin,
            "pg_bindir": self.pg_bindir,
            "as_postgres_user": self.as_pg,
            "sock_dir": self.sock_dir,
            "nodes": [n.to_json() for n in self.nodes],
            "spawned_pids": [p.pid for _, p in self.spawned if p.poll() is None],
            "owner_pid": os.getpid(),
        }

    def _save_state(self):
        if self.closed or not os.path.isdir(self.dir):
            return
        path = os.path.join(self.dir, "lab.json")
        tmp = path + ".tmp"
        try:
            with open(tmp, "w") as f:
                json.dump(self.to_json(), f, indent=2)
                f.write("\n")
            os.replace(tmp, path)
        except OSError:
            pass

    def detach(self):
        """Leave the cluster running after this process exits (lab up)."""
        self.detached = True
        for n in self.nodes:
            self.ports.adopt(n.port, self.dir)
            self.ports.adopt(n.http_port, self.dir)
        self._save_state()
        with _LIVE_LOCK:
            if self in _LIVE_LABS:
                _LIVE_LABS.remove(self)

    def close(self):
        if self.closed or self.detached:
            return
        # thaw everything first: pg_ctl cannot stop a stopped process
        for node in self.nodes:
            if node.frozen:
                try:
                    self.thaw(node)
                except OSError:
                    pass
        for _, p in self.spawned:
            self.stop_spawned(p)
        for node in self.nodes:
            self.adopt_pid(node) if node.pid is None else None
            if node.pid and pid_alive(node.pid):
                try:
                    self.run(node, [self.pg("pg_ctl"), "-D", node.data_dir, "-m", "immediate",
                                    "-w", "-t", "10", "stop"], check=False, timeout=20)
                except LabError:
                    pass
                try:
                    wait_for(lambda: not pid_alive(node.pid), 5, 0.05)
                except LabError:
                    self._kill(node)
            node.pid = None
        self.closed = True
        if self.net is not None:
            try:
                self.net.teardown()
            except Exception as e:  # noqa: BLE001
                sys.stderr.write("pghalab: network teardown failed: %s\n" % e)
        for node in self.nodes:
            self.ports.release(node.port)
            self.ports.release(node.http_port)
        with _LIVE_LOCK:
            if self in _LIVE_LABS:
                _LIVE_LABS.remove(self)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            sys.stderr.write("pghalab: kept lab directory %s\n" % self.dir)


class Writer:
    """A client that keeps writing: one INSERT per psql call into
    table(id int primary key, v text), ids 1, 2, 3...; remembers every id
    whose INSERT was acknowledged (psql exit 0).  target is a node, or a
    conninfo string (e.g. multi-host with target_session_attrs=read-write,
    like a load-balanced client).  Use as a context manager or start()/stop()."""

    def __init__(self, lab, target, table, interval=0.05, first_id=1):
        self.lab = lab
        self.target = target
        self.table = table
        self.interval = interval
        self.next_id = first_id
        self.acked = []
        self.acked_at = {}  # id -> time.monotonic() of its acknowledgment
        self.acked_by = {}  # id -> port of the server that acknowledged it
        self.failed = 0
        self._stop = threading.Event()
        self._thread = None

    def _sql(self, sql):
        if isinstance(self.target, str) and "=" in self.target:
            return self.lab.psql_conninfo(self.target, sql, timeout=15)
        return self.lab.psql_run(self.target, sql, timeout=15)

    def write_one(self):
        i = self.next_id
        self.next_id += 1
        try:
            r = self._sql("INSERT INTO %s VALUES (%d, 'writer') RETURNING inet_server_port()" % (self.table, i))
            ok = r.returncode == 0
        except LabError:
            ok = False
        if ok:
            self.acked.append(i)
            self.acked_at[i] = time.monotonic()
            self.acked_by[i] = int(r.stdout.strip() or 0)
        else:
            self.failed += 1
        return ok

    def _loop(self):
        while not self._stop.is_set():
            self.write_one()
            self._stop.wait(self.interval)

    def start(self):
        r = self._sql("CREATE TABLE IF NOT EXISTS %s (id int PRIMARY KEY, v text)" % self.table)
        if r.returncode != 0:
            raise LabError("writer: cannot create %s: %s" % (self.table, r.stderr))
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(30)
        return self.acked

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _text(b):
    if b is None:
        return ""
    if isinstance(b, bytes):
        return b.decode(errors="replace")
    return b


# ---------------------------------------------------------------- CLI

def down(lab_dir, quiet=False):
    """Stop exactly the PIDs recorded in DIR/lab.json, then remove DIR."""
    path = os.path.join(lab_dir, "lab.json")
    try:
        with open(path) as f:
            state = json.load(f)
    except (OSError, ValueError) as e:
        raise LabError("%s: cannot read lab state (%s); is %s a pghalab directory?" % (
            path, e, lab_dir)) from None
    pg_ctl = os.path.join(state.get("pg_bindir") or PG_BINDIR, "pg_ctl")
    prefix_pg = ["runuser", "-u", PG_OS_USER, "--"] if is_root() else []
    for pid in state.get("spawned_pids") or []:
        if pid_alive(pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    # The daemons (spawned) go first, so none sees its server stop and acts on it.
    try:
        wait_for(lambda: not any(pid_alive(p) for p in state.get("spawned_pids") or []), 10, 0.05)
    except LabError:
        pass
    for n in state.get("nodes", []):
        pid, data_dir = n.get("pid"), n.get("data_dir")
        if not pid or not pid_alive(pid) or not is_our_postmaster(pid, data_dir):
            if not quiet:
                print("%s: not running" % n.get("name"))
            continue
        if read_postmaster_pid(data_dir) == pid:
            subprocess.run(list(n.get("run_prefix") or []) + prefix_pg +
                           [pg_ctl, "-D", data_dir, "-m", "fast", "-w", "-t", "30", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, timeout=45, cwd="/")
        try:
            wait_for(lambda: not pid_alive(pid), 10, 0.05)
        except LabError:
            if is_our_postmaster(pid, data_dir):
                os.kill(pid, signal.SIGKILL)
                try:
                    wait_for(lambda: not pid_alive(pid), 10, 0.05)
                except LabError:
                    pass
        if not quiet:
            print("%s: stopped (pid %d)" % (n.get("name"), pid))
    for pid in state.get("spawned_pids") or []:
        if pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    reg = PortRegistry()
    for n in state.get("nodes", []):
        for p in (n.get("port"), n.get("http_port")):
            if p:
                reg.release(p)
    shutil.rmtree(lab_dir, ignore_errors=True)
    if not quiet:
        print("removed %s" % lab_dir)


def running_pids(lab_dir):
    """Recorded postmaster PIDs in DIR/lab.json that are still alive."""
    try:
        with open(os.path.join(lab_dir, "lab.json")) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return []
    return [n["pid"] for n in state.get("nodes", [])
            if n.get("pid") and pid_alive(n["pid"]) and is_our_postmaster(n["pid"], n["data_dir"])]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="pghalab.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="build a cluster with pgha and leave it running")
    up.add_argument("--nodes", type=int, default=3)
    up.add_argument("--dir", required=True)
    up.add_argument("-v", "--verbose", action="store_true")
    up.add_argument("-q", "--quiet", action="store_true",
                    help="print only the node table (no usage hints)")
    up.add_argument("--daemons", action="store_true",
                    help="start pghad on every node (PGHAD_BIN, default build/daemon/pghad)")
    dn = sub.add_parser("down", help="stop a cluster made by 'up' and remove its directory")
    dn.add_argument("--dir", required=True)
    st = sub.add_parser("status", help="exit 0 if DIR holds a running lab")
    st.add_argument("--dir", required=True)
    a = ap.parse_args(argv)

    if a.cmd == "down":
        if not os.path.exists(a.dir):
            print("%s does not exist; nothing to stop" % a.dir)
            return 0
        try:
            down(a.dir)
        except LabError as e:
            print("pghalab down: %s" % e, file=sys.stderr)
            return 1
        return 0

    if a.cmd == "status":
        pids = running_pids(a.dir)
        print("running postmasters: %s" % (" ".join(map(str, pids)) or "none"))
        return 0 if pids else 1

    # up
    d = os.path.abspath(a.dir)
    if os.path.exists(d) and os.listdir(d):
        if running_pids(d):
            print("pghalab up: %s already holds a running cluster; stop it with:\n"
                  "  python3 %s down --dir %s" % (d, os.path.abspath(__file__), d),
                  file=sys.stderr)
        else:
            print("pghalab up: %s exists and is not empty; remove it or choose another --dir"
                  % d, file=sys.stderr)
        return 1
    if a.nodes < 1:
        print("pghalab up: --nodes must be >= 1", file=sys.stderr)
        return 1
    if not os.access(DEFAULT_PGHA_BIN if not os.environ.get("PGHA_BIN") else os.environ["PGHA_BIN"], os.X_OK):
        print("pghalab up: pgha binary not found at %s (build first, or set PGHA_BIN)" % (
            os.environ.get("PGHA_BIN") or DEFAULT_PGHA_BIN), file=sys.stderr)
        return 1
    pghad = os.environ.get("PGHAD_BIN") or DEFAULT_PGHAD_BIN
    if a.daemons and not os.access(pghad, os.X_OK):
        print("pghalab up: pghad binary not found at %s (build first, or set PGHAD_BIN)" % pghad, file=sys.stderr)
        return 1
    lab = Lab(nodes=a.nodes, base_dir=d, verbose=a.verbose)
    try:
        t0 = time.monotonic()
        lab.build_cluster(standbys=a.nodes - 1, config=lab.daemon_config() if a.daemons else None)
        if a.daemons:
            lab.start_daemons(pghad)
        lab.detach()
    except BaseException as e:
        print("pghalab up: %s" % e, file=sys.stderr)
        lab.close()
        return 1
    run_as = "runuser -u %s -- " % PG_OS_USER if is_root() else ""
    print("pghalab: %d-node cluster up in %.1fs, state in %s" % (
        a.nodes, time.monotonic() - t0, os.path.join(d, "lab.json")))
    for n in lab.nodes:
        print("  %-6s %-8s port %-5d pid %-7s config %s%s" % (
            n.name, "primary" if n.id == 1 else "standby", n.port, n.pid, n.config,
            "  pghad http://%s:%d log %s" % (n.host, n.http_port, os.path.join(n.dir, "pghad.log"))
            if a.daemons else ""))
    if a.quiet:
        return 0
    print("use it:\n  %s%s -f %s cluster show" % (run_as, lab.pgha_bin, lab.nodes[0].config))
    print("  %s -h 127.0.0.1 -p %d -U pgha pgha" % (os.path.join(PG_BINDIR, "psql"),
                                                    lab.nodes[0].port))
    print("stop it:\n  python3 %s down --dir %s" % (os.path.abspath(__file__), d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
