#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boot measurement, quote and offline appraisal against a real swtpm: the pass path,
# then every way the appraisal must fail (tampered stage, tampered/reordered/
# truncated CEL log, logged-but-not-extended record, wrong nonce, foreign AK).
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl python3 tpm2_checkquote

swtpm_start || exit 1
state=$GW_TMP/state
stages=$GW_TMP/stages
mkdir -p "$stages"
head -c 300000 /dev/urandom >"$stages/rootfs.img"
printf 'app v1\n' >"$stages/app.bin"
printf 'mode=prod\n' >"$stages/app.conf"
conf=$GW_TMP/agent.conf
gw_agent_config "$conf" "$state" rootfs="$stages/rootfs.img" application="$stages/app.bin" config="$stages/app.conf"

expect_exit -n provision 0 gwagent --config "$conf" provision
expect_exit -n boot 0 gwagent --config "$conf" boot
expect_output_contains -n boot-names-stage "stage rootfs: .*rootfs.img sha256:$(sha256sum "$stages/rootfs.img" | cut -d' ' -f1)"
expect_no_handles boot-leaves-no-handles
expect_exit -n boot-twice-refused 5 gwagent --config "$conf" boot
expect_output_contains -n boot-twice-says-why 'boot already ran in this TPM reset cycle'

# PCR 13 equals the independent replay of the three stage digests.
want=$(python3 - "$stages/rootfs.img" "$stages/app.bin" "$stages/app.conf" <<'PY'
import hashlib, sys
pcr = bytes(32)
for f in sys.argv[1:]:
    pcr = hashlib.sha256(pcr + hashlib.sha256(open(f, 'rb').read()).digest()).digest()
print(pcr.hex())
PY
)
expect_eq pcr13-equals-independent-replay "$(tpm_pcr sha256 13)" "$want"

nonce=$(gw_nonce)
q=$GW_TMP/q1
expect_exit -n quote 0 gwagent --config "$conf" quote --nonce "$nonce" --out "$q"
expect_no_handles quote-leaves-no-handles
for f in evidence.json quote.msg quote.sig quote.pcrs ak.pem eventlog.cel; do
  expect_file "quote-wrote-$f" "$q/$f"
done
cp "$q/eventlog.cel" "$GW_TMP/golden.cel"
expect_exit -n quote-json 0 gwagent --config "$conf" quote --nonce "$nonce" --out "$GW_TMP/qj" --json
check_py quote-json-names-files "$GW_STDOUT" "$GW_TMP/qj" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
assert d["dir"] == sys.argv[2] and d["evidence"] == "evidence.json", d
assert d["ak_handle"].startswith("0x81") and "sha256:" in d["pcrs"], d
for f in d["files"]:
    assert os.path.isfile(os.path.join(d["dir"], f)), f
assert "quote.sig" in d["files"] and "eventlog.cel" in d["files"], d
PY

expect_exit -n check-evidence-pass 0 gwverifier check-quote --evidence "$q/evidence.json" --ak "$state/ak.pem" --nonce "$nonce"
expect_output_contains -n check-evidence-says-pass '^PASS'
expect_exit -n check-files-pass 0 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
  --message "$q/quote.msg" --signature "$q/quote.sig" --pcrs "$q/quote.pcrs" --cel "$q/eventlog.cel"
expect_exit -n check-tss-ak-pass 0 gwverifier check-quote --evidence "$q/evidence.json" --ak "$state/ak.pub" --nonce "$nonce"
expect_exit -n check-reference-pass 0 gwverifier check-quote --evidence "$q/evidence.json" --ak "$state/ak.pem" --nonce "$nonce" --reference "$GW_TMP/golden.cel"
expect_exit -n check-select-pass 0 gwverifier check-quote --evidence "$q/evidence.json" --ak "$state/ak.pem" --nonce "$nonce" --select "sha1:0-7,13,14+sha256:0-7,13,14"
expect_exit -n check-json 0 gwverifier check-quote --evidence "$q/evidence.json" --ak "$state/ak.pem" --nonce "$nonce" --json
check check-json-content python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
assert d['result']=='pass' and d['exit_code']==0
st={c['name']:c['status'] for c in d['checks']}
assert st['signature']=='pass' and st['cel-log-replay']=='pass' and st['pcr-digest']=='pass', st
p=d['pcrs']['sha256']['13']; assert p['match'] and p['quoted']==p['replayed']=='$want' and p['log']=='cel'
assert d['pcrs']['sha1']['13']['match']
assert len(d['cel_events'])==3"
check tpm2-checkquote-accepts-ours tpm2_checkquote -u "$q/ak.pem" -m "$q/quote.msg" -s "$q/quote.sig" -f "$q/quote.pcrs" -g sha256 -q "$nonce"

# Quoted PCRs that no log explains do not pass: the quote files alone (as tpm2_quote
# writes them), and an agent whose state directory has no event log. The output
# names the PCRs; --allow-unexplained-pcrs passes with a warning naming them.
expect_exit -n no-log-files-refused 17 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
  --message "$q/quote.msg" --signature "$q/quote.sig" --pcrs "$q/quote.pcrs"
expect_output_contains -n no-log-files-names-pcrs \
  '^FAIL: log-coverage: PCR 13 \(sha1, sha256\) holds measurements that no event log explains.*no CEL event log was sent'
expect_exit -n no-log-files-allowed 0 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
  --message "$q/quote.msg" --signature "$q/quote.sig" --pcrs "$q/quote.pcrs" --allow-unexplained-pcrs
expect_output_contains -n no-log-files-allowed-warns \
  '^PASS: quote and logs verified; WARNING: PCR 13 \(sha1, sha256\) holds measurements .*allowed by --allow-unexplained-pcrs'
expect_exit -n no-log-files-allowed-json 0 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
  --message "$q/quote.msg" --signature "$q/quote.sig" --pcrs "$q/quote.pcrs" --allow-unexplained-pcrs --json
check no-log-files-json-lists-pcrs python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
assert d['result']=='pass' and d['unexplained_pcrs']==[13], d.get('unexplained_pcrs')"
expect_exit -n no-pcr-values-pass 0 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
  --message "$q/quote.msg" --signature "$q/quote.sig"
expect_output_contains -n no-pcr-values-says-unchecked '^PASS: quote verified; no PCR values were given'
expect_exit -n allow-unexplained-not-with-policy 2 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
  --evidence "$q/evidence.json" --allow-unexplained-pcrs --policy /dev/null --policy-key /dev/null
empty=$GW_TMP/state-without-log
mkdir -p "$empty"
cp -a "$state/." "$empty/"
rm -f "$empty"/eventlog.cel*
expect_exit -n quote-without-log 0 gwagent --config "$conf" --state-dir "$empty" quote --nonce "$nonce" --out "$GW_TMP/q-nolog"
expect_exit -n evidence-without-log-refused 17 gwverifier check-quote --evidence "$GW_TMP/q-nolog/evidence.json" \
  --ak "$state/ak.pem" --nonce "$nonce"
expect_output_contains -n evidence-without-log-names-pcrs 'PCR 13 \(sha1, sha256\) holds measurements that no event log explains'

# Wrong nonce, select mismatch, foreign AK.
expect_exit -n wrong-nonce 13 gwverifier check-quote --evidence "$q/evidence.json" --ak "$state/ak.pem" --nonce "$(gw_nonce)"
expect_output_contains -n wrong-nonce-named 'nonce'
expect_exit -n wrong-selection 14 gwverifier check-quote --evidence "$q/evidence.json" --ak "$state/ak.pem" --nonce "$nonce" --select "sha256:0-7"
openssl ecparam -name prime256v1 -genkey -noout -out "$GW_TMP/other.key" 2>/dev/null
openssl ec -in "$GW_TMP/other.key" -pubout -out "$GW_TMP/other.pem" 2>/dev/null
expect_exit -n foreign-ak-refused 10 gwverifier check-quote --evidence "$q/evidence.json" --ak "$GW_TMP/other.pem" --nonce "$nonce"
expect_output_contains -n foreign-ak-named 'signature'

# Tampered PCR values file: pcrDigest no longer matches.
python3 - "$q/quote.pcrs" "$GW_TMP/tampered.pcrs" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[132 + 4 + 4 + 2] ^= 1   # first byte of the first PCR value
open(sys.argv[2], 'wb').write(b)
PY
expect_exit -n tampered-pcr-values 15 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
  --message "$q/quote.msg" --signature "$q/quote.sig" --pcrs "$GW_TMP/tampered.pcrs"

# CEL tampering: a changed digest, two records swapped, the last record dropped.
cel_edit() { # MODE IN OUT
  python3 - "$@" <<'PY'
import json, sys
mode, src, dst = sys.argv[1:]
recs = [r for r in open(src, 'rb').read().split(b'\x1e') if r]
objs = [json.loads(r) for r in recs]
if mode == 'digest':
    d = objs[1]['digests'][-1]
    d['digest'] = ('0' if d['digest'][0] != '0' else '1') + d['digest'][1:]
elif mode == 'reorder':
    objs[0], objs[1] = objs[1], objs[0]
    objs[0]['recnum'], objs[1]['recnum'] = 0, 1
elif mode == 'truncate':
    objs = objs[:-1]
elif mode == 'append':
    extra = json.loads(json.dumps(objs[-1]))
    extra['recnum'] = len(objs)
    extra['content']['string'] = 'stage config: forged'
    objs.append(extra)
with open(dst, 'wb') as f:
    for o in objs:
        f.write(b'\x1e' + json.dumps(o, separators=(',', ':')).encode() + b'\n')
PY
}
for mode in digest reorder truncate; do
  cel_edit "$mode" "$q/eventlog.cel" "$GW_TMP/$mode.cel"
  expect_exit -n "cel-$mode-caught" 17 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
    --message "$q/quote.msg" --signature "$q/quote.sig" --pcrs "$q/quote.pcrs" --cel "$GW_TMP/$mode.cel"
  expect_output_contains -n "cel-$mode-names-pcr" 'PCR 13 \(sha(1|256)\)'
done
cel_edit append "$q/eventlog.cel" "$GW_TMP/append.cel"
expect_exit -n cel-logged-not-extended-caught 17 gwverifier check-quote --ak "$state/ak.pem" --nonce "$nonce" \
  --message "$q/quote.msg" --signature "$q/quote.sig" --pcrs "$q/quote.pcrs" --cel "$GW_TMP/append.cel" --json
check cel-logged-not-extended-names-record python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
f=d['failure']; assert f['log']=='cel' and f['event']==3 and f['pcr']==13, f
assert 'logged but not in the TPM' in d['message'] and 'record 3' in d['message'], d['message']"

# A tampered stage file on the next boot is caught against the reference and named.
printf 'app v1 with a backdoor\n' >"$stages/app.bin"
check power-cycle swtpm_power_cycle
expect_exit -n boot-after-tamper 0 gwagent --config "$conf" boot
expect_file previous-log-kept "$state/eventlog.cel.prev"
nonce2=$(gw_nonce)
expect_exit -n quote-after-tamper 0 gwagent --config "$conf" quote --nonce "$nonce2" --out "$GW_TMP/q2"
expect_exit -n tampered-still-replays 0 gwverifier check-quote --evidence "$GW_TMP/q2/evidence.json" --ak "$state/ak.pem" --nonce "$nonce2"
expect_exit -n tampered-stage-caught 18 gwverifier check-quote --evidence "$GW_TMP/q2/evidence.json" --ak "$state/ak.pem" --nonce "$nonce2" --reference "$GW_TMP/golden.cel"
expect_output_contains -n tampered-stage-named 'stage application \(.*app.bin, record 1\)'

# A stage file that cannot be read: recorded as failed, boot exits 6, appraisal names it.
rm "$stages/app.conf"
check power-cycle-2 swtpm_power_cycle
expect_exit -n boot-missing-stage 6 gwagent --config "$conf" boot
expect_output_contains -n boot-missing-stage-named 'stage config: FAILED .*app.conf'
nonce3=$(gw_nonce)
expect_exit -n quote-after-failed-stage 0 gwagent --config "$conf" quote --nonce "$nonce3" --out "$GW_TMP/q3"
expect_exit -n failed-stage-caught 6 gwverifier check-quote --evidence "$GW_TMP/q3/evidence.json" --ak "$state/ak.pem" --nonce "$nonce3"
expect_output_contains -n failed-stage-named 'stage config failed to measure'
expect_no_handles end-leaves-no-handles
