#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Hostile and slow clients for the verifier's connection limits, on loopback only:
#
#   slowclient.py flood HOST PORT CA --source ADDR --count N [--drip S]
#                 [--duration S] [--handshake-timeout S] --status FILE
#       N TLS connections from ADDR at once, each dripping one header byte every
#       S seconds for DURATION seconds. FILE gets a JSON line {"attempted",
#       "refused", "open", "settled"} whenever it changes: refused = connect or
#       handshake failed or the server closed it, open = handshake done and still
#       open; settled once every connection has finished its handshake attempt.
#   slowclient.py idle HOST PORT [--max S]
#       one TCP connection that sends nothing; prints the seconds until the
#       server closed it, or "open" after S seconds.
#   slowclient.py drip HOST PORT CA [--every S] [--max S]
#       one TLS connection that sends a request one byte every S seconds; prints
#       the seconds from the end of the handshake until the server closed it, or
#       "open" after MAX seconds.
#   slowclient.py declare HOST PORT CA --length N [--wait S]
#       POST /v1/enroll with Content-Length N and no body; prints the answer's
#       status line and body (first 200 bytes), or "none" if the server closed
#       without one or S seconds passed.
# Every wait is bounded; the process never outlives its --duration/--max/--wait
# by more than the handshake timeout.
import json
import os
import socket
import ssl
import sys
import threading
import time

REQUEST = b"GET /v1/health HTTP/1.1\r\nHost: verifier\r\nX-Slow: " + b"a" * 4096


def tls_context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def opt(args, name, default, conv=float):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return conv(v)
    return default


def connect(host, port, timeout, source=None):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    return s


class Flood:
    def __init__(self, n, status):
        self.lock = threading.Lock()
        self.n = n
        self.status = status
        self.refused = 0
        self.open = 0
        self.done = 0  # handshake attempts finished

    def write(self):
        st = {"attempted": self.n, "refused": self.refused, "open": self.open,
              "settled": self.done == self.n}
        tmp = self.status + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(st) + "\n")
        os.replace(tmp, self.status)

    def update(self, refused=0, opened=0, done=0):
        with self.lock:
            self.refused += refused
            self.open += opened
            self.done += done
            self.write()


def flood_one(fl, ctx, host, port, source, drip, end, hs_timeout):
    try:
        raw = connect(host, port, hs_timeout, source)
        s = ctx.wrap_socket(raw, server_hostname=None)
    except (OSError, ssl.SSLError):
        fl.update(refused=1, done=1)
        return
    # A refused connection is shut at once: wait a moment for that before
    # counting it as held.
    s.settimeout(0.5)
    try:
        if s.recv(1) == b"":
            fl.update(refused=1, done=1)
            s.close()
            return
    except socket.timeout:
        pass
    except (OSError, ssl.SSLError):
        fl.update(refused=1, done=1)
        s.close()
        return
    fl.update(opened=1, done=1)
    i = 0
    try:
        while time.monotonic() < end:
            s.settimeout(max(0.05, min(drip, end - time.monotonic())))
            try:
                if s.recv(1) == b"":
                    break
            except socket.timeout:
                pass
            if time.monotonic() >= end:
                break
            s.sendall(REQUEST[i:i + 1])
            i = min(i + 1, len(REQUEST) - 1)
    except (OSError, ssl.SSLError):
        pass
    fl.update(opened=-1, refused=1 if time.monotonic() < end else 0)
    s.close()


def flood(args):
    host, port, ca = args[0], int(args[1]), args[2]
    source = opt(args, "--source", None, str)
    n = opt(args, "--count", 10, int)
    drip = opt(args, "--drip", 2.0)
    duration = opt(args, "--duration", 30.0)
    hs = opt(args, "--handshake-timeout", 10.0)
    status = opt(args, "--status", None, str)
    if not status or n < 1 or n > 2000:
        print("flood: --status FILE and --count 1..2000 are required", file=sys.stderr)
        return 2
    ctx = tls_context(ca)
    fl = Flood(n, status)
    fl.write()
    end = time.monotonic() + duration
    threads = [threading.Thread(target=flood_one, args=(fl, ctx, host, port, source, drip,
                                                         end, hs), daemon=True)
               for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.1, end + hs + 5 - time.monotonic()))
    return 0


def wait_closed(s, limit):
    """Seconds until the peer closes s, or None after limit seconds."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        s.settimeout(max(0.05, limit - (time.monotonic() - start)))
        try:
            if s.recv(1) == b"":
                return time.monotonic() - start
        except socket.timeout:
            return None
        except (OSError, ssl.SSLError):
            return time.monotonic() - start
    return None


def idle(args):
    host, port = args[0], int(args[1])
    limit = opt(args, "--max", 20.0)
    s = connect(host, port, 5)
    t = wait_closed(s, limit)
    print("open" if t is None else "%.1f" % t)
    return 0


def drip(args):
    host, port, ca = args[0], int(args[1]), args[2]
    every = opt(args, "--every", 1.0)
    limit = opt(args, "--max", 20.0)
    s = tls_context(ca).wrap_socket(connect(host, port, 5), server_hostname=None)
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < limit:
        try:
            s.sendall(REQUEST[i:i + 1])
        except (OSError, ssl.SSLError):
            print("%.1f" % (time.monotonic() - start))
            return 0
        i = min(i + 1, len(REQUEST) - 1)
        s.settimeout(every)
        try:
            if s.recv(1) == b"":
                print("%.1f" % (time.monotonic() - start))
                return 0
        except socket.timeout:
            pass
        except (OSError, ssl.SSLError):
            print("%.1f" % (time.monotonic() - start))
            return 0
    print("open")
    return 0


def declare(args):
    host, port, ca = args[0], int(args[1]), args[2]
    length = opt(args, "--length", 2000000, int)
    wait = opt(args, "--wait", 5.0)
    s = tls_context(ca).wrap_socket(connect(host, port, 5), server_hostname=None)
    s.sendall(b"POST /v1/enroll HTTP/1.1\r\nHost: verifier\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length)
    got = b""
    end = time.monotonic() + wait
    while time.monotonic() < end and b"\r\n\r\n" not in got:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            b = s.recv(4096)
        except (OSError, ssl.SSLError):
            break
        if not b:
            break
        got += b
    if not got:
        print("none")
        return 0
    head, _, body = got.partition(b"\r\n\r\n")
    s.settimeout(1)
    try:
        while len(body) < 200:
            b = s.recv(4096)
            if not b:
                break
            body += b
    except (OSError, ssl.SSLError):
        pass
    print(head.split(b"\r\n")[0].decode("latin-1"), body[:200].decode("latin-1").strip())
    return 0


def main():
    if len(sys.argv) < 4:
        print(__doc__ or "usage: slowclient.py MODE ...", file=sys.stderr)
        return 2
    mode, args = sys.argv[1], sys.argv[2:]
    modes = {"flood": flood, "idle": idle, "drip": drip, "declare": declare}
    if mode not in modes:
        print("unknown mode " + mode, file=sys.stderr)
        return 2
    return modes[mode](args)


if __name__ == "__main__":
    sys.exit(main())
