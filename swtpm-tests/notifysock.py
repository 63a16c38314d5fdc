#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plays systemd's side of sd_notify(3) for the tests: binds a datagram socket
at PATH and appends every message it receives to LOG, one line per variable,
each message followed by a line "--". Exits after SECONDS (bounded), or on
SIGTERM.

usage: notifysock.py PATH LOG SECONDS
"""
import os
import signal
import socket
import sys
import time


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    path, log, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    deadline = time.monotonic() + seconds
    with open(log, "a", encoding="utf-8") as out:
        # Written only after the bind: the test waits for the file, then starts
        # the daemon, so no message can arrive before anyone listens.
        out.write("# listening\n")
        out.flush()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return 0
            sock.settimeout(left)
            try:
                msg = sock.recv(4096)
            except socket.timeout:
                return 0
            for line in msg.decode("utf-8", "replace").split("\n"):
                if line:
                    out.write(line + "\n")
            out.write("--\n")
            out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        if len(sys.argv) == 4 and os.path.exists(sys.argv[1]):
            os.unlink(sys.argv[1])
