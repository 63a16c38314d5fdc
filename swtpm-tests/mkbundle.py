#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Test tool: writes an update bundle (.gwb) the way doc/updates.md describes it,
# independently of the C code under test (Python's tarfile, signatures by the
# openssl command), with any manifest field set or left out, so that scenarios can
# make bundles `gwpolicy bundle create` refuses to make (expired, wrong fields).
#
# usage: mkbundle.py --key KEY.key [--key ...] [--model M ...] [--channel C]
#          [--version V] [--security-version N] [--created T] [--expires T]
#          [--notes TEXT] [--set FIELD=JSON ...] --image CLASS=FILE [--image ...]
#          [--manifest FILE] [-o OUT]
#          (--manifest: that manifest document as it is, --set applied, and the
#          --image files as the members' bytes: an encrypted bundle's edited
#          members re-signed)   (default: standard output; payloads are streamed, not read
#                      into memory)
import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time

MTYPE = "application/vnd.gatewarden.manifest+json"


def run(args, data=None):
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout


def keyid(key):
    der = run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"])
    return hashlib.sha256(der).hexdigest()


def pae(ptype, body):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def sign(key, msg):
    with tempfile.NamedTemporaryFile() as f:
        f.write(msg)
        f.flush()
        kind = run(["openssl", "pkey", "-in", key, "-noout", "-text"])
        if b"ED25519" in kind:
            return run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", f.name])
        return run(["openssl", "dgst", "-sha256", "-sign", key, f.name])


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", action="append", required=True)
    ap.add_argument("--model", action="append")
    ap.add_argument("--channel", default="stable")
    ap.add_argument("--version", default="2.0.0")
    ap.add_argument("--security-version", type=int, default=1)
    ap.add_argument("--created", default=utc(time.time() - 60))
    ap.add_argument("--expires")
    ap.add_argument("--notes")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--image", action="append", required=True)
    ap.add_argument("--manifest")
    ap.add_argument("-o", dest="out")
    a = ap.parse_args()

    images = [i.split("=", 1) for i in a.image]
    m = {"_type": "gatewarden-manifest", "format": 1, "models": a.model or ["gw-test"],
         "channel": a.channel, "version": a.version,
         "security_version": a.security_version, "created": a.created,
         "reboot_required": True,
         "payloads": [{"class": c, "size": os.path.getsize(f), "sha256": file_sha256(f)}
                      for c, f in images]}
    if a.manifest:
        m = json.load(open(a.manifest))
    if a.expires:
        m["expires"] = a.expires
    if a.notes:
        m["notes"] = a.notes
    for s in a.set:
        k, v = s.split("=", 1)
        m[k] = json.loads(v)
    body = json.dumps(m, separators=(",", ":")).encode()
    env = {"payloadType": MTYPE, "payload": base64.b64encode(body).decode(),
           "signatures": [{"keyid": keyid(k), "sig": base64.b64encode(
               sign(k, pae(MTYPE, body))).decode()} for k in a.key]}
    envb = json.dumps(env, separators=(",", ":")).encode()

    out = open(a.out, "wb") if a.out else sys.stdout.buffer
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        ti = tarfile.TarInfo("manifest.dsse")
        ti.size = len(envb)
        ti.mode = 0o644
        tar.addfile(ti, fileobj=__import__("io").BytesIO(envb))
        for c, f in images:
            ti = tarfile.TarInfo("payload/" + c)
            ti.size = os.path.getsize(f)
            ti.mode = 0o644
            with open(f, "rb") as fo:
                tar.addfile(ti, fileobj=fo)
    out.flush()


if __name__ == "__main__":
    main()
