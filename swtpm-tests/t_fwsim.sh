#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Firmware simulator: real firmware event logs are replayed into swtpm's PCRs (with
# the log's StartupLocality), handed to the agent as its firmware log, quoted and
# appraised offline; a flipped firmware digest is caught and the event named.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd swtpm_ioctl tpm2_startup python3

logs=$GW_TESTDATA/eventlogs
fix=$GW_ROOT/common/tests/fixtures/eventlog/good
fwsim=$GW_BIN/tools/gw-fwsim

# boot_with_log NAME LOG BANKS: fresh TPM, firmware replay, agent boot, quote, check.
boot_with_log() {
  local name=$1 log=$2 banks=$3 state conf nonce q
  GW_BANKS=$banks swtpm_start --no-startup || return 1
  expect_exit -n "$name-fwsim-startup" 0 "$fwsim" startup "$log" || return 1
  expect_exit -n "$name-fwsim-replay" 0 "$fwsim" replay "$log"
  state=$GW_TMP/$name/state
  conf=$GW_TMP/$name/agent.conf
  mkdir -p "$GW_TMP/$name"
  printf 'app %s\n' "$name" >"$GW_TMP/$name/app.bin"
  gw_agent_config "$conf" "$state" application="$GW_TMP/$name/app.bin"
  printf '[agent]\nfirmware_log = %s\n' "$log" >>"$conf"
  expect_exit -n "$name-provision" 0 gwagent --config "$conf" provision
  expect_exit -n "$name-boot" 0 gwagent --config "$conf" boot
  nonce=$(gw_nonce)
  q=$GW_TMP/$name/q
  expect_exit -n "$name-quote" 0 gwagent --config "$conf" quote --nonce "$nonce" --out "$q"
  expect_file "$name-evidence-has-firmware-log" "$q/firmware.bin"
  expect_exit -n "$name-appraisal-passes" 0 gwverifier check-quote --evidence "$q/evidence.json" \
    --ak "$state/ak.pem" --nonce "$nonce" --json
  check "$name-firmware-pcrs-replayed" python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
st={c['name']:c['status'] for c in d['checks']}
assert st['firmware-log-replay']=='pass' and st['cel-log-replay']=='pass', st
fw=[p for b in d['pcrs'].values() for k,p in b.items() if p['log'] in ('firmware','both')]
assert len(fw) >= 4 and all(p['match'] for p in fw), fw"
  expect_no_handles "$name-no-handles"
  LAST_Q=$q LAST_STATE=$state LAST_NONCE=$nonce
  swtpm_stop
}

boot_with_log arch-linux "$logs/tpm2-tools-event-arch-linux.bin" sha1,sha256
q=$LAST_Q
# Flip one byte of a PCR 4 digest in the firmware log: caught, event named.
python3 - "$q/firmware.bin" "$GW_TMP/tampered-fw.bin" "$GW_TMP/flipped-event" <<'PY' || fail tamper-fixture "could not make the tampered log"
import struct, sys
src, dst, out = sys.argv[1:]
b = bytearray(open(src, 'rb').read())
# Header event (TCG_PCR_EVENT): pcr, type, sha1[20], size, data.
off = 8 + 20
off += 4 + struct.unpack_from('<I', b, off)[0]
num = 1
while off < len(b):
    pcr, typ, count = struct.unpack_from('<III', b, off)
    p = off + 12
    first_digest = p + 2
    for _ in range(count):
        alg = struct.unpack_from('<H', b, p)[0]
        p += 2 + {4: 20, 11: 32, 12: 48, 13: 64}[alg]
    size = struct.unpack_from('<I', b, p)[0]
    if pcr == 4 and typ != 3:
        b[first_digest] ^= 0xff
        open(dst, 'wb').write(b)
        open(out, 'w').write(str(num))
        break
    off = p + 4 + size
    num += 1
PY
expect_exit -n tampered-firmware-log-caught 16 gwverifier check-quote --ak "$LAST_STATE/ak.pem" \
  --nonce "$LAST_NONCE" --message "$q/quote.msg" --signature "$q/quote.sig" --pcrs "$q/quote.pcrs" \
  --eventlog "$GW_TMP/tampered-fw.bin" --cel "$q/eventlog.cel" --json
check tampered-firmware-event-named python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
f=d['failure']; assert f['log']=='firmware' and f['pcr']==4, f
assert f['event']==$(cat "$GW_TMP/flipped-event"), (f, $(cat "$GW_TMP/flipped-event"))
assert 'PCR 4' in d['message'], d['message']"
# --firmware-log is the same option (the name gwagent quote uses).
expect_exit -n tampered-firmware-log-caught-by-firmware-log 16 gwverifier check-quote \
  --ak "$LAST_STATE/ak.pem" --nonce "$LAST_NONCE" --message "$q/quote.msg" \
  --signature "$q/quote.sig" --pcrs "$q/quote.pcrs" \
  --firmware-log "$GW_TMP/tampered-fw.bin" --cel "$q/eventlog.cel"

boot_with_log ubuntu-2104-sha384 "$logs/go-attestation-ubuntu_2104_shielded_vm_no_secure_boot_eventlog.bin" sha1,sha256,sha384
boot_with_log moklist-pcr14 "$logs/tpm2-tools-event-moklisttrusted.bin" sha256
boot_with_log legacy-sha1 "$logs/tpm2-tools-event-uefi-sha1-log.bin" sha1
boot_with_log startup-locality-3 "$fix/startup-locality.bin" sha1,sha256
expect_output_contains -n startup-locality-3-pcr0-start 'at locality 3' "$GW_TMP/out/"*.stdout
