#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The anti-rollback counters certified in the evidence (TPM2_NV_Certify by the AK
# over the round's nonce) and verified by gwverifier check-quote: the security
# version of each provisioned channel; a channel not provisioned is left out; each
# forgery of the certifications is refused with its own reason (a counter and
# baseline swapped, a public area with other attributes or another index, another
# round's nonce, an edited value, one channel twice, another channel's baseline);
# indices a local root defines elsewhere certify under other names, which is what
# the verifier pins (doc/updates.md).
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 tpm2_nvdefine tpm2_nvincrement tpm2_nvwrite tpm2_nvwritelock

swtpm_start || exit 1
state=$GW_TMP/state
conf=$GW_TMP/agent.conf
write_conf() {   # CHANNEL=COUNTER:BASELINE...
  local c
  printf '[agent]\nstate_dir = %s\n' "$state" >"$conf"
  for c in "$@"; do
    printf '\n[channel %s]\ncounter_index = %s\nbaseline_index = %s\n' \
      "${c%%=*}" "$(echo "${c#*=}" | cut -d: -f1)" "$(echo "${c#*=}" | cut -d: -f2)" >>"$conf"
  done
}
ga() { gwagent --config "$conf" "$@"; }
ctr() { "$GW_BIN/tools/gw-counter" --config "$conf" "$@"; }
write_conf stable=0x01800100:0x01800101 beta=0x01800102:0x01800103
check provision ga provision
check advance-stable-to-3 ctr advance stable 3
# a third channel configured but not provisioned: nothing to certify
write_conf stable=0x01800100:0x01800101 beta=0x01800102:0x01800103 \
  later=0x01800104:0x01800105

nonce=$(gw_nonce)
q=$GW_TMP/q
check quote ga quote --nonce "$nonce" --out "$q"
ev=$q/evidence.json
expect_eq counters-in-evidence "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['counters']))" "$ev")" 2
expect_no_handles quote-leaves-no-handles
cq() { gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" "$@"; }
check check-quote-pass cq --evidence "$ev"
expect_output_contains -n stable-sv-3 '^  counter stable: security version 3 \(counter 0x01800100 = [0-9]+, baseline 0x01800101 = [0-9]+\)$'
expect_output_contains -n beta-sv-0 '^  counter beta: security version 0 '
expect_output_not_contains -n later-left-out 'counter later'
check check-quote-json cq --evidence "$ev" --json
expect_eq json-stable-sv "$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['counters'][0]['channel'], d['counters'][0]['security_version'])" "$GW_STDOUT")" 'stable 3'
genuine_name=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counters'][0]['counter_name'])" "$GW_STDOUT")

# The forgeries: each made from this evidence with python, each refused.
forge() {   # NAME PYTHON-STATEMENT (e: the evidence; c: its counters)
  python3 - "$ev" "$GW_TMP/$1.json" "$2" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); c = e["counters"]
exec(sys.argv[3])
json.dump(e, open(sys.argv[2], "w"))
PY
}
forge swapped 'c[0]["counter"], c[0]["baseline"] = c[0]["baseline"], c[0]["counter"]'
expect_exit -n swapped-refused 19 cq --evidence "$GW_TMP/swapped.json"
expect_output_contains -n swapped-says 'anti-rollback counters: counter 1: NV index 0x01800101 is not a Gatewarden counter index'
# an attribute flipped in the counter's public area (ORDERLY: bit 26 of TPMA_NV)
forge orderly '
import base64
p = bytearray(base64.b64decode(c[0]["counter"]["nv_public"]))
p[2 + 4 + 2] |= 0x04   # after the TPM2B size, nvIndex and nameAlg: attributes, big-endian
c[0]["counter"]["nv_public"] = base64.b64encode(bytes(p)).decode()'
expect_exit -n orderly-refused 19 cq --evidence "$GW_TMP/orderly.json"
expect_output_contains -n orderly-says 'attributes .*orderly'
# the same public area at another index: its name is not the one certified
forge moved '
import base64
p = bytearray(base64.b64decode(c[0]["counter"]["nv_public"]))
p[2 + 3] ^= 0x40
c[0]["counter"]["nv_public"] = base64.b64encode(bytes(p)).decode()'
expect_exit -n moved-refused 19 cq --evidence "$GW_TMP/moved.json"
expect_output_contains -n moved-says 'certifies another index or public area'
# an edited value inside the signed structure
forge edited '
import base64
a = bytearray(base64.b64decode(c[0]["counter"]["attest"]))
a[-1] ^= 0x01
c[0]["counter"]["attest"] = base64.b64encode(bytes(a)).decode()'
expect_exit -n edited-refused 10 cq --evidence "$GW_TMP/edited.json"
expect_output_contains -n edited-says 'not signed by the AK'
forge twice 'c.append(json.loads(json.dumps(c[0])))'
expect_exit -n twice-refused 19 cq --evidence "$GW_TMP/twice.json"
expect_output_contains -n twice-says "channel 'stable' or its indices certified twice"
forge mixed 'c[0]["baseline"] = c[1]["baseline"]'
expect_exit -n mixed-refused 19 cq --evidence "$GW_TMP/mixed.json"
expect_output_contains -n mixed-says "channel 'beta': baseline 0x01800103 belongs to counter 0x01800102, not 0x01800100"

# another round's certification (its own nonce) in this round's evidence
nonce2=$(gw_nonce)
check quote-2 ga quote --nonce "$nonce2" --out "$GW_TMP/q2"
python3 - "$ev" "$GW_TMP/q2/evidence.json" "$GW_TMP/replayed.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); old = json.load(open(sys.argv[2]))
e["counters"][0] = old["counters"][0]
json.dump(e, open(sys.argv[3], "w"))
PY
expect_exit -n replayed-refused 13 cq --evidence "$GW_TMP/replayed.json"
expect_output_contains -n replayed-says "qualifying data is not this round's nonce"

# A local root with the (empty) owner authorization can define look-alike indices
# elsewhere and point the channel at them; they certify, under other names.
check fake-counter tpm2_nvdefine 0x01800150 -C o -s 8 -a "authwrite|ownerread|authread|nt=counter|no_da"
check fake-counter-written tpm2_nvincrement 0x01800150 -C 0x01800150
check fake-baseline tpm2_nvdefine 0x01800151 -C o -s 76 -a "ownerwrite|writeall|writedefine|ownerread|authread|no_da"
python3 - "$GW_TMP/fake.rec" <<'PY'
import struct, sys
# baseline far ahead of the fake counter would be refused; equal: security version 0
open(sys.argv[1], "wb").write(struct.pack(">QI", 1, 0x01800150) + b"stable".ljust(64, b"\0"))
PY
check fake-baseline-written tpm2_nvwrite 0x01800151 -C o -i "$GW_TMP/fake.rec"
check fake-baseline-locked tpm2_nvwritelock 0x01800151 -C o
write_conf stable=0x01800150:0x01800151
nonce=$(gw_nonce)
check quote-fake ga quote --nonce "$nonce" --out "$GW_TMP/qf"
check check-quote-fake cq --evidence "$GW_TMP/qf/evidence.json" --json
expect_eq fake-sv-0 "$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['counters'][0]['security_version'])" "$GW_STDOUT")" 0
expect_ne fake-has-another-name "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counters'][0]['counter_name'])" "$GW_STDOUT")" "$genuine_name"
expect_no_handles end-leaves-no-handles
