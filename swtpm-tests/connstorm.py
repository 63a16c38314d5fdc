#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Silent TCP connections from many loopback source addresses, for the verifier's
# per-prefix caps and its behaviour at the total cap:
#
#   connstorm.py HOST PORT --source-fmt FMT --sources N --per K [--settle S]
#                [--until-accepted] [--connect-timeout S] [--hold S] --status FILE
#       For i in 0..N-1, K TCP connections bound to FMT % i (e.g.
#       "2001:db8:77:%x00::1"), all sending nothing. After SETTLE seconds
#       (default 2) FILE gets {"attempted", "open", "closed", "unconnected",
#       "accepted"}: closed = the server shut or reset it, unconnected =
#       connect() failed or timed out (CONNECT_TIMEOUT, default 3 s). With
#       --until-accepted, FILE is written as soon as the server has taken every
#       connection out of its listen queue and none has closed for a second
#       since (accepted: true), SETTLE being the deadline (accepted: false).
#       The connections are then held for HOLD seconds (default 30) and closed.
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


def listen_queue(port):
    """Connections waiting in the listen queue of PORT (LISTEN sockets' rx_queue
    in /proc/net/tcp and tcp6), or None if no socket listens on PORT."""
    total = None
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 4 and f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                total = (total or 0) + int(f[4].split(":")[1], 16)
    return total


def settle_until_accepted(socks, port, limit):
    """Wait until PORT's listen queue is empty and no connection has closed for
    a second since, at most LIMIT seconds; the closed ones and whether it was so."""
    end = time.monotonic() + limit
    shut, quiet_since = set(), None
    while True:
        now = time.monotonic()
        for s in socks:
            if s not in shut and closed(s):
                shut.add(s)
                quiet_since = None
        if listen_queue(port) != 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        if quiet_since is not None and now - quiet_since >= 1.0:
            return len(shut), True
        if now >= end:
            return len(shut), False
        time.sleep(0.1)


def main(args):
    host, port = args[0], int(args[1])
    fmt = opt(args, "--source-fmt", None, str)
    n = opt(args, "--sources", 1, int)
    per = opt(args, "--per", 1, int)
    settle = opt(args, "--settle", 2.0)
    hold = opt(args, "--hold", 30.0)
    status = opt(args, "--status", None, str)
    connect_timeout = opt(args, "--connect-timeout", 3.0)
    if not fmt or not status or n * per < 1 or n * per > 2000:
        print("connstorm: --source-fmt, --status and 1..2000 connections are required",
              file=sys.stderr)
        return 2
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    socks, unconnected = [], 0
    for i in range(n):
        for _ in range(per):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(connect_timeout)
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
    if "--until-accepted" in args:
        shut, accepted = settle_until_accepted(socks, port, settle)
    else:
        time.sleep(settle)
        shut, accepted = sum(1 for s in socks if closed(s)), None
    st = {"attempted": n * per, "open": len(socks) - shut, "closed": shut,
          "unconnected": unconnected, "accepted": accepted}
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
