#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Anti-rollback counters against a real swtpm: provisioning (idempotent, attributes
# as doc/updates.md says), advancing to exactly a target, never down; a power cut
# between two increments (swtpm SIGKILLed by a proxy right after the second one)
# ends at exactly the target after a rerun, where an ORDERLY counter jumps ahead;
# editing agent files or pointing a channel at other indices cannot lower the
# security version; redefining the counter can only raise it; what an empty owner
# authorization allows and what a set one stops.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd tpm2_nvreadpublic tpm2_nvread tpm2_nvundefine tpm2_nvdefine tpm2_nvincrement \
  tpm2_nvwrite tpm2_changeauth python3

swtpm_start || exit 1
state=$GW_TMP/state
conf=$GW_TMP/agent.conf
write_conf() {   # [CHANNEL=COUNTER:BASELINE...]
  local c
  printf '[agent]\nstate_dir = %s\n' "$state" >"$conf"
  for c in "$@"; do
    printf '\n[channel %s]\ncounter_index = %s\nbaseline_index = %s\n' \
      "${c%%=*}" "$(echo "${c#*=}" | cut -d: -f1)" "$(echo "${c#*=}" | cut -d: -f2)" >>"$conf"
  done
}
CHANNELS=(stable=0x01800100:0x01800101 beta=0x01800102:0x01800103)
write_conf "${CHANNELS[@]}"
ga() { gwagent --config "$conf" "$@"; }
ctr() { "$GW_BIN/tools/gw-counter" --config "$conf" "$@"; }
field() {   # FIELD: from the last gw-counter output
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$GW_STDOUT" "$1"
}

# Stop the swtpm the hard way (no TPM2_Shutdown, as a power cut) and start it
# again from its state directory on the same ports.
swtpm_kill() { kill -KILL "$SWTPM_PID" 2>/dev/null; for _ in $(seq 50); do _gw_alive "$SWTPM_PID" swtpm || return 0; sleep 0.1; done; return 1; }
swtpm_restart() {
  local i
  rm -f "$SWTPM_DIR/swtpm.pid"
  for ((i = 0; i < 50; i++)); do
    swtpm socket --tpm2 --tpmstate "dir=$SWTPM_STATE" \
      --server "type=tcp,port=$SWTPM_PORT,bindaddr=127.0.0.1" \
      --ctrl "type=tcp,port=$SWTPM_CTRL_PORT,bindaddr=127.0.0.1" \
      --flags not-need-init,startup-clear --daemon --pid "file=$SWTPM_DIR/swtpm.pid" \
      --log "file=$SWTPM_DIR/swtpm.log" >/dev/null 2>&1 && break
    sleep 0.2
  done
  for ((i = 0; i < 50; i++)); do [ -s "$SWTPM_DIR/swtpm.pid" ] && break; sleep 0.1; done
  SWTPM_PID=$(cat "$SWTPM_DIR/swtpm.pid" 2>/dev/null)
  [[ $SWTPM_PID =~ ^[0-9]+$ ]] || return 1
  _gw_swtpm_pids+=("$SWTPM_PID")
  _gw_swtpm_ctrls+=("$SWTPM_CTRL_PORT")
  for ((i = 0; i < 100; i++)); do tpm2_getrandom --hex 8 >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
nv_u64() { tpm2_nvread "$1" -s 8 2>/dev/null | od -An -tx1 | tr -d ' \n' | sed 's/^/0x/' | xargs printf '%d\n'; }

# ------------------------------------------------------------ provisioning ---
expect_exit -n read-before-provision 3 ctr read stable
expect_output_contains -n read-before-provision-says-run-provision 'run gwagent provision'
expect_exit -n provision 0 ga provision
expect_output_contains -n provision-defines-stable 'Counter stable: defined at 0x01800100 \(baseline 0x01800101\), value [0-9]+, baseline [0-9]+, security version 0'
expect_output_contains -n provision-defines-beta 'Counter beta: defined at 0x01800102'
expect_output_contains -n provision-warns-empty-owner-auth "owner authorization is empty"
expect_no_handles provision-leaves-no-handles
expect_exit -n provision-again-json 0 ga provision --json
check provision-again-exists python3 -c "
import json; d = json.load(open('$GW_STDOUT'))
c = {x['channel']: x for x in d['counters']}
assert set(c) == {'stable', 'beta'}, c
for x in c.values():
    assert x['status'] == 'exists' and x['security_version'] == 0 and x['value'] == x['baseline'] >= 1, x
assert c['stable']['counter_index'] == '0x01800100' and c['stable']['baseline_index'] == '0x01800101'
assert d['tpm_auth']['owner_auth_set'] is False"

# The attributes the TPM reports are the ones doc/updates.md lists.
doc=$GW_ROOT/doc/updates.md
doc_attrs() {   # HANDLE: the friendly/value lines the doc shows for tpm2_nvreadpublic HANDLE
  sed -n "/^\$ tpm2_nvreadpublic $1/,/^\$ /p" "$doc" | grep -E '^ +(friendly|value):' | sed 's/^ *//'
}
tpm_attrs() { tpm2_nvreadpublic "$1" | grep -E '^ +(friendly|value):' | sed -n '3,4p' | sed 's/^ *//'; }
for h in 0x01800100 0x01800101; do
  want=$(doc_attrs "$h")
  got=$(tpm_attrs "$h")
  expect_ne "doc-lists-attributes-$h" "$want" ""
  expect_eq "attributes-match-doc-$h" "$got" "$want"
done
check counter-not-orderly-but-no-da bash -c \
  "tpm2_nvreadpublic 0x01800100 | grep friendly: | grep -q 'nt=0x1' && ! tpm2_nvreadpublic 0x01800100 | grep -q orderly && tpm2_nvreadpublic 0x01800100 | grep -q no_da"

expect_exit -n read-initial 0 ctr read stable
v0=$(field value)
b0=$(field baseline)
expect_eq initial-security-version-0 "$(field security_version)" 0
expect_eq initial-value-is-baseline "$v0" "$b0"
expect_eq counter-reads-like-tpm2-tools "$v0" "$(nv_u64 0x01800100)"

# ------------------------------------------------------------------ advance ---
expect_exit -n advance-to-3 0 ctr advance stable 3
expect_eq advance-to-3-security-version "$(field security_version)" 3
expect_eq advance-to-3-value "$(field value)" $((b0 + 3))
expect_exit -n advance-to-3-again 0 ctr advance stable 3
expect_eq advance-again-no-increment "$(nv_u64 0x01800100)" $((b0 + 3))
expect_exit -n advance-down-refused 4 ctr advance stable 2
expect_output_contains -n advance-down-named 'security version is 3, above 2; a counter never goes down'
expect_exit -n advance-too-far-refused 1 ctr advance stable 5000
expect_eq refused-advances-change-nothing "$(nv_u64 0x01800100)" $((b0 + 3))
expect_exit -n beta-untouched 0 ctr read beta
expect_eq beta-still-0 "$(field security_version)" 0
expect_no_handles advance-leaves-no-handles

# ------------------------------------------------------------ power cut ---
# A proxy passes the agent's TPM commands to the swtpm and SIGKILLs the swtpm right
# after the second successful TPM2_NV_Increment (0x134), before its answer arrives:
# advance 3 -> 8 is cut after two increments.
pport=$(free_port 2)   # the proxy needs two ports in a row, as swtpm does
[ -n "$pport" ] || fail proxy-ports "no two free ports in a row"
bg_start tpmcut python3 "$GW_ROOT/swtpm-tests/tpmcut.py" "$pport" "$SWTPM_PORT" 0x134 2 "$SWTPM_PID"
wait_for_port "$pport" 20 || fail tpmcut-listens "no listener on $pport"
expect_exit -n advance-cut-after-two-increments nonzero \
  env GW_TCTI="swtpm:host=127.0.0.1,port=$pport" "$GW_BIN/tools/gw-counter" --config "$conf" advance stable 8
bg_stop tpmcut
expect_output_contains -n proxy-cut-after-two 'cut after 2' "$GW_TMP/tpmcut.log"
check swtpm-was-killed bash -c "! kill -0 $SWTPM_PID 2>/dev/null || grep -q Z /proc/$SWTPM_PID/stat"
check swtpm-restart swtpm_restart
expect_exit -n read-after-cut 0 ctr read stable
expect_eq cut-kept-both-increments "$(field security_version)" 5
expect_exit -n advance-rerun 0 ctr advance stable 8
expect_eq rerun-ends-at-exactly-8 "$(field security_version)" 8
expect_eq rerun-value "$(field value)" $((b0 + 8))
note "power cut: security version 3, advance to 8 cut after 2 increments -> 5 after restart, rerun -> 8"

# Why not ORDERLY: the same two increments on an orderly counter, then the same cut.
check orderly-define tpm2_nvdefine 0x01800200 -C o -s 8 -a "authwrite|authread|nt=counter|orderly|no_da"
check orderly-increment-1 tpm2_nvincrement 0x01800200
check orderly-increment-2 tpm2_nvincrement 0x01800200
o_before=$(nv_u64 0x01800200)
check swtpm-kill-2 swtpm_kill
check swtpm-restart-2 swtpm_restart
o_after=$(nv_u64 0x01800200)
expect_gt orderly-counter-jumped-after-power-cut "$o_after" "$((o_before + 2))"
note "orderly counter: $o_before before the power cut, $o_after after; ours: $(nv_u64 0x01800100) (= baseline $b0 + 8)"
expect_eq ours-unchanged-by-power-cut "$(nv_u64 0x01800100)" $((b0 + 8))
check orderly-undefine tpm2_nvundefine 0x01800200

# ------------------------------------------------------ agent files edited ---
# Nothing in the state directory or the configuration can lower it.
rm -rf "${state:?}"/*
printf 'security_version = 0\n' >"$state/counter"
expect_exit -n read-without-state-files 0 ctr read stable
expect_eq state-files-irrelevant "$(field security_version)" 8
write_conf stable=0x01800102:0x01800103 beta=0x01800100:0x01800101
expect_exit -n swapped-channels-refused 4 ctr read stable
expect_output_contains -n swapped-channels-named "baseline 0x01800103 belongs to channel 'beta', not 'stable'"
write_conf stable=0x01800102:0x01800101
expect_exit -n other-counter-refused 4 ctr read stable
expect_output_contains -n other-counter-named 'belongs to counter 0x01800100, not 0x01800102'
write_conf stable=0x01800110:0x01800111
expect_exit -n fresh-handles-not-provisioned 3 ctr read stable
expect_exit -n fresh-handles-advance-refused 3 ctr advance stable 1
write_conf "${CHANNELS[@]}"
expect_exit -n baseline-write-refused nonzero bash -c "printf '%076d' 0 | tpm2_nvwrite 0x01800101 -C o -i -"
expect_output_contains -n baseline-is-locked 'NV_LOCKED|locked'
expect_exit -n counter-write-refused nonzero bash -c "printf '%08d' 0 | tpm2_nvwrite 0x01800100 -C o -i -"
expect_exit -n read-after-edits 0 ctr read stable
expect_eq edits-changed-nothing "$(field security_version)" 8

# ------------------------------------------------------------ redefinition ---
# Undefining the counter (owner authorization, empty here) and provisioning again:
# the TPM starts the new counter above the highest value any counter ever had, the
# locked baseline stays, so the security version goes up, never down.
v_old=$(nv_u64 0x01800100)
check undefine-counter tpm2_nvundefine 0x01800100
expect_exit -n read-undefined-counter 3 ctr read stable
expect_exit -n provision-redefines 0 ga provision
expect_output_contains -n provision-says-redefined 'Counter stable: redefined at 0x01800100'
expect_exit -n read-redefined 0 ctr read stable
v_new=$(field value)
sv_new=$(field security_version)
expect_eq redefined-baseline-kept "$(field baseline)" "$b0"
expect_gt redefined-value-above-old "$v_new" "$v_old"
expect_gt redefined-security-version-not-lower "$sv_new" 8
note "redefinition: counter $v_old - baseline $b0 = 8 before; new counter starts at $v_new (> $v_old, the highest ever), baseline still $b0: security version $sv_new"

# The baseline alone deleted: provisioning refuses to write a new one.
check undefine-baseline tpm2_nvundefine 0x01800101
expect_exit -n read-without-baseline 4 ctr read stable
expect_output_contains -n read-without-baseline-named 'baseline 0x01800101 was deleted'
expect_exit -n provision-refuses-new-baseline 5 ga provision
expect_output_contains -n provision-refusal-named 'channel stable: counter 0x01800100 has a value but its baseline 0x01800101 was deleted'
check baseline-still-missing bash -c "! tpm2_nvreadpublic 0x01800101 >/dev/null 2>&1"

# Both deleted, which the empty owner authorization allows: a fresh start at 0. The
# device alone cannot tell; the verifier's recorded baseline (issue 11) can.
check undefine-counter-too tpm2_nvundefine 0x01800100
expect_exit -n provision-starts-over 0 ga provision
expect_exit -n read-started-over 0 ctr read stable
expect_eq empty-owner-auth-allows-reset "$(field security_version)" 0
expect_gt restarted-counter-above-all-before "$(field value)" "$v_new"
note "empty owner auth: both indices deleted and redefined -> value $(field value), baseline $(field baseline), security version 0"
expect_exit -n advance-restarted 0 ctr advance stable 4

# With an owner authorization set, nobody without it can delete either index.
printf 'owner-secret\n' >"$GW_TMP/owner.auth"
check set-owner-auth tpm2_changeauth -c owner owner-secret
expect_exit -n undefine-counter-without-owner-auth nonzero tpm2_nvundefine 0x01800100
expect_exit -n undefine-baseline-without-owner-auth nonzero tpm2_nvundefine 0x01800101
expect_exit -n read-after-failed-undefine 0 ctr read stable
expect_eq owner-auth-keeps-security-version "$(field security_version)" 4
expect_exit -n advance-with-owner-auth-set 0 ctr advance stable 5
CHANNELS+=(lts=0x01800104:0x01800105)
write_conf "${CHANNELS[@]}"
expect_exit -n provision-new-channel-needs-owner-auth 4 ga provision
expect_output_contains -n provision-names-owner-auth 'refused the owner authorization.*--owner-auth-file'
expect_exit -n provision-with-owner-auth-file 0 ga provision --owner-auth-file "$GW_TMP/owner.auth"
expect_output_contains -n provision-lts-defined 'Counter lts: defined at 0x01800104'
expect_output_contains -n provision-stable-exists 'Counter stable: exists'
expect_output_not_contains -n no-owner-warning-once-set 'owner authorization is empty'
expect_output_contains -n lockout-warning 'lockout authorization is empty'

# An index at a channel's handle that is not ours (here: ORDERLY) is refused, not
# reused or deleted.
CHANNELS+=(edge=0x01800106:0x01800107)
write_conf "${CHANNELS[@]}"
check foreign-orderly-counter tpm2_nvdefine 0x01800106 -C o -P owner-secret -s 8 \
  -a "authwrite|authread|nt=counter|orderly|no_da"
expect_exit -n provision-refuses-foreign-index 5 ga provision --owner-auth-file "$GW_TMP/owner.auth"
expect_output_contains -n foreign-index-named 'NV index 0x01800106 is not a Gatewarden counter index: attributes .*orderly'
check foreign-index-kept bash -c "tpm2_nvreadpublic 0x01800106 | grep -q orderly"
expect_no_handles end-leaves-no-handles
