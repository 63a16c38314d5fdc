#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Authentic update records (doc/updates.md, "Update records are authenticated")
# against a real verifier, swtpm and agent with the file bootloader: every update
# record's digest is the hash of its text; the verifier stores the running release,
# the trial and the last outcome (device show, device list, status), audits each
# outcome record once across rounds, and never offers or serves the running
# release (not-newer). Root on the gateway, extending PCR 14 and appending to the
# log so that the replay matches: a later "running" record is not believed (the
# boot's first counts); a "committed" record in the old digest form (the manifest
# digest) and a relabelled one (hashed as rolled-back, shown as committed) are
# ignored and make the result contraindicated (rule update-records), and change
# nothing stored.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 openssl sqlite3 tpm2_pcrextend tpm2_pcrread

localca=/var/lib/swtpm-localca
swtpm_start || exit 1
d=$GW_TMP
bl=$d/bl.state
vdir=$d/verifier
vconf=(--config "$vdir/verifier.conf")
jq_py() {   # EXPR over the JSON of $GW_STDOUT (j)
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$GW_STDOUT" "$1"
}

uf_release "$d/rel"
uf_device "$d" file "$bl" "$d/cmdline" 0x01800100 0x01800101
check provision ga provision
expect_eq factory-boots-A "$(power_on)" A
check factory-boot ga boot
# A policy drafted from this boot's CEL log has the pinned trust root's rule (the
# boot service measured it into PCR 14), beside the gate key's once enrolled.
expect_exit -n draft-from-cel 0 gwpolicy from-eventlog --cel "$d/state/eventlog.cel" \
  --model gw-1000 --out "$d/draft.json"
check_py draft-has-trust-root "$d/draft.json" "$(root_digest_of "$UF_REL/root.json")" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["trust"]["trust_root"] == [sys.argv[2]], p.get("trust")
assert 14 in p["logs"]["cel"] and "14" in p["pcr_selection"], p
PY

# ---- the verifier: the release root pinned, releases 2.0 (sv 2) and 3.0 (sv 3)
port=$(free_port) || exit 1
check verifier-init gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = .*/auto_approve = all/' "$vdir/verifier.conf"
gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
printf '\n[releases]\ntrust_root = %s\nmax_attest_age = 600\n' "$UF_REL/root.json" >>"$vdir/verifier.conf"
bundle b2 2.0 2
bundle b3 3.0 3
m2=$(manifest_of b2)
m3=$(manifest_of b3)
REL_b2=${m2:0:16}
REL_b3=${m3:0:16}
check add-b2 gwverifier release add "$UF_REL/b2.gwb" "${vconf[@]}"
check add-b3 gwverifier release add "$UF_REL/b3.gwb" "${vconf[@]}"
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
wait_for_port "$port" 15 || { fail verifier-listens "no listener on $port"; exit 1; }
url=https://127.0.0.1:$port
check enroll ga enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-rec --model gw-1000
printf '{"model":"gw-1000","version":1,"stages":{"rootfs":["%s"]}}\n' \
  "$(sha256sum "$d/stage.txt" | cut -d' ' -f1)" >"$d/policy.json"
check policy-sign gw_sign_policy "$d/policy.json" "$d/policy.signed.json"
check policy-add gwverifier policy add "${vconf[@]}" "$d/policy.signed.json"

ear_releases() {   # the versions the saved EAR offers, sorted
  python3 - "$state/last-result.jwt" <<'PY'
import base64, json, sys
tok = open(sys.argv[1]).read().strip().split(".")
claims = json.loads(base64.urlsafe_b64decode(tok[1] + "=" * (-len(tok[1]) % 4)))
print(" ".join(sorted(r["version"] for r in claims["submods"]["gatewarden"]["gatewarden.releases"])))
PY
}
show() {   # NAME: device show --json; SHOWN = "running trial-release last-kind last-release ignored"
  expect_exit -n "show-$1" 0 gwverifier device show gw-rec --json "${vconf[@]}"
  SHOWN=$(jq_py '" ".join(str(x) for x in ((j["update"]["running"] or {}).get("release"), (j["update"]["trial"] or {}).get("release"), (j["update"]["last_outcome"] or {}).get("kind"), (j["update"]["last_outcome"] or {}).get("release"), j["update"]["ignored_records"]))')
}
audits() {   # MESSAGE: how many update.outcome audit records of gw-rec say MESSAGE
  gwverifier audit --json "${vconf[@]}" | python3 -c '
import json, sys
print(sum(1 for r in map(json.loads, filter(None, sys.stdin.read().splitlines()))
          if r["action"] == "update.outcome" and r["device"] == "gw-rec" and r["outcome"] == "ok"
          and r["detail"]["message"] == sys.argv[1]))' "$1"
}
last_claims() { sqlite3 "$vdir/verifier.db" "SELECT claims FROM results ORDER BY id DESC LIMIT 1"; }
# Every update record's digests are the hash of its text, in each bank.
records_hash_text() {
  python3 - "$state/eventlog.cel" <<'PY'
import hashlib, json, sys
n = 0
for rec in open(sys.argv[1], "rb").read().split(b"\x1e"):
    if not rec.strip():
        continue
    r = json.loads(rec)
    if r.get("content", {}).get("eventType") != "update":
        continue
    n += 1
    text = r["content"]["string"].encode()
    for dg in r["digests"]:
        if hashlib.new(dg["hashAlg"], text).hexdigest() != dg["digest"]:
            sys.exit(f"record {r['recnum']}: {dg['hashAlg']} digest is not the hash of its text")
if n == 0:
    sys.exit("no update record")
PY
}

# ---- first round: nothing known of updates; both releases offered
expect_exit -n attest-factory 0 ga attest --json
show factory
expect_eq factory-nothing "$SHOWN" "None None None None 0"
expect_eq factory-offers-both "$(ear_releases)" "2.0 3.0"

# ---- install 2.0: staged, trial pending, audited once over two rounds
expect_exit -n install-b2 0 ga update install --no-progress "$UF_REL/b2.gwb"
check staged-hashes-text records_hash_text
expect_exit -n attest-staged 0 ga attest --json
show staged
expect_eq staged-trial "$SHOWN" "None $REL_b2 staged $REL_b2 0"
expect_eq staged-audited "$(audits "release $REL_b2 version 2.0: staged")" 1
expect_exit -n attest-staged-again 0 ga attest --json
expect_eq staged-audited-once "$(audits "release $REL_b2 version 2.0: staged")" 1

# ---- the trial boot commits: running 2.0, committed audited once; 2.0 no longer offered
expect_eq trial-boots-B "$(power_on)" B
expect_exit -n trial-boot-commits 0 ga boot
check commit-hashes-text records_hash_text
check commit-replays replays
expect_exit -n attest-committed 0 ga attest --json
expect_eq committed-affirming "$(jq_py 'j["status"]')" affirming
show committed
expect_eq committed-state "$SHOWN" "$REL_b2 None committed $REL_b2 0"
expect_eq committed-audited "$(audits "release $REL_b2 version 2.0: committed")" 1
expect_eq offers-only-newer "$(ear_releases)" "3.0"
dl_status() {   # RELEASE: the HTTP status of its bundle for this device
  curl -s -o "$d/dl.out" -w '%{http_code}' --cacert "$vdir/ca.pem" \
    --cert "$state/tls.pem" --key "$state/tls.key" "$url/v1/releases/$1/bundle"
}
expect_eq running-not-served "$(dl_status "$REL_b2")" 403
expect_output_contains -n running-not-served-reason 'not-newer' "$d/dl.out"
expect_eq newer-served "$(dl_status "$REL_b3")" 200
expect_exit -n status-text 0 gwverifier status "${vconf[@]}"
expect_output_contains -n status-text-b2 "^$REL_b2 +2\.0 +gw-1000 +stable +100% +not-required +1 +1 +0 +1 +0 +0 +0$"
expect_output_contains -n status-text-b3 "^$REL_b3 +3\.0 +gw-1000 +stable +100% +not-required +1 +1 +1 +0 +0 +0 +0$"
expect_exit -n show-text 0 gwverifier device show gw-rec "${vconf[@]}"
expect_output_contains -n text-running "^Running release +2\.0 \(release $REL_b2, security version 2\)$"
expect_output_contains -n text-last "^Last update +committed 2\.0 \(release $REL_b2, security version 2\), seen "
expect_exit -n list-json 0 gwverifier device list --json "${vconf[@]}"
expect_eq list-running "$(jq_py '[x["update"]["running"]["release"] for x in j]')" "['$REL_b2']"
expect_exit -n status-json 0 gwverifier status --json "${vconf[@]}"
expect_eq status-rollout "$(jq_py '[(r["id"], r["devices"], r["running"], r["offered"], r["in_trial"]) for r in j["rollout"]]')" \
  "[('$REL_b2', 1, 1, 0, 0), ('$REL_b3', 1, 0, 1, 0)]"
# The next boot: running 2.0 again, a new boot's log, nothing audited again.
expect_eq boots-B "$(power_on)" B
check boot-B ga boot
expect_exit -n attest-new-boot 0 ga attest --json
show new-boot
expect_eq new-boot-state "$SHOWN" "$REL_b2 None committed $REL_b2 0"
expect_eq committed-still-once "$(audits "release $REL_b2 version 2.0: committed")" 1

# ---- root on the gateway: extend PCR 14 and append the record to the log so that
# the replay matches. forge TEXT HASHED|manifest: digests the bank's hash of HASHED,
# or the manifest digest named in TEXT (sha256; sha1 its first 20 bytes).
forge() {
  python3 - "$state/eventlog.cel" "$1" "$2" <<'PY' >"$d/forge.out" || return 1
import hashlib, json, sys
path, text, how = sys.argv[1:]
recs = [json.loads(r) for r in open(path, "rb").read().split(b"\x1e") if r.strip()]
tmpl = [r for r in recs if r.get("content", {}).get("eventType") == "update"][-1]
new = json.loads(json.dumps(tmpl))
new["recnum"] = len(recs)
new["content"]["string"] = text
for dg in new["digests"]:
    if how == "manifest":
        m = bytes.fromhex(text.split("sha256:")[1][:64])
        dg["digest"] = m[:hashlib.new(dg["hashAlg"]).digest_size].hex()
    else:
        dg["digest"] = hashlib.new(dg["hashAlg"], how.encode()).hexdigest()
with open(path, "ab") as f:
    f.write(b"\x1e" + json.dumps(new).encode() + b"\n")
print(",".join(f'{dg["hashAlg"]}={dg["digest"]}' for dg in new["digests"]))
PY
  tpm2_pcrextend "14:$(cat "$d/forge.out")"
}

# A later running record, well formed (hashed text): root's, not believed, and
# contraindicated (only the boot service writes one, once a boot).
later="update running A version 3.0 manifest sha256:$m3"
check forge-later-running forge "$later" "$later"
check later-replays replays
expect_exit -n attest-later-running 24 ga attest --json
expect_output_contains -n later-running-claim 'update-records.*1 further running record' <(last_claims)
show later-running
expect_eq later-running-ignored "$SHOWN" "$REL_b2 None committed $REL_b2 0"
expect_eq later-running-offers-nothing "$(ear_releases)" ""

# A committed record in the old form: the manifest digest only.
old="update committed A version 3.0 manifest sha256:$m3"
check forge-old-form forge "$old" manifest
check old-form-replays replays
expect_exit -n attest-old-form 24 ga attest --json
expect_output_contains -n old-form-claim 'update-records.*not believed.*its sha[0-9]+ digest is not the hash of its text' <(last_claims)
show old-form
expect_eq old-form-not-believed "$SHOWN" "$REL_b2 None committed $REL_b2 1"
expect_eq old-form-not-audited "$(audits "release $REL_b3 version 3.0: committed")" 0
expect_eq old-form-offers-nothing "$(ear_releases)" ""

# A relabelled record: hashed as rolled-back, shown as committed.
expect_eq boots-B-again "$(power_on)" B
check boot-B-again ga boot
relabel="update committed B version 2.0 manifest sha256:$m2"
check forge-relabel forge "$relabel" "update rolled-back B version 2.0 manifest sha256:$m2"
check relabel-replays replays
expect_exit -n attest-relabel 24 ga attest --json
expect_output_contains -n relabel-claim 'update-records.*not believed' <(last_claims)
show relabel
expect_eq relabel-not-believed "$SHOWN" "$REL_b2 None committed $REL_b2 1"
expect_eq relabel-not-audited "$(audits "release $REL_b2 version 2.0: committed")" 1

# ---- the counter raised past the running release (security version 2) behind the
# verifier's back: judged on the verifier, contraindicated, and shown.
expect_eq boots-B-third "$(power_on)" B
check boot-B-third ga boot
check counter-to-3 "$GW_BIN/tools/gw-counter" --config "$conf" advance stable 3
expect_exit -n attest-below 24 ga attest --json
expect_output_contains -n below-claim "running-release.*the running release $REL_b2 \\(version 2\\.0, security version 2\\) is below the certified anti-rollback counter 3" <(last_claims)
expect_exit -n show-below 0 gwverifier device show gw-rec --json "${vconf[@]}"
# (a contraindicated round records no counter: the device's stays 2, the judged 3 shows)
expect_eq below-shown "$(jq_py '(j["security_version"], j["update"]["running"]["below_counter"])')" "(2, True)"
expect_exit -n show-below-text 0 gwverifier device show gw-rec "${vconf[@]}"
expect_output_contains -n below-text "^Running release +2\.0 \(release $REL_b2, security version 2\) BELOW THE COUNTER$"
expect_exit -n status-below 0 gwverifier status --json "${vconf[@]}"
expect_eq status-unreachable "$(jq_py '[(r["id"], r["unreachable"]) for r in j["rollout"]]')" \
  "[('$REL_b2', 1), ('$REL_b3', 0)]"

expect_exit -n audit-chain-intact 0 gwverifier audit verify "${vconf[@]}"
expect_exit -n verifier-stops 0 bg_stop verifier
