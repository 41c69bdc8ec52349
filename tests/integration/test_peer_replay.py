#!/usr/bin/python3
"""The daemons' peer port against an attacker on the wire: a captured signed
request (pause, vote) sent again is refused and changes nothing; unsigned and
malformed requests are refused; the daemon keeps serving and no failover
follows."""
import hashlib
import hmac
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
from _support import describe, load_json, main  # noqa: E402
from test_daemon import http  # noqa: E402
from test_daemon_safety import DaemonLab  # noqa: E402


def signed_bytes(node, secret, path, body):
    """A request signed exactly as pghad and pgha sign one (lib/http/auth.cpp):
    HMAC-SHA256(secret, method \\n path \\n timestamp \\n nonce \\n body)."""
    timestamp = str(int(time.time() * 1000))
    nonce = os.urandom(16).hex()
    message = "\n".join(["POST", path, timestamp, nonce, body]).encode()
    signature = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nX-Pgha-Timestamp: %s\r\nX-Pgha-Nonce: %s\r\n"
            "X-Pgha-Signature: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            "Connection: close\r\n\r\n%s" % (path, node.host, node.http_port, timestamp, nonce, signature,
                                           len(body), body)).encode()


def raw(node, data, timeout=5):
    """(status, whole answer) for `data` sent as is; status None when the
    daemon closed the connection without an HTTP answer."""
    answer = b""
    with socket.create_connection((node.host, node.http_port), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # closed on us mid-request: read what it said before
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
    text = answer.decode("latin-1")
    if text.startswith("HTTP/1.1 "):
        return int(text[9:12]), text
    return None, text


class PeerReplayTest(DaemonLab):
    NODES = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(cls.lab.dir, "cluster.secret")) as f:
            cls.secret = f.read().strip()
        cls.wait_roles()

    def assertServingNoFailover(self, term):
        for n in (1, 2, 3):
            self.assertEqual(http(self.lab.node(n), "/health")[0], 200, "node%d's daemon still serves" % n)
            self.assertEqual(self.status(n)["term"], term, "node%d: no new term" % n)
        self.assertEqual(http(self.lab.node(1), "/primary")[0], 200)
        self.assertEqual(self.writable(), [1], "the primary stays primary")

    def test_1_replayed_pause_is_refused_after_unpause(self):
        node2 = self.lab.node(2)
        captured = signed_bytes(node2, self.secret, "/peer/pause", json.dumps({"paused": True}))
        code, answer = raw(node2, captured)
        self.assertEqual(code, 200, answer)
        self.assertTrue(self.status(2)["paused"], "the captured request paused node2")

        r = self.pgha(2, "daemon", "unpause")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertFalse(self.status(2)["paused"])

        code, answer = raw(node2, captured)  # the identical bytes again
        self.assertEqual(code, 409, answer)  # a replay: 409 Conflict (a bad signature is 401)
        self.assertIn("replayed", answer)
        rows = load_json(self, self.pgha(2, "daemon", "status", "--json"))
        self.assertEqual(len(rows), 3, rows)
        self.assertTrue(all(row["running"] and not row["paused"] for row in rows), rows)

        # pgha's own signed requests are fresh each time: pause twice, unpause twice.
        for verb in ("pause", "pause", "unpause", "unpause"):
            r = self.pgha(3, "daemon", verb)
            self.assertEqual(r.returncode, 0, describe(r))
        self.assertFalse(self.status(2)["paused"])

    def test_2_replayed_vote_is_refused_and_changes_nothing(self):
        term = self.status(1)["term"]
        node2 = self.lab.node(2)
        body = json.dumps({"term": term, "candidate_id": 3, "candidate_lsn": "0/0"})
        captured = signed_bytes(node2, self.secret, "/peer/vote", body)
        code, answer = raw(node2, captured)
        self.assertEqual(code, 200, answer)
        self.assertIn('"granted":false', answer.replace(" ", ""), "no vote against a live leader")
        code, answer = raw(node2, captured)
        self.assertEqual(code, 409, answer)  # a replay: 409 Conflict (a bad signature is 401)
        self.assertIn("replayed", answer)
        time.sleep(1.5)  # a few monitor ticks
        self.assertServingNoFailover(term)

    def test_3_unsigned_and_malformed_requests_are_refused(self):
        term = self.status(1)["term"]
        node1 = self.lab.node(1)
        body = json.dumps({"paused": True})
        unsigned = ("POST /peer/pause HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                    "Connection: close\r\n\r\n%s" % (len(body), body)).encode()
        no_nonce = signed_bytes(node1, self.secret, "/peer/pause", body)
        no_nonce = b"\r\n".join(line for line in no_nonce.split(b"\r\n") if not line.startswith(b"X-Pgha-Nonce"))
        cases = [
            ("unsigned", unsigned, (401,)),
            ("signed without a nonce", no_nonce, (401,)),
            ("20 kB header", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 20000 + b"\r\n\r\n",
             (431, 400, None)),
            ("2 MB body", b"POST /peer/pause HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n"
             + b"x" * 2097152, (413, 400, None)),
            ("junk bytes", b"\x00\xff\x13GARBAGE\xfe\r\n\r\n" + os.urandom(512), (400, None)),
            ("negative Content-Length", b"POST /peer/pause HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"
             + body.encode(), (400, None)),
        ]
        for what, data, allowed in cases:
            with self.subTest(what):
                code, answer = raw(node1, data)
                print("  %s: %s" % (what, code if code else "closed without an answer"), file=sys.stderr)
                self.assertIn(code, allowed, answer[:300])
                self.assertEqual(http(node1, "/health")[0], 200, "serving after " + what)
        self.assertFalse(self.status(1)["paused"], "no pause got through")
        time.sleep(1.5)
        self.assertServingNoFailover(term)


if __name__ == "__main__":
    main()
