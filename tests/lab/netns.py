"""netns: a private network of Linux network namespaces for pghalab (root only).

One bridge on the host with a host-side address, one namespace per node with
a veth whose other end is on the bridge, and an nftables table in every node
namespace through which the faults are made (cuts, one-way drops, packet
loss), so the host side keeps reaching a node when a fault needs it.

    net = Network(3)          # picks an unused 10.231.Y.0/24
    net.setup()
    net.prefix(1)             # ["ip", "netns", "exec", NS1]: run a command in node1
    net.addr(1)               # node1's address
    net.isolate(1)            # node1 reaches nobody, nobody reaches it (host included)
    net.cut(1, [2, 3])        # node1 <-> node2/node3 dropped; the host still reaches node1
    net.drop_one_way(1, [2], "input")   # packets from node2 to node1 dropped
    net.loss(1, 30)           # 30% of node1's packets dropped each way
    net.heal()                # every rule removed
    net.teardown()            # processes left in the namespaces killed, all removed

Names carry the creating process's PID and a per-process letter
(pgpn<pid><c><i> namespaces, pgpb<pid><c> bridge, pgpv<pid><c>n<i> host-side
veths), so two runs never clash, and `remove_stale()` (called by setup)
deletes what a dead run left behind. Nothing else on the machine is touched:
the subnet is checked against every route and address first.
"""
import ipaddress
import os
import re
import signal
import subprocess
import threading
import time

import pghalab  # the lab imports this module lazily, so no cycle at load time

PREFIX = "pgp"
_STALE = re.compile(r"^%s[nbv](\d+)([a-zA-Z])" % PREFIX)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_counter = [0]
_counter_lock = threading.Lock()
TABLE = "pghalab"
IFACE = "e0"  # the node's interface inside its namespace


class NetError(RuntimeError):
    pass


def _ip(*args, check=True, timeout=20):
    r = subprocess.run(["ip"] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise NetError("ip %s failed (exit %d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr.strip()))
    return r


def available():
    """(True, "") when namespaces can be made here, else (False, why)."""
    if os.geteuid() != 0:
        return False, "these tests need root for network namespaces"
    for tool in ("ip", "nft"):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in
                   os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":") + ["/usr/sbin", "/sbin"]):
            return False, "%s is not installed (scripts/install-deps.sh installs it)" % tool
    return True, ""


def namespace_pids(ns):
    r = _ip("netns", "pids", ns, check=False)
    return [int(x) for x in r.stdout.split() if x.isdigit()]


def kill_namespace_processes(ns, timeout=10):
    """SIGKILL whatever still runs in one of our namespaces (a leftover the
    lab started there), and wait for it to go."""
    deadline = time.monotonic() + timeout
    while True:
        pids = namespace_pids(ns)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)


def remove_stale():
    """Delete namespaces, bridges and veths of our prefix whose creating
    process is gone (a run killed with SIGKILL cannot clean up)."""
    removed = []
    r = _ip("netns", "list", check=False)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = _STALE.match(name)
        if m and int(m.group(1)) != os.getpid() and not pghalab.pid_alive(int(m.group(1))):
            kill_namespace_processes(name)
            _ip("netns", "del", name, check=False)
            removed.append(name)
    r = _ip("-o", "link", "show", check=False)
    for line in r.stdout.splitlines():
        parts = line.split(":")
        if len(parts) < 2:
            continue
        name = parts[1].strip().split("@")[0]
        m = _STALE.match(name)
        if m and int(m.group(1)) != os.getpid() and not pghalab.pid_alive(int(m.group(1))):
            _ip("link", "del", name, check=False)
            removed.append(name)
    return removed


def _used_networks():
    nets = []
    for args in (("-4", "route", "show", "table", "all"), ("-4", "-o", "addr", "show")):
        r = _ip(*args, check=False)
        for tok in r.stdout.split():
            if re.match(r"^\d+\.\d+\.\d+\.\d+(/\d+)?$", tok):
                try:
                    nets.append(ipaddress.ip_network(tok, strict=False))
                except ValueError:
                    pass
    return nets


class Network:
    def __init__(self, nodes, base="10.231"):
        with _counter_lock:
            letter = _LETTERS[_counter[0] % len(_LETTERS)]
            _counter[0] += 1
        self.tag = "%d%s" % (os.getpid(), letter)
        self.n = nodes
        self.base = base
        self.bridge = "%sb%s" % (PREFIX, self.tag)
        self.subnet = None
        self.host_addr = None
        self.up = False
        self._flap = {}
        self.rules = {i: ([], []) for i in range(1, nodes + 1)}

    # ---- names and addresses
    def ns(self, i):
        return "%sn%s%d" % (PREFIX, self.tag, i)

    def host_veth(self, i):
        return "%sv%sn%d" % (PREFIX, self.tag, i)

    def addr(self, i):
        return str(self.subnet.network_address + 10 + i)

    def prefix(self, i):
        return ["ip", "netns", "exec", self.ns(i)]

    def _pick_subnet(self):
        used = _used_networks()
        start = (os.getpid() * 7 + _counter[0]) % 250
        for k in range(250):
            y = (start + k) % 250 + 1
            cand = ipaddress.ip_network("%s.%d.0/24" % (self.base, y))
            if not any(cand.overlaps(u) for u in used if u.prefixlen > 0):
                return cand
        raise NetError("no free %s.Y.0/24 subnet" % self.base)

    # ---- life cycle
    def setup(self):
        remove_stale()
        self.subnet = self._pick_subnet()
        self.host_addr = str(self.subnet.network_address + 1)
        self.up = True  # from here on teardown() has something to remove
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", "%s/24" % self.host_addr, "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for i in range(1, self.n + 1):
            ns, hv = self.ns(i), self.host_veth(i)
            _ip("netns", "add", ns)
            _ip("link", "add", hv, "type", "veth", "peer", "name", IFACE, "netns", ns)
            _ip("link", "set", hv, "master", self.bridge, "up")
            _ip("-n", ns, "addr", "add", "%s/24" % self.addr(i), "dev", IFACE)
            _ip("-n", ns, "link", "set", IFACE, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            self._nft(i, "add table inet %s\n"
                         "add chain inet %s input { type filter hook input priority 0; policy accept; }\n"
                         "add chain inet %s output { type filter hook output priority 0; policy accept; }\n"
                      % (TABLE, TABLE, TABLE))
        # every node answers the host and every other node
        for i in range(1, self.n + 1):
            self.wait_reachable(i)
        return self

    def wait_reachable(self, i, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            r = subprocess.run(["ping", "-c", "1", "-W", "1", self.addr(i)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise NetError("node%d (%s) does not answer ping from the host" % (i, self.addr(i)))
            time.sleep(0.2)

    def teardown(self):
        if not self.up:
            return
        for t in list(self._flap.values()):
            t[0].set()
        for i in range(1, self.n + 1):
            ns = self.ns(i)
            if os.path.exists("/run/netns/%s" % ns):
                kill_namespace_processes(ns)
                _ip("netns", "del", ns, check=False)
        for i in range(1, self.n + 1):
            _ip("link", "del", self.host_veth(i), check=False)
        _ip("link", "del", self.bridge, check=False)
        self.up = False

    # ---- nftables
    def _nft(self, i, script):
        r = subprocess.run(["ip", "netns", "exec", self.ns(i), "nft", "-f", "-"], input=script, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        if r.returncode != 0:
            raise NetError("nft in %s failed: %s\n%s" % (self.ns(i), r.stderr.strip(), script))

    def set_rules(self, i, input_rules=(), output_rules=()):
        """Replace node i's rules atomically (one nft transaction)."""
        script = "flush chain inet %s input\nflush chain inet %s output\n" % (TABLE, TABLE)
        for r in input_rules:
            script += "add rule inet %s input %s\n" % (TABLE, r)
        for r in output_rules:
            script += "add rule inet %s output %s\n" % (TABLE, r)
        self._nft(i, script)
        self.rules[i] = (list(input_rules), list(output_rules))

    def _set(self, addrs):
        return "{ %s }" % ", ".join(addrs)

    def isolate(self, i):
        """Node i is cut from everyone, the host side included (its own
        processes still talk over its loopback)."""
        self.set_rules(i, ['iifname "%s" drop' % IFACE], ['oifname "%s" drop' % IFACE])

    def cut(self, i, peers):
        """Node i <-> each peer node dropped both ways, at node i; the host
        and the other nodes still reach node i."""
        a = self._set(self.addr(p) for p in peers)
        self.set_rules(i, ["ip saddr %s drop" % a], ["ip daddr %s drop" % a])

    def cut_host(self, i):
        """Node i cannot reach the host side (e.g. its ping target), nor the
        host it; the other nodes still reach it."""
        self.set_rules(i, ["ip saddr %s drop" % self.host_addr], ["ip daddr %s drop" % self.host_addr])

    def drop_one_way(self, i, peers, chain):
        """chain "input": packets from the peers to node i are dropped;
        "output": packets from node i to the peers are dropped. The other
        direction passes."""
        a = self._set(self.addr(p) for p in peers)
        if chain == "input":
            self.set_rules(i, ["ip saddr %s drop" % a], [])
        elif chain == "output":
            self.set_rules(i, [], ["ip daddr %s drop" % a])
        else:
            raise ValueError(chain)

    def loss(self, i, percent):
        """percent% of node i's packets dropped at random, each way."""
        rule = 'iifname "%s" numgen random mod 100 < %d drop' % (IFACE, int(percent))
        self.set_rules(i, [rule], [rule.replace("iifname", "oifname")])

    def heal(self, i=None):
        for k in ([i] if i else range(1, self.n + 1)):
            self.stop_flapping(k)
            self.set_rules(k)

    def flap(self, i, period=2.0, duration=30.0):
        """In a thread: node i isolated for `period`, healed for `period`, ...
        for `duration` seconds; healed at the end."""
        stop = threading.Event()

        def loop():
            end = time.monotonic() + duration
            down = True
            while not stop.is_set() and time.monotonic() < end:
                try:
                    self.isolate(i) if down else self.set_rules(i)
                except NetError:
                    return
                down = not down
                stop.wait(min(period, max(0.0, end - time.monotonic())))
            try:
                self.set_rules(i)
            except NetError:
                pass

        t = threading.Thread(target=loop, daemon=True)
        self._flap[i] = (stop, t)
        t.start()
        return t

    def stop_flapping(self, i):
        f = self._flap.pop(i, None)
        if f:
            f[0].set()
            f[1].join(10)

    # ---- delay (netem)
    def netem_available(self, i=1):
        """Whether tc's netem qdisc exists in this kernel (tried at run time
        on node i's loopback, removed at once)."""
        r = subprocess.run(self.prefix(i) + ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode == 0:
            subprocess.run(self.prefix(i) + ["tc", "qdisc", "del", "dev", "lo", "root"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return True, ""
        return False, (r.stderr.strip() or "tc failed")

    def delay(self, i, ms, jitter_ms=0):
        r = subprocess.run(self.prefix(i) + ["tc", "qdisc", "replace", "dev", IFACE, "root", "netem", "delay",
                                             "%dms" % ms] + (["%dms" % jitter_ms] if jitter_ms else []),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise NetError("netem delay on node%d: %s" % (i, r.stderr.strip()))

    def undelay(self, i):
        subprocess.run(self.prefix(i) + ["tc", "qdisc", "del", "dev", IFACE, "root"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
