#!/usr/bin/python3
"""Bad configs, refused actions and usage errors: a clear message on stderr,
the documented exit code (1 usage/config, 2 cannot connect, 3 refused), and
nothing changed."""
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, describe, main, unused_port  # noqa: E402

SECRET = "Sup3rS3cretPw"


class BadInputTest(LabTestCase):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        lab.build_cluster(standbys=2)
        cls.cfgdir = lab.mkdir(os.path.join(lab.dir, "configs"), 0o755)

    # ---- helpers
    def nodes_snapshot(self):
        return (self.lab.psql(1, "SELECT count(*) FROM pgha.nodes"),
                self.lab.psql(1, "SELECT n::text FROM pgha.nodes n ORDER BY 1"))

    def cfg(self, name, base_node=None, raw_text=None, **overrides):
        return self.lab.make_config(os.path.join(self.cfgdir, name), base_node=base_node,
                                    raw_text=raw_text, **overrides)

    def run_cfg(self, path, *args, node=1):
        return self.lab.pgha(node, *args, config=path)

    def assertFails(self, r, code, *needles, ci=False):
        self.assertEqual(r.returncode, code, describe(r))
        self.assertTrue(r.stderr.strip(), "no message on stderr" + describe(r))
        hay = r.stderr.lower() if ci else r.stderr
        for n in needles:
            self.assertIn(n.lower() if ci else n, hay, describe(r))

    def listing(self, path):
        out = []
        for root, dirs, files in os.walk(path):
            for x in dirs + files:
                p = os.path.join(root, x)
                st = os.lstat(p)
                out.append((os.path.relpath(p, path), st.st_size, st.st_mtime_ns))
        return sorted(out)

    # ---- configuration errors (exit 1)
    def test_config_malformed_toml(self):
        before = self.nodes_snapshot()
        text = ('node_id = 1\n'
                'node_name = "node1"\n'
                'conninfo = "%s"\n'
                'data_directory = "%s\n'          # line 4: unterminated string
                'pg_bindir = "/usr/lib/postgresql/15/bin"\n' % (
                    self.lab[1].conninfo, self.lab[1].data_dir))
        path = self.cfg("malformed.toml", raw_text=text)
        r = self.run_cfg(path, "cluster", "show")
        self.assertFails(r, 1, path)
        self.assertRegex(r.stderr, r"line 4\b", describe(r))
        r = self.run_cfg(path, "primary", "register")
        self.assertFails(r, 1, path)
        self.assertEqual(self.nodes_snapshot(), before)

    def test_config_unknown_key(self):
        before = self.nodes_snapshot()
        path = self.cfg("typo.toml", base_node=3, node_nmae="x")
        with open(path) as f:
            lineno = [i for i, l in enumerate(f, 1) if l.startswith("node_nmae")][0]
        r = self.run_cfg(path, "standby", "register", "--force")
        self.assertFails(r, 1, "node_nmae", "node_name", path)
        self.assertIn("did you mean", r.stderr.lower(), describe(r))
        self.assertRegex(r.stderr, r"line %d\b" % lineno, describe(r))
        self.assertEqual(self.nodes_snapshot(), before)

    def test_config_unknown_key_in_table(self):
        path = self.cfg("typo2.toml", base_node=1, events={"comand": "x"})
        r = self.run_cfg(path, "cluster", "show")
        self.assertFails(r, 1, "comand", "command")
        self.assertIn("did you mean", r.stderr.lower(), describe(r))

    def test_config_missing_node_id(self):
        before = self.nodes_snapshot()
        path = self.cfg("noid.toml", base_node=3, node_id=None)
        with open(path) as f:
            self.assertNotIn("node_id", f.read())
        r = self.run_cfg(path, "standby", "register", "--force")
        self.assertFails(r, 1, "node_id", path)
        self.assertEqual(self.nodes_snapshot(), before)

    def test_config_bad_duration(self):
        path = self.cfg("duration.toml", base_node=1,
                        failover={"monitor_interval": "5 parsecs"})
        r = self.run_cfg(path, "cluster", "show")
        self.assertFails(r, 1, "monitor_interval", path)

    def test_config_file_missing(self):
        path = os.path.join(self.cfgdir, "does-not-exist.toml")
        r = self.run_cfg(path, "cluster", "show")
        self.assertFails(r, 1, path)

    # ---- refused actions (exit 3), nothing changed
    def test_duplicate_node_id(self):
        before = self.nodes_snapshot()
        # node3's server, but claiming node_id 1 (the primary's id)
        path = self.cfg("dup-id.toml", base_node=3, node_id=1, node_name="node3x")
        r = self.run_cfg(path, "standby", "register")
        self.assertFails(r, 3)
        self.assertRegex(r.stderr.lower(), r"(already|duplicate|in use|exists)", describe(r))
        self.assertRegex(r.stderr, r"\b1\b|node1", describe(r))
        self.assertEqual(self.nodes_snapshot(), before)
        # --force does not allow stealing another node's id either
        r = self.run_cfg(path, "standby", "register", "--force")
        self.assertNotEqual(r.returncode, 0, describe(r))
        self.assertEqual(self.nodes_snapshot(), before)

    def test_duplicate_node_name(self):
        before = self.nodes_snapshot()
        path = self.cfg("dup-name.toml", base_node=3, node_id=9, node_name="node2")
        r = self.run_cfg(path, "standby", "register")
        self.assertFails(r, 3, "node2")
        self.assertRegex(r.stderr.lower(), r"(already|duplicate|in use|exists)", describe(r))
        self.assertEqual(self.nodes_snapshot(), before)

    def test_primary_register_on_standby(self):
        before = self.nodes_snapshot()
        r = self.lab.pgha(2, "primary", "register")
        self.assertFails(r, 3)
        self.assertRegex(r.stderr.lower(), r"standby|recovery", describe(r))
        self.assertEqual(self.nodes_snapshot(), before)

    def test_standby_register_on_primary(self):
        before = self.nodes_snapshot()
        r = self.lab.pgha(1, "standby", "register")
        self.assertFails(r, 3)
        self.assertRegex(r.stderr.lower(), r"primary|not in recovery|not a standby", describe(r))
        self.assertEqual(self.nodes_snapshot(), before)

    def fresh_node_config(self, name, node_id, data_dir):
        return self.cfg(name, base_node=3, node_id=node_id, node_name="fresh%d" % node_id,
                        data_directory=data_dir,
                        conninfo="host=127.0.0.1 port=%d user=pgha dbname=pgha "
                                 "connect_timeout=2" % unused_port())

    def test_clone_into_non_empty_dir(self):
        lab = self.lab
        d = lab.mkdir(os.path.join(lab.dir, "fresh5", "data"))
        lab.write_file(os.path.join(d, "keepme.txt"), "precious\n")
        path = self.fresh_node_config("fresh5.toml", 5, d)
        before = self.listing(d)
        nodes_before = self.nodes_snapshot()
        r = self.run_cfg(path, "standby", "clone", "-h", "127.0.0.1", "-p", lab[1].port,
                         "-U", "pgha", "-d", "pgha")
        self.assertFails(r, 3, d)
        self.assertIn("--force", r.stderr, "the message should say how to override" + describe(r))
        self.assertEqual(self.listing(d), before)
        with open(os.path.join(d, "keepme.txt")) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assertEqual(self.nodes_snapshot(), nodes_before)
        # the same via -D on the command line
        r = self.run_cfg(path, "standby", "clone", "-h", "127.0.0.1", "-p", lab[1].port,
                         "-U", "pgha", "-d", "pgha", "-D", d)
        self.assertFails(r, 3)
        self.assertEqual(self.listing(d), before)

    def test_clone_from_nothing_listening(self):
        lab = self.lab
        d = lab.mkdir(os.path.join(lab.dir, "fresh6", "data"))
        path = self.fresh_node_config("fresh6.toml", 6, d)
        port = unused_port()
        r = self.run_cfg(path, "standby", "clone", "-h", "127.0.0.1", "-p", port,
                         "-U", "pgha", "-d", "pgha")
        self.assertFails(r, 2, "127.0.0.1", str(port))
        self.assertEqual(os.listdir(d), [])

    def test_clone_dry_run(self):
        lab = self.lab
        d = lab.mkdir(os.path.join(lab.dir, "fresh7", "data"))
        path = self.fresh_node_config("fresh7.toml", 7, d)
        ev_before = lab.psql(1, "SELECT count(*) FROM pgha.events")
        r = self.run_cfg(path, "standby", "clone", "-h", "127.0.0.1", "-p", lab[1].port,
                         "-U", "pgha", "-d", "pgha", "--dry-run")
        self.assertEqual(r.returncode, 0, describe(r))
        out = r.stdout + r.stderr
        self.assertTrue(len(out.strip().splitlines()) >= 2, "dry run should print its checks"
                        + describe(r))
        self.assertEqual(os.listdir(d), [], "dry run wrote into the data directory")
        self.assertEqual(lab.psql(1, "SELECT count(*) FROM pgha.events"), ev_before)
        # a dry run that would fail (non-empty dir) is refused with 3
        lab.write_file(os.path.join(d, "keepme.txt"), "x\n")
        r = self.run_cfg(path, "standby", "clone", "-h", "127.0.0.1", "-p", lab[1].port,
                         "-U", "pgha", "-d", "pgha", "--dry-run")
        self.assertEqual(r.returncode, 3, describe(r))
        self.assertIn(d, r.stdout + r.stderr, describe(r))
        self.assertEqual(os.listdir(d), ["keepme.txt"])

    # ---- secrets
    def test_password_never_printed(self):
        lab = self.lab
        with_pw = lab[3].conninfo + " password=" + SECRET
        path = self.cfg("secret.toml", base_node=3, conninfo=with_pw)
        outputs = []

        def run(*args, cfg=path, node=3):
            r = lab.pgha(node, *args, config=cfg)
            outputs.append(r)
            return r

        # re-register node3 with a conninfo that carries a password
        r = run("standby", "register", "--force")
        self.assertEqual(r.returncode, 0, describe(r))
        stored = lab.psql(1, "SELECT count(*) FROM pgha.nodes n WHERE n::text LIKE '%%%s%%'"
                          % SECRET)
        print("\n(password stored in pgha.nodes: %s)" % ("yes" if stored != "0" else "no"))
        for args in (("cluster", "show"), ("cluster", "show", "--json"),
                     ("cluster", "show", "--csv"), ("cluster", "event", "--json"),
                     ("cluster", "event")):
            r = run(*args)
            self.assertEqual(r.returncode, 0, describe(r))
        rows = json.loads(outputs[2].stdout)
        n3 = [x for x in rows if x["node_id"] == 3][0]
        self.assertIn("port=%d" % lab[3].port, n3["conninfo"])
        # error paths: a password-carrying conninfo that cannot connect
        dead = "host=127.0.0.1 port=%d user=pgha dbname=pgha connect_timeout=2 password=%s" % (
            unused_port(), SECRET)
        bad = self.cfg("secret-dead.toml", base_node=3, conninfo=dead)
        r = run("cluster", "show", cfg=bad)
        self.assertNotEqual(r.returncode, 0, describe(r))
        r = run("standby", "clone", "-d", dead, "--dry-run", cfg=bad)
        self.assertNotEqual(r.returncode, 0, describe(r))
        r = run("standby", "clone", "-d", dead, "-v", cfg=bad)
        self.assertNotEqual(r.returncode, 0, describe(r))
        # a config error on a file that contains the password
        broken = self.cfg("secret-broken.toml", base_node=3, conninfo=with_pw, node_nmae="x")
        r = run("cluster", "show", cfg=broken)
        self.assertEqual(r.returncode, 1, describe(r))
        for r in outputs:
            self.assertNotIn(SECRET, r.stdout, describe(r))
            self.assertNotIn(SECRET, r.stderr, describe(r))
        # nor in the event log
        self.assertEqual(lab.psql(1, "SELECT count(*) FROM pgha.events e WHERE e::text "
                                     "LIKE '%%%s%%'" % SECRET), "0")

    # ---- usage
    def test_version_help_and_usage(self):
        r = self.lab.pgha_raw(["--version"])
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertRegex(r.stdout, r"\d+\.\d+", describe(r))
        r = self.lab.pgha_raw(["standby", "clone", "--help"])
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("--force", r.stdout, describe(r))
        self.assertIn("--fast-checkpoint", r.stdout, describe(r))
        r = self.lab.pgha_raw(["--help"])
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("exit", r.stdout.lower(), "exit codes documented in --help" + describe(r))
        for code in ("0", "1", "2", "3", "4"):
            self.assertRegex(r.stdout, r"\b%s\b" % code, "exit codes documented in --help")
        r = self.lab.pgha_raw(["nosuch", "verb"])
        self.assertFails(r, 1, "nosuch")
        r = self.lab.pgha_raw(["standby", "nosuchverb"])
        self.assertFails(r, 1, "nosuchverb")
        r = self.lab.pgha(1, "cluster", "show", "--no-such-option")
        self.assertFails(r, 1, "no-such-option")


if __name__ == "__main__":
    main()
