"""A webhook receiver for the alert-delivery end-to-end tests.

Answers 404 to every request for /gone, 503 to its first --refuse-first requests and to every request while --down-file exists,
200 otherwise; appends one JSON line per request to --log: the idempotency key, the alert's id
and state from the body, whether the X-Cellfleet-Signature header is the HMAC-SHA256 of the body
under --secret-file (checked here with Python's own hmac, independently of cellfleet's), and the
status it answered. Prints "listening PORT" once it accepts connections.
"""
import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--secret-file")
parser.add_argument("--refuse-first", type=int, default=0)
parser.add_argument("--down-file")
args = parser.parse_args()

secret = None
if args.secret_file:
    with open(args.secret_file, "rb") as f:
        secret = f.read().rstrip(b"\r\n\t ")

lock = threading.Lock()
seen = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/gone":
            # A receiver that will never take it (not counted among the first refusals).
            with lock, open(args.log, "a") as log:
                log.write(json.dumps({"path": self.path, "status": 404}) + "\n")
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with lock:
            seen += 1
            refuse = seen <= args.refuse_first or (args.down_file and os.path.exists(args.down_file))
            status = 503 if refuse else 200
            record = {"path": self.path, "status": status, "signature": self.headers.get("X-Cellfleet-Signature")}
            if secret is not None:
                expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
                record["signature_ok"] = hmac.compare_digest(expected, record["signature"] or "")
            try:
                document = json.loads(body)
                record["version"] = document.get("version")
                record["idempotency_key"] = document.get("idempotency_key")
                record["header_key"] = self.headers.get("Idempotency-Key")
                record["alert_id"] = document["alert"]["alert_id"]
                record["state"] = document["alert"]["state"]
                record["test_id"] = document["alert"]["test_id"]
                record["rule"] = document["alert"]["rule"]
            except Exception as error:  # a body the test must see as broken
                record["parse_error"] = str(error)
            with open(args.log, "a") as log:
                log.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
print(f"listening {args.port}", flush=True)
server.serve_forever()
