#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks a tpmrec.py log of the agent's TPM commands for how the owner
authorization travelled: the secret's bytes appear nowhere (commands, responses,
injected lines); every command authorized by TPM_RH_OWNER used one HMAC session
(never the password session TPM_RS_PW), started by TPM2_StartAuthSession with an
encrypted salt for an EK whose public area is EKPUB's (the provisioned ek.pub),
AES-128-CFB and SHA-256; the commands whose first parameter is a TPM2B carry it
encrypted (the session's decrypt attribute). Prints the owner-authorized commands
by name and count, and exits 1 naming the first violation.

usage: owner_sessions.py LOG SECRET EKPUB EXPECT
EXPECT: the counts to see, "NV_DefineSpace=4,NV_Write=2" (unlisted: 0), or "none".
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tpmproxy  # noqa: E402

TPM_RH_OWNER = 0x40000001
TPM_RH_LOCKOUT = 0x4000000A
TPM_RH_ENDORSEMENT = 0x4000000B
NAMES = {0x11F: "NV_UndefineSpace", 0x120: "EvictControl", 0x126: "Clear",
         0x129: "HierarchyChangeAuth", 0x12A: "NV_DefineSpace", 0x131: "CreatePrimary",
         0x134: "NV_Increment", 0x137: "NV_Write", 0x138: "NV_WriteLock",
         0x14E: "NV_Read"}
# Commands whose first parameter is a TPM2B (carried encrypted).
ENCRYPTED_FIRST = {0x129, 0x12A, 0x131, 0x137}
TPMA_SESSION_DECRYPT = 0x20


class Bad(Exception):
    pass


def response_params(rsp, handles):
    tag = struct.unpack_from(">H", rsp, 0)[0]
    off = 10 + 4 * handles
    return off + (4 if tag == tpmproxy.TPM_ST_SESSIONS else 0)


def start_session(cmd, keys):
    _code, handles, _sess, p = tpmproxy.parse_command(cmd)
    _nonce, off = tpmproxy.tpm2b(p, 0)
    salt, off = tpmproxy.tpm2b(p, off)
    se_type = p[off]
    sym = struct.unpack_from(">H", p, off + 1)
    off += 3
    if sym[0] != 0x0010:  # TPM_ALG_NULL has no key bits or mode
        sym += struct.unpack_from(">HH", p, off)
        off += 4
    (auth_hash,) = struct.unpack_from(">H", p, off)
    return {"key": keys.get(handles[0]), "salt": len(salt), "type": se_type,
            "sym": sym, "hash": auth_hash}


def check_owner(code, sessions, info, ek_pub, name):
    if len(sessions) != 1:
        raise Bad("%s: %d sessions" % (name, len(sessions)))
    s = sessions[0]
    if s["handle"] == tpmproxy.TPM_RS_PW or s["handle"] >> 24 != 0x02:
        raise Bad("%s: session 0x%08x is not an HMAC session" % (name, s["handle"]))
    if info is None:
        raise Bad("%s: session 0x%08x not started in this log" % (name, s["handle"]))
    if info["key"] != ek_pub or info["salt"] == 0:
        raise Bad("%s: session not salted with the provisioned EK" % name)
    if info["type"] != 0 or info["sym"] != (0x0006, 128, 0x0043) or info["hash"] != 0x000B:
        raise Bad("%s: session is not HMAC/AES-128-CFB/SHA-256: %r" % (name, info))
    if len(s["hmac"]) != 32:
        raise Bad("%s: HMAC of %d bytes" % (name, len(s["hmac"])))
    if code in ENCRYPTED_FIRST and not s["attrs"] & TPMA_SESSION_DECRYPT:
        raise Bad("%s: first parameter not encrypted" % name)


def scan(lines, ek_pub):
    keys, sessions, counts = {}, {}, {}
    for i in range(0, len(lines) - 1, 2):
        kind, cmd_hex = lines[i].split()
        _, rsp_hex = lines[i + 1].split()
        if kind == "I":
            continue
        cmd, rsp = bytes.fromhex(cmd_hex), bytes.fromhex(rsp_hex)
        code, handles, sess, params = tpmproxy.parse_command(cmd)
        rc = struct.unpack_from(">I", rsp, 6)[0]
        if code == 0x131 and handles[0] == TPM_RH_ENDORSEMENT and rc == 0:
            h = struct.unpack_from(">I", rsp, 10)[0]
            pub, _ = tpmproxy.tpm2b(rsp, response_params(rsp, 1))
            keys[h] = struct.pack(">H", len(pub)) + pub
        elif code == 0x176 and rc == 0:
            sessions[struct.unpack_from(">I", rsp, 10)[0]] = start_session(cmd, keys)
        if code in NAMES and handles and handles[0] in (TPM_RH_OWNER, TPM_RH_LOCKOUT):
            name = NAMES[code]
            check_owner(code, sess, sessions.get(sess[0]["handle"]) if sess else None,
                        ek_pub, name)
            counts[name] = counts.get(name, 0) + 1
    return counts


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    log, secret, ek_path, expect = sys.argv[1:]
    lines = open(log, encoding="ascii").read().split("\n")
    lines = [x for x in lines if x]
    if any(secret.encode() in bytes.fromhex(x.split()[1]) for x in lines):
        print("the owner authorization's bytes are in the TPM traffic")
        return 1
    try:
        counts = scan(lines, open(ek_path, "rb").read())
    except (Bad, ValueError, IndexError, struct.error) as e:
        print("owner session check: %s" % e)
        return 1
    want = {} if expect == "none" else dict(
        (k, int(v)) for k, v in (x.split("=") for x in expect.split(",")))
    got = ",".join("%s=%d" % kv for kv in sorted(counts.items())) or "none"
    print("owner-authorized commands: %s" % got)
    if counts != want:
        print("expected %s" % expect)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
