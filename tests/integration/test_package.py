#!/usr/bin/python3
"""The Debian package: scripts/package.sh builds it from the build tree,
lintian finds no error in it, dpkg -i installs it on this machine, and what a
DBA then uses works: pgha --version from /usr/bin (with its private libpgha),
man -l of pgha(1), pghad(8) and pgha.toml(5) (pgha(1) lists exactly the verbs of
pgha --help and every option of each verb's --help; pgha.toml(5) every key of
the sample with its default), systemd-analyze verify of pghad.service and
pghad@main.service, the bash completion, the example hooks. dpkg -r then
leaves only the configuration, and dpkg --purge removes that too.

Needs root (dpkg -i); skipped otherwise. Installs the package system-wide for
the length of the test (a lock keeps two runs apart) and removes it after."""
import fcntl
import glob
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import describe, main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PACKAGE = "pgha"
LOCK = "/run/lock/pgha-test-package.lock"
TOOLS = ["dpkg", "dpkg-deb", "dpkg-query", "lintian", "man", "systemd-analyze", "bash"]
# Text as man renders it, the same on every machine: wide lines, no colours.
MAN_ENV = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="250", MAN_KEEP_FORMATTING="", MANPAGER="cat",
               PAGER="cat")

INSTALLED = {
    "/usr/bin/pgha": "file", "/usr/sbin/pghad": "file",
    "/usr/lib/pgha/libpgha.so.0": "link",
    "/usr/share/man/man1/pgha.1.gz": "file", "/usr/share/man/man8/pghad.8.gz": "file",
    "/usr/share/man/man5/pgha.toml.5.gz": "file",
    "/usr/share/bash-completion/completions/pgha": "file",
    "/etc/pgha/pgha.toml.sample": "file",
    "/lib/systemd/system/pghad.service": "file", "/lib/systemd/system/pghad@.service": "file",
    "/usr/share/pgha/hooks/dns-update": "file", "/usr/share/pgha/hooks/vip-move": "file",
    "/usr/share/pgha/hooks/fence": "file",
    "/usr/share/doc/pgha/copyright": "file",
}


def run(*args, env=None, timeout=120, input=None):
    return subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=timeout,
                          input=input)


def build_dir():
    # ctest passes PGHA_BIN=<build>/cli/pgha: package that tree.
    pgha = os.environ.get("PGHA_BIN")
    if pgha:
        return os.path.dirname(os.path.dirname(os.path.abspath(pgha)))
    return os.path.join(REPO, "build")


def package_status():
    r = run("dpkg-query", "-W", "-f=${Status}", PACKAGE)
    return r.stdout.strip() if r.returncode == 0 else ""


def project_version():
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        return re.search(r"project\(pgha VERSION ([0-9.]+)", f.read()).group(1)


def sample_settings():
    """Dotted key -> value text, as conf/pgha.toml.sample writes them."""
    settings, section = {}, ""
    with open(os.path.join(REPO, "conf", "pgha.toml.sample")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, value = (part.strip() for part in line.split("=", 1))
            settings[section + "." + key if section else key] = without_comment(value)
    return settings


def without_comment(value):
    """The value as written, up to the first '#' outside a string."""
    in_string, i = False, 0
    while i < len(value):
        if in_string and value[i] == "\\":
            i += 1
        elif value[i] == '"':
            in_string = not in_string
        elif value[i] == "#" and not in_string:
            return value[:i].strip()
        i += 1
    return value.strip()


def help_commands(text):
    """["primary register", ...] from the Commands: list of pgha --help."""
    block = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [" ".join(line.split()[:2]) for line in block.splitlines() if line.strip()]


def help_options(text, title):
    """Long option names of one "... options:" block of a --help text."""
    if title not in text:
        return []
    block = text.split(title, 1)[1].split("\n\n", 1)[0]
    # Options start at column 2; their wrapped descriptions further right.
    return re.findall(r"^  (?:-\w \[ )?--([a-z][\w-]*)", block, re.M)


def man_sections(text):
    """Section heading -> its text, of man's rendered output."""
    sections, name = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z .]+$", line):
            name = line.strip()
            sections[name] = ""
        elif name:
            sections[name] += line + "\n"
    return sections


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: installs the package with dpkg -i")
        missing = [t for t in TOOLS if not shutil.which(t)]
        if missing:
            raise RuntimeError("missing %s: run bash scripts/install-deps.sh" % ", ".join(missing))
        cls.lock = open(LOCK, "w")
        cls.addClassCleanup(cls.lock.close)
        deadline = time.monotonic() + 600
        while True:
            try:
                fcntl.flock(cls.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError("another test_package run holds %s for 10 minutes" % LOCK)
                time.sleep(1)
        # A package left installed by an earlier run goes first.
        if package_status().startswith("install"):
            r = run("dpkg", "-r", PACKAGE)
            if r.returncode != 0:
                raise RuntimeError("cannot remove the leftover package" + describe(r))
        cls.addClassCleanup(cls.purge_if_installed)

        t0 = time.monotonic()
        build = build_dir()
        r = run("bash", os.path.join(REPO, "scripts", "package.sh"),
                env=dict(os.environ, PGHA_BUILD_DIR=build), timeout=1500)
        if r.returncode != 0:
            raise RuntimeError("scripts/package.sh failed" + describe(r))
        cls.package_seconds = time.monotonic() - t0
        debs = glob.glob(os.path.join(build, "packages", "*.deb"))
        if len(debs) != 1:
            raise RuntimeError("expected one .deb in %s/packages, found %s" % (build, debs))
        cls.deb = debs[0]
        cls.lintian = run("lintian", "--display-info", cls.deb, timeout=600)
        cls.install = run("dpkg", "-i", cls.deb, timeout=300)
        if cls.install.returncode != 0:
            raise RuntimeError("dpkg -i failed" + describe(cls.install))
        cls.files = run("dpkg", "-L", PACKAGE).stdout.split()
        cls.conffiles = [line.split()[0] for line in
                         run("dpkg-query", "-W", "-f=${Conffiles}", PACKAGE).stdout.splitlines() if line.strip()]
        print("package built in %.1fs: %s" % (cls.package_seconds, cls.deb), file=sys.stderr)

    @classmethod
    def purge_if_installed(cls):
        if package_status():
            run("dpkg", "--purge", PACKAGE)

    def man(self, page):
        r = run("man", "-l", page, env=MAN_ENV)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(r.stderr, "", "man reports problems" + describe(r))
        return r.stdout

    # ---- the package
    def test_1_lintian_reports_no_error(self):
        lines = self.lintian.stdout.splitlines()
        errors = [line for line in lines if line.startswith("E:")]
        self.assertEqual(errors, [], describe(self.lintian))
        self.assertIn(self.lintian.returncode, (0, 2), describe(self.lintian))  # 2: only non-errors found
        counts = {tag: sum(line.startswith(tag + ":") for line in lines) for tag in "EWI"}
        print("lintian: %(E)d errors, %(W)d warnings, %(I)d info" % counts, file=sys.stderr)

    def test_1_package_holds_the_files(self):
        for path, kind in INSTALLED.items():
            self.assertIn(path, self.files, "dpkg -L %s lacks %s" % (PACKAGE, path))
            self.assertTrue(os.path.islink(path) if kind == "link" else os.path.isfile(path), path)
        self.assertEqual(self.conffiles, ["/etc/pgha/pgha.toml.sample"])
        for hook in glob.glob("/usr/share/pgha/hooks/*"):
            self.assertTrue(os.access(hook, os.X_OK), hook + " is not executable")
        # libpgha is private: not in the linker's path, found through pgha's RUNPATH.
        self.assertFalse(glob.glob("/usr/lib/libpgha*") + glob.glob("/usr/lib/*-linux-gnu/libpgha*"))
        r = run("ldd", "/usr/bin/pgha", env={k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"})
        self.assertRegex(r.stdout, r"libpgha\.so\.0 => /usr/bin/\.\./lib/pgha/libpgha\.so\.0", describe(r))

    def test_2_version_from_usr_bin(self):
        r = run("/usr/bin/pgha", "--version")
        self.assertEqual((r.returncode, r.stdout), (0, "pgha %s\n" % project_version()), describe(r))
        self.assertEqual(run("dpkg-query", "-W", "-f=${Version}", PACKAGE).stdout, project_version())
        r = run("/usr/sbin/pghad", "--help")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("Usage: pghad", r.stdout)

    def test_2_shipped_sample_is_valid(self):
        r = run("/usr/sbin/pghad", "--check", "-f", "/etc/pgha/pgha.toml.sample")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("is valid", r.stdout)

    # ---- man pages
    def test_3_pgha_1_lists_exactly_the_commands_of_help(self):
        text = self.man("/usr/share/man/man1/pgha.1.gz")
        sections = man_sections(text)
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "GLOBAL OPTIONS", "COMMANDS", "EXIT STATUS",
                     "ENVIRONMENT", "FILES", "SEE ALSO"):
            self.assertIn(name, sections, "pgha(1) has no %s section" % name)
        general = run("/usr/bin/pgha", "--help")
        self.assertEqual(general.returncode, 0, describe(general))
        commands = help_commands(general.stdout)
        self.assertGreater(len(commands), 20)
        headings = re.findall(r"^   pgha (\S+ \S+)$", sections["COMMANDS"], re.M)
        self.assertEqual(headings, commands, "pgha(1)'s commands differ from pgha --help")
        # Each command's section lists every option of its --help.
        parts = re.split(r"^   pgha (\S+ \S+)$", sections["COMMANDS"], flags=re.M)
        bodies = dict(zip(parts[1::2], parts[2::2]))
        for command in commands:
            r = run("/usr/bin/pgha", *command.split(), "--help")
            self.assertEqual(r.returncode, 0, describe(r))
            summary = r.stdout.splitlines()[0].split(": ", 1)[1]
            self.assertIn(summary[1:], " ".join(bodies[command].split()), command)
            tags = set(re.findall(r"^ {11}(?:-\w, )?--([a-z][\w-]*)", bodies[command], re.M))
            for option in help_options(r.stdout, command + " options:"):
                self.assertIn(option, tags, "pgha(1) lacks --%s of %s" % (option, command))
        global_tags = set(re.findall(r"^ {7}(?:-\w, )?--([a-z][\w-]*)", sections["GLOBAL OPTIONS"], re.M))
        self.assertEqual(global_tags, set(help_options(general.stdout, "Global options:")))
        for code in range(5):
            self.assertRegex(sections["EXIT STATUS"], r"(?m)^\s+%d\s" % code)

    def test_3_pgha_toml_5_lists_every_key_with_its_default(self):
        text = self.man("/usr/share/man/man5/pgha.toml.5.gz")
        sections = man_sections(text)
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "SETTINGS", "RELOADING", "EXAMPLE"):
            self.assertIn(name, sections, "pgha.toml(5) has no %s section" % name)
        documented = {}
        for key, rest in re.findall(r"^       ([a-z_.]+) (= .*|\(required; example: .*\))$",
                                    sections["SETTINGS"], re.M):
            documented[key] = rest
        settings = sample_settings()
        self.assertEqual(list(documented), list(settings), "pgha.toml(5)'s keys differ from the sample's")
        for key, value in settings.items():
            self.assertIn(documented[key], ("= " + value, "(required; example: %s)" % value), key)
        self.assertEqual(sections["SETTINGS"].count("Reload: "), len(settings))
        for key in ("node_id", "node_name", "daemon.listen", "daemon.state_dir", "daemon.log_file"):
            self.assertIn(key, sections["RELOADING"])

    def test_3_pghad_8(self):
        text = self.man("/usr/share/man/man8/pghad.8.gz")
        sections = man_sections(text)
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SIGNALS", "HTTP ENDPOINTS", "EVENTS",
                     "EXIT STATUS", "FILES", "SEE ALSO"):
            self.assertIn(name, sections, "pghad(8) has no %s section" % name)
        for signal in ("SIGHUP", "SIGTERM", "SIGINT"):
            self.assertRegex(sections["SIGNALS"], r"(?m)^       (\S+, )?%s\b" % signal)
        for path in ("/health", "/primary", "/replica", "/status", "/metrics"):
            self.assertRegex(sections["HTTP ENDPOINTS"], r"(?m)^       GET %s" % path)
        for event in ("daemon_start", "failover_election", "fencing", "fencing_lifted", "node_rejoin",
                      "standby_promote", "standby_switchover"):
            self.assertIn(event, sections["EVENTS"])
        for option in ("--config-file", "--check", "--help"):
            self.assertIn(option, sections["OPTIONS"])

    # ---- systemd units
    def test_4_units_verify(self):
        for unit in ("pghad.service", "pghad@main.service"):
            r = run("systemd-analyze", "verify", "/lib/systemd/system/" + unit)
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), describe(r))
        with open("/lib/systemd/system/pghad@.service") as f:
            template = f.read()
        self.assertIn("ExecStart=/usr/sbin/pghad -f /etc/pgha/%i.toml\n", template)
        self.assertIn("StateDirectory=pgha/%i\n", template)
        for path in ("/lib/systemd/system/pghad.service", "/lib/systemd/system/pghad@.service"):
            with open(path) as f:
                unit = f.read()
            self.assertIn("User=postgres\n", unit)
            self.assertIn("KillMode=process\n", unit)  # stopping pghad never stops PostgreSQL

    # ---- bash completion
    def complete(self, *lines):
        """COMPREPLY of _pgha for each command line (words; the last one is being completed)."""
        script = ["source /usr/share/bash-completion/completions/pgha"]
        for words in lines:
            quoted = " ".join("'%s'" % w for w in words)
            script.append("COMP_WORDS=(%s); COMP_CWORD=%d; COMPREPLY=(); _pgha; echo \"${COMPREPLY[*]}\""
                          % (quoted, len(words) - 1))
        r = run("bash", "--norc", "--noprofile", input="\n".join(script) + "\n")
        self.assertEqual(r.returncode, 0, describe(r))
        return [line.split() for line in r.stdout.splitlines()]

    def test_5_bash_completion_follows_the_command_table(self):
        commands = help_commands(run("/usr/bin/pgha", "--help").stdout)
        objects = list(dict.fromkeys(c.split()[0] for c in commands))
        queries = [["pgha", ""]] + [["pgha", o, ""] for o in objects] + \
                  [["pgha", *c.split(), "--"] for c in commands]
        answers = self.complete(*queries)
        self.assertEqual(answers[0], objects)
        for i, obj in enumerate(objects, 1):
            self.assertEqual(answers[i], [c.split()[1] for c in commands if c.split()[0] == obj], obj)
        for command, answer in zip(commands, answers[1 + len(objects):]):
            r = run("/usr/bin/pgha", *command.split(), "--help")
            wanted = help_options(r.stdout, command + " options:") + help_options(r.stdout, "Global options:")
            self.assertEqual(sorted(a[2:] for a in answer), sorted(wanted), command)
        self.assertEqual(self.complete(["pgha", "node", "service", "--action", ""])[0],
                         ["start", "stop", "restart", "reload"])
        self.assertEqual(self.complete(["pgha", "-L", "w"])[0], ["warning"])
        self.assertEqual(self.complete(["pgha", "-f", "/etc/pgha/pgha.toml.sa"])[0], ["/etc/pgha/pgha.toml.sample"])

    # ---- removal (last: the methods run in name order)
    def test_9_remove_leaves_only_the_configuration(self):
        owned_dirs = []
        for path in self.files:
            if os.path.isdir(path) and not os.path.islink(path):
                owners = run("dpkg-query", "-S", path).stdout.split(":", 1)[0]
                if owners.strip() == PACKAGE:
                    owned_dirs.append(path)
        kept = set(self.conffiles) | {os.path.dirname(c) for c in self.conffiles}
        r = run("dpkg", "-r", PACKAGE, timeout=300)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(package_status(), "deinstall ok config-files")
        for path in self.files:
            if path in kept:
                self.assertTrue(os.path.exists(path), "dpkg -r removed the configuration " + path)
            elif path in owned_dirs or not os.path.isdir(path):
                self.assertFalse(os.path.lexists(path), "dpkg -r left " + path)
        self.assertIn("/usr/share/pgha", owned_dirs)
        r = run("dpkg", "--purge", PACKAGE, timeout=300)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(package_status(), "")
        for path in self.conffiles:
            self.assertFalse(os.path.lexists(path), "dpkg --purge left " + path)


if __name__ == "__main__":
    main()
