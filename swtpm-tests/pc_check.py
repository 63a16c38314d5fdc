#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The power-cut invariant: every slot group the bootloader may boot (and the one
it booted) holds an image a valid manifest signs (or the factory image), and the
anti-rollback counter does not exceed the security version of any of them.

usage: pc_check.py STATUS_JSON COUNTER IMAGES SIZE A=DEV B=DEV [BOOTED]
  STATUS_JSON  `gw-bootsim status --json` output (file)
  COUNTER      the channel counter's security version
  IMAGES       lines "SHA256 SECURITY_VERSION NAME": the signed images (and factory)
  SIZE         image size in bytes (the digest covers the device's first SIZE bytes)
  BOOTED       the group the bootloader booted, if it booted one
Exit 0: holds; 1: a violation (printed); 2: usage.
"""
import hashlib
import json
import sys


def main(argv):
    if len(argv) not in (7, 8):
        sys.stderr.write(__doc__)
        return 2
    status = json.load(open(argv[1]))
    counter = int(argv[2])
    known = {}
    for line in open(argv[3]):
        h, sv, name = line.split()
        known[h] = (int(sv), name)
    size = int(argv[4])
    devs = dict(a.split("=", 1) for a in argv[5:7])
    booted = argv[7] if len(argv) == 8 else None
    bad = []
    for g in ("A", "B"):
        st = status["groups"][g]
        may = st["bootable"] or (st["trial"] and st["tries_left"] > 0)
        if not may and g != booted:
            continue
        with open(devs[g], "rb") as f:
            h = hashlib.sha256(f.read(size)).hexdigest()
        what = "booted" if g == booted else "bootable"
        if h not in known:
            bad.append(f"group {g} ({what}) holds an image no valid manifest signs "
                       f"(sha256 {h})")
        elif known[h][0] < counter:
            bad.append(f"counter {counter} exceeds the security version {known[h][0]} "
                       f"of group {g} ({what}, image {known[h][1]})")
    for b in bad:
        print("violation: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
