#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The TPM owner authorization never crosses the TPM bus in clear: a recording proxy
# (tpmrec.py) between gwagent and the swtpm captures every command of a provisioning
# with --owner-auth-file; the secret's bytes appear nowhere, and every
# owner-authorized command used an HMAC session salted with the provisioned EK, its
# TPM2B first parameter encrypted (owner_sessions.py parses the capture). Provisioning
# and the counters still work through it; a wrong owner authorization is still named.
# An interposer answering with its own EK (the proxy changes the endorsement seed
# after the EK the agent pinned) is refused before any owner-authorized command, and
# so is a TPM whose EK is not the one a previous provisioning exported (ek.pub).
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd tpm2_changeauth tpm2_getcap python3

swtpm_start || exit 1
secret=gw-owner-3d9c51e7a0b4f286
printf '%s\n' "$secret" >"$GW_TMP/owner.auth"
check set-owner-auth tpm2_changeauth -c owner "$secret"

write_conf() {   # CONF STATE CHANNEL=COUNTER:BASELINE...
  local conf=$1 state=$2 c
  shift 2
  printf '[agent]\nstate_dir = %s\n' "$state" >"$conf"
  for c in "$@"; do
    printf '\n[channel %s]\ncounter_index = %s\nbaseline_index = %s\n' \
      "${c%%=*}" "$(echo "${c#*=}" | cut -d: -f1)" "$(echo "${c#*=}" | cut -d: -f2)" >>"$conf"
  done
}
state=$GW_TMP/state
conf=$GW_TMP/agent.conf
write_conf "$conf" "$state" stable=0x01800100:0x01800101 beta=0x01800102:0x01800103

pport=$(free_port 2)   # the proxy needs two ports in a row, as swtpm does
[ -n "$pport" ] || { fail proxy-ports "no two free ports in a row"; exit 1; }
PROXY_TCTI="swtpm:host=127.0.0.1,port=$pport"
rec_start() {   # NAME [--change-eps-after N]: record into $GW_TMP/NAME.rec
  local name=$1
  shift
  bg_start "$name" python3 "$GW_ROOT/swtpm-tests/tpmrec.py" "$pport" "$SWTPM_PORT" \
    "$GW_TMP/$name.rec" "$@"
  wait_for_port "$pport" 20 || fail "$name-listens" "no proxy listener on $pport"
}
rec_stop() { bg_stop "$1"; touch "$GW_TMP/$1.rec"; }
ga() { gwagent --config "$1" --tcti "$PROXY_TCTI" "${@:2}"; }
ctr() { GW_TCTI=$PROXY_TCTI "$GW_BIN/tools/gw-counter" --config "$conf" "$@"; }
ctr_direct() { "$GW_BIN/tools/gw-counter" --config "$@"; }   # CONF ARGS: not through the proxy
sessions() {   # TEST REC EXPECT: owner_sessions.py over REC
  check "$1" python3 "$GW_ROOT/swtpm-tests/owner_sessions.py" "$GW_TMP/$2.rec" "$secret" \
    "$state/ek.pub" "$3"
}
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$GW_STDOUT" "$1"; }

# ------------------------------------------------------- first provisioning ---
rec_start rec1
expect_exit -n provision-through-proxy 0 ga "$conf" provision --owner-auth-file "$GW_TMP/owner.auth"
expect_output_contains -n provision-defines-stable 'Counter stable: defined at 0x01800100'
expect_output_contains -n provision-defines-beta 'Counter beta: defined at 0x01800102'
rec_stop rec1
check proxy-saw-commands test -s "$GW_TMP/rec1.rec"
# SRK: CreatePrimary + EvictControl; AK: EvictControl; each channel: two
# NV_DefineSpace, the baseline's NV_Write and NV_WriteLock.
sessions provision-owner-auth-only-in-salted-sessions rec1 \
  CreatePrimary=1,EvictControl=2,NV_DefineSpace=4,NV_Write=2,NV_WriteLock=2
expect_no_handles provision-leaves-no-handles

# --------------------------------------------- again, and the counters work ---
rec_start rec2
expect_exit -n provision-again 0 ga "$conf" provision --owner-auth-file "$GW_TMP/owner.auth"
expect_output_contains -n provision-again-exists 'Counter stable: exists'
expect_exit -n advance-through-proxy 0 ctr advance stable 2
expect_exit -n read-through-proxy 0 ctr read stable
expect_eq counter-advanced "$(field security_version)" 2
rec_stop rec2
sessions nothing-owner-authorized-when-all-exists rec2 none

# A wrong (here: no) owner authorization is still refused and named, and the new
# channel's index is not defined.
conf3=$GW_TMP/agent3.conf
write_conf "$conf3" "$state" stable=0x01800100:0x01800101 gamma=0x01800104:0x01800105
rec_start rec3
expect_exit -n provision-without-owner-auth 4 ga "$conf3" provision
expect_output_contains -n provision-names-owner-auth 'refused the owner authorization.*--owner-auth-file'
rec_stop rec3
check no-secret-without-owner-auth bash -c "! grep -q '$(printf '%s' "$secret" | od -An -tx1 | tr -d ' \n')' '$GW_TMP/rec3.rec'"
expect_exit -n gamma-not-defined 3 ctr_direct "$conf3" read gamma
expect_no_handles refused-leaves-no-handles

# ------------------------------------------------- an EK substituted on the bus ---
# A fresh state directory pins the EK read first; the proxy then changes the
# endorsement seed, so the EK created to salt the first owner session (the new
# channel's NV_DefineSpace, or the AK's) is another key. Refused, nothing owner-
# authorized sent.
state4=$GW_TMP/state4
conf4=$GW_TMP/agent4.conf
write_conf "$conf4" "$state4" stable=0x01800100:0x01800101 gamma=0x01800104:0x01800105
rec_start rec4 --change-eps-after 1
expect_exit -n substituted-ek-refused 4 ga "$conf4" provision --owner-auth-file "$GW_TMP/owner.auth"
expect_output_contains -n substituted-ek-named 'answered with an EK that is not the provisioned one'
rec_stop rec4
check proxy-changed-eps grep -q '^I ' "$GW_TMP/rec4.rec"
sessions substituted-ek-no-owner-command rec4 none
expect_exit -n gamma-still-not-defined 3 ctr_direct "$conf4" read gamma
expect_no_handles substituted-leaves-no-handles

# The first state directory's ek.pub is the EK before the seed changed: the TPM now
# answers with another EK, refused before any owner-authorized command.
rec_start rec5
expect_exit -n other-ek-than-provisioned-refused 4 ga "$conf" provision --owner-auth-file "$GW_TMP/owner.auth"
expect_output_contains -n other-ek-named 'not the one provisioned in .*ek.pub'
rec_stop rec5
sessions other-ek-no-owner-command rec5 none

