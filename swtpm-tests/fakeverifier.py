#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A verifier that lies about the authorization: an HTTPS proxy in front of the real
verifier that passes every POST through (as the device, with its client
certificate) and, in an attest answer whose EAR grants an update authorization,
changes the authorization's release or manifest digest and signs the EAR again
with the gate key, so that the EAR still verifies with the pinned gate key. Shows
that the agent checks the authorization against what it asked for. With
replay=FILE it answers every attest with the EAR in FILE instead (a genuine one of
an earlier round, unchanged): shows that the agent binds the EAR to its round.

usage: fakeverifier.py PORT UPSTREAM_URL TLS_CERT TLS_KEY CA DEVICE_CERT DEVICE_KEY
                       GATE_KEY release|manifest|replay=FILE
Serves 127.0.0.1:PORT for at most 120 s; prints "rewrote N" for each EAR changed,
"replayed N" for each EAR replaced.
"""
import base64
import http.client
import http.server
import json
import ssl
import sys
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def main():
    if len(sys.argv) != 10:
        print(__doc__, file=sys.stderr)
        return 2
    port, upstream, cert, key, ca, dcert, dkey, gate_path, mode = sys.argv[1:]
    up = urllib.parse.urlsplit(upstream)
    gate = serialization.load_pem_private_key(open(gate_path, "rb").read(), None)
    client_ctx = ssl.create_default_context(cafile=ca)
    client_ctx.load_cert_chain(dcert, dkey)
    rewrote = 0
    replay = open(mode[7:]).read().strip() if mode.startswith("replay=") else None

    def resign(tok):
        nonlocal rewrote
        if replay is not None:
            rewrote += 1
            print(f"replayed {rewrote}", flush=True)
            return replay
        h, p, _ = tok.split(".")
        claims = json.loads(unb64u(p))
        a = claims["submods"]["gatewarden"].get("gatewarden.authorization")
        if a is None:
            return tok
        if mode == "release":
            a["release"] = a["release"][:-1] + ("0" if a["release"][-1] != "0" else "1")
        else:
            a["manifest_sha256"] = "00" * 32
        p = b64u(json.dumps(claims, separators=(",", ":")).encode())
        der = gate.sign(f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        rewrote += 1
        print(f"rewrote {rewrote}", flush=True)
        return f"{h}.{p}.{b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            conn = http.client.HTTPSConnection(up.hostname, up.port, context=client_ctx,
                                               timeout=60)
            conn.request("POST", self.path, body, {"Content-Type": "application/json"})
            rsp = conn.getresponse()
            data = rsp.read()
            if self.path == "/v1/attest" and rsp.status == 200:
                ans = json.loads(data)
                ans["ear"] = resign(ans["ear"])
                data = json.dumps(ans).encode()
            self.send_response(rsp.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", int(port)), Handler)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    srv.socket = server_ctx.wrap_socket(srv.socket, server_side=True)
    srv.timeout = 1
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        srv.handle_request()
    return 0


if __name__ == "__main__":
    sys.exit(main())
