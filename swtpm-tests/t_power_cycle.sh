#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A power cycle resets the PCRs; the agent notices (resetCount) and starts a new
# event log, keeping the old one; quotes before and after both appraise.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"

swtpm_start || exit 1
state=$GW_TMP/state
printf 'v1\n' >"$GW_TMP/a.bin"
printf 'v2\n' >"$GW_TMP/b.bin"
conf=$GW_TMP/agent.conf
gw_agent_config "$conf" "$state" app="$GW_TMP/a.bin"

expect_exit -n provision 0 gwagent --config "$conf" provision
expect_exit -n boot 0 gwagent --config "$conf" boot
expect_exit -n measure-extra 0 gwagent --config "$conf" measure --stage extra "$GW_TMP/b.bin" --json
check measure-json python3 -c "import json; d=json.loads(open('$GW_STDOUT').readline()); assert d['stage']=='extra' and d['record']==1 and d['status']=='measured'"
expect_exit -n status-two-records 0 gwagent --config "$conf" status --json
check status-counts-records python3 -c "import json; assert json.load(open('$GW_STDOUT'))['event_log']['records']==2"
pcr_before=$(tpm_pcr sha256 13)
rc_before=$(tpm_reset_count)

check power-cycle swtpm_power_cycle
expect_eq pcr13-reset "$(tpm_pcr sha256 13)" "$(tpm_zero_digest sha256)"
expect_gt reset-count-advanced "$(tpm_reset_count)" "$rc_before"

# Before boot runs, a quote already sees an empty log for the new cycle.
nonce=$(gw_nonce)
expect_exit -n quote-before-boot 0 gwagent --config "$conf" quote --nonce "$nonce" --out "$GW_TMP/q0"
check quote-before-boot-empty-log test ! -s "$GW_TMP/q0/eventlog.cel"
expect_exit -n check-before-boot 0 gwverifier check-quote --evidence "$GW_TMP/q0/evidence.json" --ak "$state/ak.pem" --nonce "$nonce"
check old-log-kept bash -c "grep -c \$'\\x1e' '$state/eventlog.cel.prev' | grep -qx 2"

expect_exit -n boot-after-power-cycle 0 gwagent --config "$conf" boot
expect_output_contains -n boot-new-cycle 'boot: TPM reset cycle [0-9]+, continuing the event log'
expect_eq pcr13-same-as-first-boot-stage "$(tpm_pcr sha256 13)" "$(python3 -c "
import hashlib; print(hashlib.sha256(bytes(32)+hashlib.sha256(open('$GW_TMP/a.bin','rb').read()).digest()).hexdigest())")"
expect_ne pcr13-differs-from-before "$(tpm_pcr sha256 13)" "$pcr_before"
nonce=$(gw_nonce)
expect_exit -n quote-after-boot 0 gwagent --config "$conf" quote --nonce "$nonce" --out "$GW_TMP/q1"
expect_exit -n check-after-boot 0 gwverifier check-quote --evidence "$GW_TMP/q1/evidence.json" --ak "$state/ak.pem" --nonce "$nonce"

# A torn last record (crash mid-append) is cut before the next append.
printf '\x1e{"recnum":1,"pcr":13,"dig' >>"$state/eventlog.cel"
printf 'v3\n' >"$GW_TMP/c.bin"
expect_exit -n measure-after-torn-record 0 gwagent --config "$conf" measure --stage late "$GW_TMP/c.bin"
nonce=$(gw_nonce)
expect_exit -n quote-after-repair 0 gwagent --config "$conf" quote --nonce "$nonce" --out "$GW_TMP/q2"
expect_exit -n check-after-repair 0 gwverifier check-quote --evidence "$GW_TMP/q2/evidence.json" --ak "$state/ak.pem" --nonce "$nonce"
# Gateways lose power: many unorderly resets in a row must not lock the AK out
# (dictionary-attack lockout refuses DA-protected keys after unorderly shutdowns).
for i in 1 2 3 4 5 6; do
  "$GW_BIN/gwagent" --config "$conf" quote --nonce "$(gw_nonce)" --out "$GW_TMP/qloss" >/dev/null 2>&1
  swtpm_power_cycle >/dev/null 2>&1 || fail "power-loss-$i" "power cycle failed"
done
nonce=$(gw_nonce)
expect_exit -n quote-after-six-power-losses 0 gwagent --config "$conf" quote --nonce "$nonce" --out "$GW_TMP/q3"
expect_no_handles no-handles
