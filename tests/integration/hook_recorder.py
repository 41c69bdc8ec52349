#!/usr/bin/python3
"""Event hook used by the integration tests.

    hook_recorder.py [--sleep SECS] OUTFILE ARG...

Appends one line to OUTFILE: the JSON list of ARG... exactly as received
(so tests can check how pgha split and substituted the command).  With
--sleep it then sleeps SECS seconds and appends {"finished": ARG...} (tests
use it to check hook timeouts).
"""
import fcntl
import json
import sys
import time


def append(path, obj):
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(obj) + "\n")
        f.flush()


def main(argv):
    sleep = 0.0
    if len(argv) >= 2 and argv[0] == "--sleep":
        sleep = float(argv[1])
        argv = argv[2:]
    if not argv:
        sys.stderr.write("usage: hook_recorder.py [--sleep SECS] OUTFILE ARG...\n")
        return 2
    out, args = argv[0], argv[1:]
    append(out, args)
    if sleep:
        time.sleep(sleep)
        append(out, {"finished": args})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
