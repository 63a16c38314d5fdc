#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A rolled-back TPM: the swtpm state is saved, the device moves on (reboots,
# attests), then the old state is put back. Its quotes are genuine and fresh (new
# nonce) but its resetCount went backwards: the verifier must say contraindicated.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd swtpm swtpm_ioctl

localca=/var/lib/swtpm-localca
swtpm_start || exit 1

# Stop swtpm cleanly (state saved) and start it again on the same ports, from
# whatever is in its state directory then.
swtpm_restart() {
  swtpm_ioctl --tcp "127.0.0.1:$SWTPM_CTRL_PORT" -s >/dev/null 2>&1
  for _ in $(seq 50); do _gw_alive "$SWTPM_PID" swtpm || break; sleep 0.1; done
  [ -n "${1:-}" ] && { rm -rf "$SWTPM_STATE" && cp -a "$1" "$SWTPM_STATE"; }
  for _ in $(seq 50); do
    swtpm socket --tpm2 --tpmstate "dir=$SWTPM_STATE" \
      --server "type=tcp,port=$SWTPM_PORT,bindaddr=127.0.0.1" \
      --ctrl "type=tcp,port=$SWTPM_CTRL_PORT,bindaddr=127.0.0.1" \
      --flags not-need-init,startup-clear --daemon --pid "file=$SWTPM_DIR/swtpm.pid" \
      --log "file=$SWTPM_DIR/swtpm.log" >/dev/null 2>&1 && break
    sleep 0.2
  done
  for _ in $(seq 50); do [ -s "$SWTPM_DIR/swtpm.pid" ] && break; sleep 0.1; done
  SWTPM_PID=$(cat "$SWTPM_DIR/swtpm.pid")
  _gw_swtpm_pids+=("$SWTPM_PID")
  _gw_swtpm_ctrls+=("$SWTPM_CTRL_PORT")
  for _ in $(seq 100); do tpm2_getrandom --hex 8 >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

vdir=$GW_TMP/verifier
port=$(free_port)
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = none/auto_approve = all/' "$vdir/verifier.conf"
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
wait_for_port "$port" 20 || fail verifier-listens "no listener on $port"

printf 'application v1\n' >"$GW_TMP/app.bin"
conf=$GW_TMP/agent.conf
gw_agent_config "$conf" "$GW_TMP/state" app="$GW_TMP/app.bin"
ga() { gwagent --config "$conf" "$@"; }
expect_exit -n provision 0 ga provision
expect_exit -n boot 0 ga boot
expect_exit -n enroll 0 ga enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" --device-id gw-rollback
expect_exit -n attest-1 23 ga attest

# Save the TPM as it is now.
check snapshot-restart swtpm_restart
cp -a "$SWTPM_STATE" "$GW_TMP/tpm-snapshot"
rc_old=$(tpm_reset_count)

# The device moves on: two reboots, each with a boot log and an attestation (the
# restart from the saved state below is a reset too, so one would not be enough).
for n in 2 3; do
  check "power-cycle-$n" swtpm_power_cycle
  expect_exit -n "boot-$n" 0 ga boot
  expect_exit -n "attest-$n" 23 ga attest
done
rc_new=$(tpm_reset_count)
expect_gt reset-count-advanced "$rc_new" "$rc_old"

# Put the old TPM state back: genuine TPM, genuine AK, fresh nonce, older clock.
check rollback-restart swtpm_restart "$GW_TMP/tpm-snapshot"
expect_gt reset-count-went-back "$rc_new" "$(tpm_reset_count)"
expect_exit -n boot-after-rollback 0 ga boot
expect_exit -n rolled-back-tpm-contraindicated 24 ga attest
expect_output_contains -n rolled-back-tpm-named 'instance-identity/clock: TPM clock went backwards'
expect_exit -n history 0 gwverifier history --config "$vdir/verifier.conf" gw-rollback --json
check history-records-it python3 -c "
import json; h = json.load(open('$GW_STDOUT')); assert h[0]['status'] == 'contraindicated', h[0]"
expect_no_handles no-handles
