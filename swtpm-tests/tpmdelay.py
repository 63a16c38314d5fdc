#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A slow TPM: a proxy in front of a swtpm that holds back the response to every
command with command code CC for SECONDS before the client gets it, so that what
the client sends next reaches the TPM that much later (an authorization that
expires in between, as on a gateway whose agent stalls).

usage: tpmdelay.py LISTEN_PORT SWTPM_PORT CC SECONDS
LISTEN_PORT takes the TPM commands (TCTI swtpm:host=127.0.0.1,port=LISTEN_PORT),
LISTEN_PORT+1 is passed through to swtpm's control port SWTPM_PORT+1. Serves for
at most 120 s; prints "delayed N" for each held response.
"""
import sys
import time

import tpmproxy


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    lport, tport = int(sys.argv[1]), int(sys.argv[2])
    cc, seconds = int(sys.argv[3], 0), float(sys.argv[4])
    data_l = tpmproxy.start(lport, tport)
    held = 0

    def exchange(_cmd, code, rsp, _rc, _upstream):
        nonlocal held
        if code == cc:
            held += 1
            time.sleep(seconds)
            print(f"delayed {held}", flush=True)
        return rsp

    tpmproxy.relay(data_l, tport, exchange, 120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
