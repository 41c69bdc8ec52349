#!/usr/bin/python3
"""pghad's [daemon] log_file: every line is in the file as soon as it is
logged (also when the daemon is killed), starts with an ISO 8601 UTC
timestamp and its level; SIGHUP applies a new log_level and reopens the file,
so that logrotate's `mv` then SIGHUP starts a fresh file."""
import datetime
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import LabTestCase, main  # noqa: E402
from test_daemon import PGHAD, daemon_pid, http, kill_daemon, read_text, wait_until  # noqa: E402

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (debug|info|notice|warning|error): \S")


def timestamp_of(line):
    m = LINE.match(line)
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ") if m else None


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class DaemonLogTest(LabTestCase):
    NODES = 1

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cls.make_lab()
        node = lab.node(1)
        cls.log = os.path.join(node.dir, "pghad.log")
        lab.configure(1, daemon={"log_file": cls.log})
        lab.build_cluster(standbys=0)
        cls.proc = lab.spawn(1, [PGHAD, "-f", node.config], log_path=os.path.join(node.dir, "pghad.stderr"))
        wait_until(lambda: http(node, "/health")[0] is not None, 15, "pghad to answer")
        cls.started = time.monotonic()
        cls.pid = daemon_pid(cls.proc)

    def assertTimestamped(self, path):
        text = read_text(path)
        self.assertTrue(text.endswith("\n"), "the last line is complete: %r" % text[-200:])
        for line in text.splitlines():
            self.assertRegex(line, LINE, "every line starts with the UTC time and the level")
            self.assertLess(abs((utcnow() - timestamp_of(line)).total_seconds()), 300, line)

    def test_1_the_first_decision_is_in_the_file_within_a_second(self):
        wait_until(lambda: "no action: " in read_text(self.log), max(0.1, 1 - (time.monotonic() - self.started)),
                   "the first decision line in %s" % self.log, interval=0.02)
        self.assertIn("listening on", read_text(self.log))
        self.assertTimestamped(self.log)

    def test_2_sighup_applies_a_new_log_level(self):
        self.assertNotRegex(read_text(self.log), re.compile(r"^\S+ debug: ", re.M), "info is the default")
        self.lab.configure(1, daemon={"log_level": "debug"})
        os.kill(self.pid, signal.SIGHUP)
        wait_until(lambda: re.search(r"^\S+ debug: ", read_text(self.log), re.M), 5, "debug lines after SIGHUP")
        self.assertIn('daemon.log_level: "info" -> "debug"', read_text(self.log))
        self.assertTimestamped(self.log)

    def test_3_sighup_reopens_the_file_after_logrotate_moved_it(self):
        rotated = self.log + ".1"
        os.rename(self.log, rotated)
        os.kill(self.pid, signal.SIGHUP)
        wait_until(lambda: os.path.exists(self.log) and "configuration reloaded" in read_text(self.log), 5,
                   "the reload line in a fresh %s" % self.log)
        size = os.path.getsize(rotated)
        lines = len(read_text(self.log).splitlines())
        wait_until(lambda: len(read_text(self.log).splitlines()) > lines, 5, "more lines in the fresh file")
        self.assertEqual(os.path.getsize(rotated), size, "nothing more goes to the rotated file")
        self.assertTimestamped(self.log)
        self.assertTimestamped(rotated)

    def test_4_a_line_logged_just_before_kill_9_is_in_the_file(self):
        self.lab.configure(1, failover={"maximum_lag_on_failover": "32MB"})
        os.kill(self.pid, signal.SIGHUP)
        time.sleep(0.3)
        kill_daemon(self.proc)
        killed = utcnow()
        text = read_text(self.log)
        self.assertIn('failover.maximum_lag_on_failover: "16MB" -> "32MB"', text)
        self.assertTimestamped(self.log)
        last = timestamp_of(text.splitlines()[-1])
        self.assertLess((killed - last).total_seconds(), 2, "the newest line is from just before the kill")


if __name__ == "__main__":
    main()
