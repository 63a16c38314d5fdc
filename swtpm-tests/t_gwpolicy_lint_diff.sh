#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwpolicy lint and diff: format and consistency errors with their JSON paths, an
# envelope's payload linted without verifying it, and the allow/forbid/change lines
# an operator reads before a rollout (stage digests added and removed, two digests
# mid-rollout, a firmware sequence change, loosened flags). No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3

p=$GW_TMP/pol
mkdir -p "$p"
A=$(printf 'rootfs A' | sha256sum | cut -d' ' -f1)
B=$(printf 'rootfs B' | sha256sum | cut -d' ' -f1)
C=$(printf 'config' | sha256sum | cut -d' ' -f1)
F0=$(printf 'post code 0' | sha256sum | cut -d' ' -f1)
F1=$(printf 'post code 1' | sha256sum | cut -d' ' -f1)
F1b=$(printf 'post code 1, new firmware' | sha256sum | cut -d' ' -f1)
SEP=df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119

# policy FILE VERSION ROOTFS_DIGESTS PCR0_SECOND_DIGEST [EXTRA_JSON]
policy() {
  cat >"$1" <<JSON
{"model": "gw-1000", "version": $2,
 "pcr_selection": "sha256:0-7,13,14",
 "firmware": {"bank": "sha256",
   "pcrs": {"0": {"sequence": [
       {"type": "EV_POST_CODE", "digests": ["$F0"]},
       {"type": "EV_POST_CODE", "digests": ["$4"]},
       {"type": "EV_SEPARATOR", "digests": ["$SEP"]}]},
     "7": {"sequence": [{"type": "EV_SEPARATOR", "digests": ["$SEP"]}]}},
   "secure_boot": {"enabled": true}},
 "stages": {"rootfs": [$3], "config": {"digests": ["$C"], "claim": "configuration"}},
 "update": {"end_of_support": "2030-12-31"}${5:-}}
JSON
}

policy "$p/v3.json" 3 "\"$A\"" "$F1"
policy "$p/v4-rollout.json" 4 "\"$A\", \"$B\"" "$F1"
policy "$p/v5-done.json" 5 "\"$B\"" "$F1"
policy "$p/v4-firmware.json" 4 "\"$A\"" "$F1b"
cp "$p/v3.json" "$p/v3-copy.json"

# ---------------------------------------------------------------------- lint ---
expect_exit -n lint-help 0 gwpolicy lint --help
expect_output_contains -n lint-help-usage '^usage: gwpolicy lint' "$GW_STDOUT"
expect_output_contains -n lint-help-says-unverified 'NOT verified' "$GW_STDOUT"
expect_exit -n lint-no-args 2 gwpolicy lint
expect_exit -n lint-bad-now 2 gwpolicy lint --now yesterday "$p/v3.json"
expect_exit -n lint-missing-file 1 gwpolicy lint "$p/nope.json"

expect_exit -n lint-good 0 gwpolicy lint --now 1780000000 "$p/v3.json"
expect_output_contains -n lint-good-ok "^$p/v3.json: ok \\(model gw-1000, version 3\\)$" "$GW_STDOUT"

# Format errors: exit 19, a path on each line.
printf '{"model": "gw-1000", "version": 3, "bogus": 1}\n' >"$p/unknown-key.json"
expect_exit -n lint-unknown-key 19 gwpolicy lint "$p/unknown-key.json"
expect_output_contains -n lint-unknown-key-path '^\$[^ ]*: .*bogus' "$GW_STDOUT"
printf 'not json\n' >"$p/garbage.json"
expect_exit -n lint-not-json 19 gwpolicy lint "$p/garbage.json"

# Consistency errors: exit 19, the rule's path.
policy "$p/no-pcr13.json" 3 "\"$A\"" "$F1"
sed -i 's/sha256:0-7,13,14/sha256:0-7,14/' "$p/no-pcr13.json"
expect_exit -n lint-stages-without-pcr13 19 gwpolicy lint "$p/no-pcr13.json"
expect_output_contains -n lint-stages-path '^\$\.stages: .*PCR 13' "$GW_STDOUT"
expect_output_not_contains -n lint-stages-no-ok ': ok \(' "$GW_STDOUT"
# PCR 14 unchecked for the firmware log (shim's MokList) next to trust rules: a
# trust record moved into the firmware log would escape them.
policy "$p/fw-pcr14.json" 3 "\"$A\"" "$F1" ', "trust": {"gate_key": ["'"$A"'"]}'
sed -i 's/"7": {"sequence"/"14": {"unchecked": true}, "7": {"sequence"/' "$p/fw-pcr14.json"
expect_exit -n lint-firmware-pcr14 19 gwpolicy lint "$p/fw-pcr14.json"
expect_output_contains -n lint-firmware-pcr14-path '^\$\.firmware\.pcrs\.14: .*trust rules' "$GW_STDOUT"
# A firmware rule on PCR 13, which logs.firmware does not list by default.
policy "$p/fw-pcr13.json" 3 "\"$A\"" "$F1"
sed -i 's/"7": {"sequence"/"13": {"unchecked": true}, "7": {"sequence"/' "$p/fw-pcr13.json"
expect_exit -n lint-firmware-pcr13 19 gwpolicy lint "$p/fw-pcr13.json"
expect_output_contains -n lint-firmware-pcr13-path '^\$\.firmware\.pcrs\.13: .*logs\.firmware' "$GW_STDOUT"
# Without pcr_selection the default (sha256:0-7,13,14) serves stages and trust.
policy "$p/default-sel.json" 3 "\"$A\"" "$F1" ', "trust": {"gate_key": ["'"$A"'"]}'
sed -i '/"pcr_selection"/d' "$p/default-sel.json"
expect_exit -n lint-default-selection-ok 0 gwpolicy lint --now 1780000000 "$p/default-sel.json"

# end_of_support judged at --now: 2030-12-31 is over at 2031-01-01T00:00:00Z.
expect_exit -n lint-eos-last-day 0 gwpolicy lint --now 1924991999 "$p/v3.json"
expect_exit -n lint-eos-past 19 gwpolicy lint --now 1924992000 "$p/v3.json"
expect_output_contains -n lint-eos-path '^\$\.update\.end_of_support: ' "$GW_STDOUT"

# --json
cat >"$GW_TMP/lint_json.py" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["result"] == sys.argv[2], o
if sys.argv[2] == "pass":
    assert o["model"] == "gw-1000" and o["version"] == 3 and o["errors"] == [], o
else:
    kinds = {e["kind"] for e in o["errors"]}
    assert kinds == {sys.argv[3]}, o
    assert sys.argv[4] in [e["path"] for e in o["errors"]], o
    assert all(e["message"] for e in o["errors"]), o
PY
expect_exit -n lint-json-pass 0 gwpolicy lint --json --now 1780000000 "$p/v3.json"
check lint-json-pass-fields python3 "$GW_TMP/lint_json.py" "$GW_STDOUT" pass
expect_exit -n lint-json-consistency 19 gwpolicy lint --json "$p/no-pcr13.json"
check lint-json-consistency-fields python3 "$GW_TMP/lint_json.py" "$GW_STDOUT" fail consistency '$.stages'
expect_exit -n lint-json-schema 19 gwpolicy lint --json "$p/unknown-key.json"
check lint-json-schema-kind python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["result"] == "fail" and o["model"] is None and o["errors"], o
assert {e["kind"] for e in o["errors"]} == {"schema"}, o' "$GW_STDOUT"

# An envelope: its payload is linted, its signatures are not checked.
expect_exit -n keygen 0 gwpolicy keygen --out "$GW_TMP/rel"
expect_exit -n keygen-json 0 gwpolicy keygen --out "$GW_TMP/relj" --type ed25519 --json
check_py keygen-json-fields "$GW_STDOUT" "$GW_TMP/relj" <<'PY'
import hashlib, json, subprocess, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "ed25519" and d["private_key"] == sys.argv[2] + ".key", d
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", d["public_key"], "-outform", "DER"],
                     capture_output=True, check=True).stdout
assert d["keyid"] == hashlib.sha256(der).hexdigest(), d
PY
expect_exit -n sign-good 0 gwpolicy sign --key "$GW_TMP/rel.key" "$p/v3.json"
cp "$GW_STDOUT" "$p/v3.signed"
expect_exit -n lint-envelope 0 gwpolicy lint --now 1780000000 "$p/v3.signed"
expect_output_contains -n lint-envelope-ok 'ok \(model gw-1000, version 3; envelope signatures not verified\)' "$GW_STDOUT"
expect_exit -n sign-bad 0 gwpolicy sign --key "$GW_TMP/rel.key" "$p/no-pcr13.json"
cp "$GW_STDOUT" "$p/no-pcr13.signed"
expect_exit -n lint-envelope-bad-payload 19 gwpolicy lint "$p/no-pcr13.signed"
expect_output_contains -n lint-envelope-bad-path '^\$\.stages: ' "$GW_STDOUT"
expect_exit -n sign-other-type 0 gwpolicy sign --key "$GW_TMP/rel.key" --type text/plain "$p/v3.json"
cp "$GW_STDOUT" "$p/v3.other-type"
expect_exit -n lint-envelope-wrong-type 19 gwpolicy lint "$p/v3.other-type"
expect_output_contains -n lint-envelope-wrong-type-named 'payloadType is "text/plain"' "$GW_STDERR"
printf '{"payloadType": "x", "payload": "%%%%", "signatures": []}' >"$p/broken.signed"
expect_exit -n lint-envelope-malformed 19 gwpolicy lint "$p/broken.signed"

# ---------------------------------------------------------------------- diff ---
expect_exit -n diff-help 0 gwpolicy diff --help
expect_exit -n diff-one-arg 2 gwpolicy diff "$p/v3.json"
expect_exit -n diff-missing 1 gwpolicy diff "$p/v3.json" "$p/nope.json"
expect_exit -n diff-malformed 19 gwpolicy diff "$p/v3.json" "$p/unknown-key.json"

expect_exit -n diff-identical 0 gwpolicy diff "$p/v3.json" "$p/v3-copy.json"
expect_output_contains -n diff-identical-says 'no rule changes' "$GW_STDOUT"
expect_exit -n diff-envelope-vs-plain 0 gwpolicy diff "$p/v3.signed" "$p/v3.json"

# Mid-rollout: B joins A.
expect_exit -n diff-rollout-start 1 gwpolicy diff "$p/v3.json" "$p/v4-rollout.json"
expect_output_contains -n diff-rollout-version '^model gw-1000: version 3 -> 4$' "$GW_STDOUT"
expect_output_contains -n diff-rollout-allow-B "^\\+ allow  stage rootfs sha256:$B$" "$GW_STDOUT"
expect_output_not_contains -n diff-rollout-keeps-A "$A" "$GW_STDOUT"
expect_output_not_contains -n diff-rollout-no-forbid '^- forbid' "$GW_STDOUT"
# Rollout done: A leaves.
expect_exit -n diff-rollout-done 1 gwpolicy diff "$p/v4-rollout.json" "$p/v5-done.json"
expect_output_contains -n diff-rollout-forbid-A "^- forbid stage rootfs sha256:$A$" "$GW_STDOUT"
expect_output_not_contains -n diff-rollout-done-no-allow '^\+ allow' "$GW_STDOUT"
# Both at once, straight from v3 to v5.
expect_exit -n diff-replace 1 gwpolicy diff "$p/v3.json" "$p/v5-done.json"
expect_output_contains -n diff-replace-allow "^\\+ allow  stage rootfs sha256:$B$" "$GW_STDOUT"
expect_output_contains -n diff-replace-forbid "^- forbid stage rootfs sha256:$A$" "$GW_STDOUT"
# Going back is flagged.
expect_exit -n diff-backwards 1 gwpolicy diff "$p/v5-done.json" "$p/v3.json"
expect_output_contains -n diff-backwards-warns '^warning: the version does not go up' "$GW_STDOUT"

# A firmware update: one event of PCR 0's sequence changes.
expect_exit -n diff-firmware 1 gwpolicy diff "$p/v3.json" "$p/v4-firmware.json"
expect_output_contains -n diff-firmware-seq \
  "^~ firmware PCR 0: sequence of 3 events changed at \\[1\\]: EV_POST_CODE sha256:$F1 -> EV_POST_CODE sha256:$F1b$" "$GW_STDOUT"

# Loosened rules and other sections.
policy "$p/v4-loose.json" 4 "\"$A\"" "$F1"
python3 - "$p/v4-loose.json" <<'PY'
import json, sys
f = sys.argv[1]
o = json.load(open(f))
o["pcr_selection"] = "sha256:0-7,13"
o["firmware"]["secure_boot"]["enabled"] = False
o["firmware"]["allow_event_types"] = ["0x0000abcd"]
o["update"]["end_of_support"] = "2031-06-30"
o["update"]["channels"] = ["stable"]
o["stages"]["config"]["claim"] = "file-system"
json.dump(o, open(f, "w"))
PY
expect_exit -n diff-loose 1 gwpolicy diff "$p/v3.json" "$p/v4-loose.json"
expect_output_contains -n diff-loose-selection '^~ pcr_selection sha256:0-7,13,14 -> sha256:0-7,13  \(loosens\)$' "$GW_STDOUT"
expect_output_contains -n diff-loose-secure-boot '^~ firmware.secure_boot.enabled true -> false  \(loosens\)$' "$GW_STDOUT"
expect_output_contains -n diff-loose-type '^\+ allow  firmware event type 0x0000abcd$' "$GW_STDOUT"
expect_output_contains -n diff-loose-eos '^~ update.end_of_support 2030-12-31 -> 2031-06-30  \(loosens\)$' "$GW_STDOUT"
expect_output_contains -n diff-loose-channel '^\+ allow  update channel stable$' "$GW_STDOUT"
expect_output_contains -n diff-loose-claim '^~ stage config claim configuration -> file-system$' "$GW_STDOUT"

# Another model: still diffed, with a warning.
sed 's/"gw-1000"/"gw-2000"/' "$p/v3.json" >"$p/other-model.json"
expect_exit -n diff-other-model 1 gwpolicy diff "$p/v3.json" "$p/other-model.json"
expect_output_contains -n diff-other-model-warns '^warning: the models differ: gw-1000 -> gw-2000$' "$GW_STDOUT"

# --json
expect_exit -n diff-json 1 gwpolicy diff --json "$p/v3.json" "$p/v5-done.json"
check diff-json-fields python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["old"] == {"model": "gw-1000", "version": 3}, o
assert o["new"] == {"model": "gw-1000", "version": 5}, o
ch = {(c["kind"], c["path"], c["old"], c["new"]) for c in o["changes"]}
assert ch == {("allow", "$.stages.rootfs", None, sys.argv[3]),
              ("forbid", "$.stages.rootfs", sys.argv[2], None)}, o
assert all(c["what"] for c in o["changes"]), o' "$GW_STDOUT" "$A" "$B"
expect_exit -n diff-json-identical 0 gwpolicy diff --json "$p/v3.json" "$p/v3-copy.json"
check diff-json-identical-empty python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["changes"] == [] and o["identical"] is True, o' "$GW_STDOUT"

# Which log may extend which PCR: one more PCR for a log is an allow (loosens),
# one fewer a forbid; the defaults count as written.
printf '{"model": "gw-1000", "version": 3}\n' >"$p/logs-default.json"
printf '{"model": "gw-1000", "version": 4, "logs": {"firmware": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14], "cel": [13]}}\n' >"$p/logs-new.json"
expect_exit -n diff-logs 1 gwpolicy diff "$p/logs-default.json" "$p/logs-new.json"
expect_output_contains -n diff-logs-allow '^\+ allow  firmware log on PCR 12$' "$GW_STDOUT"
expect_output_contains -n diff-logs-forbid '^- forbid CEL log on PCR 14$' "$GW_STDOUT"
expect_output_not_contains -n diff-logs-only-changes 'PCR (0|8|13)' "$GW_STDOUT"
