#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Silent TCP connections from many loopback source addresses, for the verifier's
# per-prefix caps and its behaviour at the total cap:
#
#   connstorm.py HOST PORT --source-fmt FMT --sources N --per K [--settle S]
#                [--hold S] --status FILE
#       For i in 0..N-1, K TCP connections bound to FMT % i (e.g.
#       "2001:db8:77:%x00::1"), all sending nothing. After SETTLE seconds
#       (default 2) FILE gets {"attempted", "open", "closed", "unconnected"}:
#       closed = the server shut or reset it, unconnected = connect() failed or
#       timed out (3 s). The connections are then held for HOLD seconds
#       (default 30) and closed.
# Every wait is bounded; at most 2000 connections.
import json
import os
import select
import socket
import sys
import time

IP_FREEBIND = 15  # linux/in.h; not in every Python's socket module

def opt(args, name, default, conv=float):
    if name in args:
        return conv(args[args.index(name) + 1])
    return default


def closed(s):
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(1) == b""
    except OSError:
        return True


def main(args):
    host, port = args[0], int(args[1])
    fmt = opt(args, "--source-fmt", None, str)
    n = opt(args, "--sources", 1, int)
    per = opt(args, "--per", 1, int)
    settle = opt(args, "--settle", 2.0)
    hold = opt(args, "--hold", 30.0)
    status = opt(args, "--status", None, str)
    if not fmt or not status or n * per < 1 or n * per > 2000:
        print("connstorm: --source-fmt, --status and 1..2000 connections are required",
              file=sys.stderr)
        return 2
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    socks, unconnected = [], 0
    for i in range(n):
        for _ in range(per):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(3)
            try:
                if fam == socket.AF_INET6:
                    # IP_FREEBIND: the sources are in a prefix routed to lo
                    # ("ip route add local"), not addresses assigned to it.
                    s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
                s.bind((fmt % i, 0))
                s.connect((host, port))
                socks.append(s)
            except OSError:
                unconnected += 1
                s.close()
    time.sleep(settle)
    shut = sum(1 for s in socks if closed(s))
    st = {"attempted": n * per, "open": len(socks) - shut, "closed": shut,
          "unconnected": unconnected}
    tmp = status + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps(st) + "\n")
    os.replace(tmp, status)
    time.sleep(hold)
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
