#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proves the swtpm harness itself: EK certificate present, PCR banks, power cycle
# resets PCRs and bumps resetCount, and cleanup leaves no swtpm behind.
# shellcheck disable=SC2119 # swtpm_start takes optional arguments
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_cmd swtpm swtpm_setup swtpm_ioctl tpm2_pcrextend tpm2_pcrread \
  tpm2_readclock tpm2_getcap tpm2_nvread openssl

swtpm_start || exit 1
pass swtpm-start

# EK certificates written by swtpm_setup: RSA 2048 in the low range (0x1c00002);
# swtpm 0.7 makes its ECC EK on P-384, certificate in 0x1c00016.
if tpm_nv_defined 0x1c00002; then
  pass ek-cert-rsa-nv-defined
else
  fail ek-cert-rsa-nv-defined "NV index 0x1c00002 not listed by tpm2_getcap handles-nv-index"
fi
if expect_exit -n ek-cert-rsa-read 0 tpm2_nvread 0x1c00002 -o "$GW_TMP/ek-rsa.der"; then
  localca=/var/lib/swtpm-localca
  openssl x509 -inform der -in "$GW_TMP/ek-rsa.der" -out "$GW_TMP/ek-rsa.pem" 2>/dev/null
  check ek-cert-rsa-chains-to-swtpm-localca \
    openssl verify -CAfile "$localca/swtpm-localca-rootca-cert.pem" \
      -untrusted "$localca/issuercert.pem" "$GW_TMP/ek-rsa.pem"
fi

# shellcheck disable=SC2016 # expanded by the inner bash
check pcr-banks-sha1-sha256-active bash -c \
  'out=$(tpm2_getcap pcrs) &&
   grep -qE "sha1: \[ 0, 1" <<<"$out" && grep -qE "sha256: \[ 0, 1" <<<"$out"'

zero256=$(tpm_zero_digest sha256)
zero1=$(tpm_zero_digest sha1)
d256=$(printf 'gatewarden harness' | openssl dgst -sha256 -r | cut -d' ' -f1)
d1=$(printf 'gatewarden harness' | openssl dgst -sha1 -r | cut -d' ' -f1)

expect_eq pcr13-starts-zero "$(tpm_pcr sha256 13)" "$zero256"
check pcr13-extend tpm2_pcrextend "13:sha256=$d256,sha1=$d1"
expect_ne pcr13-sha256-changed "$(tpm_pcr sha256 13)" "$zero256"
expect_ne pcr13-sha1-changed "$(tpm_pcr sha1 13)" "$zero1"
# PCR_new = H(PCR_old || digest), PCR_old all zero.
want=$( { printf '%s' "$zero256"; printf '%s' "$d256"; } | xxd -r -p | openssl dgst -sha256 -r | cut -d' ' -f1)
expect_eq pcr13-sha256-value "$(tpm_pcr sha256 13)" "$want"

rc_before=$(tpm_reset_count)
check power-cycle swtpm_power_cycle
expect_eq pcr13-sha256-zero-after-power-cycle "$(tpm_pcr sha256 13)" "$zero256"
expect_eq pcr13-sha1-zero-after-power-cycle "$(tpm_pcr sha1 13)" "$zero1"
expect_gt reset-count-incremented "$(tpm_reset_count)" "$rc_before"

check power-cycle-orderly swtpm_power_cycle --orderly
expect_gt reset-count-incremented-again "$(tpm_reset_count)" "$((rc_before + 1))"

pid=$SWTPM_PID
check swtpm-stop swtpm_stop
if _gw_alive "$pid"; then
  fail swtpm-gone-after-stop "swtpm pid $pid still running"
else
  pass swtpm-gone-after-stop
fi

# A scenario that dies half-way (non-zero exit, or a signal as from `timeout`)
# must still stop its swtpm and remove its temp dir.
for how in exit signal; do
  nested=$GW_TMP/nested-$how
  mkdir -p "$nested/tmp"
  cat >"$nested/t_nested.sh" <<EOF
#!/usr/bin/env bash
source "$GW_LIB"
swtpm_start || exit 1
echo "\$SWTPM_PID" >"$nested/pid"
echo "\$GW_TMP" >"$nested/tmpdir"
pass started
if [ "$how" = signal ]; then kill -TERM \$\$; sleep 5; fi
exit 3
EOF
  want_rc=3
  [ "$how" = signal ] && want_rc=143
  expect_exit -n "cleanup-on-$how-exit-status" "$want_rc" \
    env SCENARIO="nested-$how" GW_TMPROOT="$nested/tmp" bash "$nested/t_nested.sh"
  npid=$(cat "$nested/pid" 2>/dev/null)
  if [ -z "$npid" ]; then
    fail "cleanup-on-$how-no-swtpm-left" "nested scenario wrote no swtpm pid"
  elif _gw_alive "$npid"; then
    fail "cleanup-on-$how-no-swtpm-left" "swtpm pid $npid still running"
    kill -KILL "$npid" 2>/dev/null
  else
    pass "cleanup-on-$how-no-swtpm-left"
  fi
  ntmp=$(cat "$nested/tmpdir" 2>/dev/null)
  if [ -n "$ntmp" ] && [ ! -e "$ntmp" ]; then
    pass "cleanup-on-$how-temp-dir-removed"
  else
    fail "cleanup-on-$how-temp-dir-removed" "temp dir '$ntmp' still there"
  fi
done
