#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A power cut at a chosen TPM command: a proxy in front of a swtpm that passes
commands through until the COUNT-th successful response to command code CC, then
SIGKILLs the swtpm (PID) before that response reaches the client, and exits.

usage: tpmcut.py LISTEN_PORT SWTPM_PORT CC COUNT SWTPM_PID
LISTEN_PORT takes the TPM commands (TCTI swtpm:host=127.0.0.1,port=LISTEN_PORT),
LISTEN_PORT+1 is passed through to swtpm's control port SWTPM_PORT+1. Exits 0
after the cut, 1 when the client went away first; prints "cut after N" or "no cut".
Bounded: gives up after 120 s without a cut.
"""
import os
import signal
import sys

import tpmproxy


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    lport, tport = int(sys.argv[1]), int(sys.argv[2])
    cc, count, pid = int(sys.argv[3], 0), int(sys.argv[4]), int(sys.argv[5])
    data_l = tpmproxy.start(lport, tport)
    seen = 0

    def exchange(_cmd, code, rsp, rc, _upstream):
        nonlocal seen
        if code == cc and rc == 0:
            seen += 1
            if seen == count:
                # Said before the kill: the test may stop us right after it.
                print(f"cut after {seen}", flush=True)
                os.kill(pid, signal.SIGKILL)
                return None
        return rsp

    if tpmproxy.relay(data_l, tport, exchange, 120):
        return 0
    print("no cut", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
