#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A recording TPM proxy: passes every command to a swtpm and appends each command
and its response to LOG as hex lines ("C <hex>", "R <hex>"). With
--change-eps-after N it sends TPM2_ChangeEPS (platform authorization, empty
password) to the swtpm right after the N-th successful TPM2_CreatePrimary in the
endorsement hierarchy, so every EK created after that is another key: what a device
on the TPM bus answering with a key of its own looks like to the client ("I <hex>"
lines record the injected command and its response).

usage: tpmrec.py LISTEN_PORT SWTPM_PORT LOG [--change-eps-after N]
LISTEN_PORT takes the TPM commands (TCTI swtpm:host=127.0.0.1,port=LISTEN_PORT),
LISTEN_PORT+1 is passed through to swtpm's control port SWTPM_PORT+1. Runs until
killed, at most 600 s.
"""
import struct
import sys

import tpmproxy

TPM_RH_ENDORSEMENT = 0x4000000B
TPM_RH_PLATFORM = 0x4000000C
TPM_CC_CREATE_PRIMARY = 0x131
TPM_CC_CHANGE_EPS = 0x124


def change_eps_command():
    auth = struct.pack(">IHBH", tpmproxy.TPM_RS_PW, 0, 0x01, 0)
    body = struct.pack(">II", TPM_RH_PLATFORM, len(auth)) + auth
    return struct.pack(">HII", tpmproxy.TPM_ST_SESSIONS, 10 + len(body), TPM_CC_CHANGE_EPS) + body


def main():
    args = sys.argv[1:]
    eps_after = 0
    if len(args) == 5 and args[3] == "--change-eps-after":
        eps_after = int(args[4])
        args = args[:3]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    lport, tport, path = int(args[0]), int(args[1]), args[2]
    data_l = tpmproxy.start(lport, tport)
    log = open(path, "a", encoding="ascii")
    ek_made = 0

    def exchange(cmd, code, rsp, rc, upstream):
        nonlocal ek_made
        log.write("C %s\nR %s\n" % (cmd.hex(), rsp.hex()))
        log.flush()
        if (eps_after and code == TPM_CC_CREATE_PRIMARY and rc == 0 and
                struct.unpack_from(">I", cmd, 10)[0] == TPM_RH_ENDORSEMENT):
            ek_made += 1
            if ek_made == eps_after:
                inject = change_eps_command()
                upstream.sendall(inject)
                answer, _ = tpmproxy.recv_message(upstream)
                log.write("I %s\nI %s\n" % (inject.hex(), answer.hex()))
                log.flush()
        return rsp

    tpmproxy.relay(data_l, tport, exchange, 600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
