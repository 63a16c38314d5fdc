#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwagent update pending, defer and accept against the [consent] rules: no offers,
# offers waiting for consent, for a window or deferred; deferral clamped to a
# critical deadline and refused past it; accept overriding a window; unknown
# releases and bad times refused; offers.json rewritten atomically, mode 0600; a
# clock set back under a verified result of now holds no critical deadline off.
# The offers file is written here as `gwagent attest` will write it from a verified
# attestation result (doc/consent.md: that writer is not built yet).
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3

swtpm_start || exit 1
state=$GW_TMP/state
conf=$GW_TMP/agent.conf
offers=$state/update/offers.json
ga() { gwagent --config "$conf" "$@"; }
write_conf() {   # extra [consent] lines
  printf '[agent]\nstate_dir = %s\n\n[consent]\n' "$state" >"$conf"
  printf '%s\n' "$@" >>"$conf"
}
jq_py() {   # EXPR over the last stdout as JSON (d)
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$GW_STDOUT"
}
want() { expect_eq "$1" "$3" "$2"; }   # NAME EXPECTED ACTUAL
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)

write_conf 'auto_install = yes'
check pending-without-offers ga update pending
expect_output_contains -n pending-says-none 'no release offered'
check pending-json-without-offers ga update pending --json
want json-no-offers 0 "$(jq_py 'len(d["offers"])')"

mkdir -p "$state/update"
cat >"$offers" <<JSON
{"format": 1, "offers": [
 {"id": "rel-2", "version": "2.0", "security_version": 4, "size": 100,
  "sha256": "$(printf 'a%.0s' $(seq 64))", "reboot_required": true, "critical": true,
  "deadline": "$(iso $((now + 7200)))", "notes": "Fixes CVE-2026-0001.\nReboots once.",
  "offered_at": "$(iso $((now - 60)))", "accepted": false},
 {"id": "app-1.4", "version": "1.4", "security_version": 0, "size": 10,
  "sha256": "$(printf 'b%.0s' $(seq 64))", "reboot_required": false, "critical": false,
  "offered_at": "$(iso $((now - 60)))", "accepted": false}
]}
JSON

# auto_install = yes, no windows: both install now
check pending-auto-yes ga update pending --json
want yes-installs-rel-2 install "$(jq_py 'd["offers"][0]["decision"]["action"]')"
want yes-installs-app install "$(jq_py 'd["offers"][1]["decision"]["action"]')"
check pending-text ga update pending
expect_output_contains -n text-names-release 'release rel-2 \(version 2.0\): security version 4'
expect_output_contains -n text-shows-notes '^    Reboots once\.$'
expect_output_contains -n text-shows-deadline 'critical  deadline'

# security-only: the release that raises nothing waits for consent
write_conf 'auto_install = security-only'
check pending-security-only ga update pending --json
want security-release-installs install "$(jq_py 'd["offers"][0]["decision"]["action"]')"
want plain-release-waits wait-consent "$(jq_py 'd["offers"][1]["decision"]["action"]')"

# auto_install = no: both wait; the critical one names its deadline
write_conf 'auto_install = no' 'max_deferral = 1d'
check pending-no ga update pending --json
want no-waits wait-consent "$(jq_py 'd["offers"][0]["decision"]["action"]')"
want no-names-deadline "$(iso $((now + 7200)))" \
  "$(jq_py 'd["offers"][0]["decision"]["not_before"]')"

# defer: clamped to the critical deadline; a plain release to max_deferral
check defer-rel-2 ga update defer rel-2 --until 3d --json
want defer-clamped-to-deadline "$(iso $((now + 7200)))" "$(jq_py 'd["defer_until"]')"
check defer-app ga update defer app-1.4 --json
want defer-app-max-deferral "$(iso $((now - 60 + 86400)))" "$(jq_py 'd["defer_until"]')"
check defer-app-short ga update defer app-1.4 --until 10m
expect_output_contains -n defer-says-until 'release app-1.4 deferred until [0-9-]+T[0-9:]+Z'
until=$(date -u -d "$(awk '{print $NF}' "$GW_STDOUT")" +%s)
check defer-10m-from-now test "$until" -ge $((now + 600)) -a "$until" -le $(($(date +%s) + 600))
check pending-deferred ga update pending --json
want rel-2-deferred deferred "$(jq_py 'd["offers"][0]["decision"]["action"]')"
want app-deferred deferred "$(jq_py 'd["offers"][1]["decision"]["action"]')"
mode=$(stat -c %a "$offers")
want offers-mode-0600 600 "$mode"
want no-temporary-left 0 "$(find "$state/update" -name '*.tmp.*' | wc -l)"

# accept: installs at once, outside windows too, and ends the deferral
h=$(( (10#$(date -u +%H) + 3) % 24 ))   # 10#: hours 08 and 09 are not octal
write_conf 'auto_install = yes' "window = daily $(printf %02d "$h"):00-$(printf %02d $(((h + 1) % 24))):00" \
  'timezone = UTC'
check accept-app ga update accept app-1.4 --json
want accept-result accepted "$(jq_py 'd["result"]')"
check pending-accepted ga update pending --json
want accepted-installs install "$(jq_py 'd["offers"][1]["decision"]["action"]')"
want accepted-not-deferred None "$(jq_py 'd["offers"][1]["defer_until"]')"
# rel-2 stays deferred; when the deferral is over it waits for the window
want still-deferred deferred "$(jq_py 'd["offers"][0]["decision"]["action"]')"
python3 - "$offers" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["offers"][0].pop("defer_until", None)
json.dump(d, open(p, "w"))
PY
check pending-window ga update pending --json
want outside-window-waits wait-window "$(jq_py 'd["offers"][0]["decision"]["action"]')"
expect_output_contains -n window-start-named "\"not_before\": ?\"[0-9-]+T$(printf %02d "$h"):00:00Z\""

# refusals
expect_exit -n defer-unknown 5 ga update defer rel-9
expect_output_contains -n unknown-named "release 'rel-9' is not offered"
expect_exit -n defer-bad-time 2 ga update defer rel-2 --until tomorrow
expect_exit -n defer-no-id 2 ga update defer
expect_exit -n accept-two-ids 2 ga update accept rel-2 app-1.4
python3 - "$offers" "$(iso $((now - 10)))" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["offers"][0]["deadline"] = sys.argv[2]
json.dump(d, open(p, "w"))
PY
expect_exit -n defer-past-deadline 5 ga update defer rel-2
expect_output_contains -n past-deadline-says 'cannot be deferred'
printf '{"format": 1, "offers": [{"id": "x"}]}' >"$offers"
expect_exit -n tampered-offers-refused nonzero ga update pending
expect_output_contains -n tampered-names-field "offers.json: release 1: "


# ---- a clock set back (libfaketime: 30 days behind) does not hold a critical
# deadline off: the decisions are judged by the later of the system clock and the
# latest verified result's time (doc/consent.md, "The time the decisions use").
FT_LIB=$(faketime_lib libfaketime.so.1)
back() { FAKETIME=-30d LD_PRELOAD=$FT_LIB ASAN_OPTIONS=$FAKETIME_ASAN_OPTIONS "$@"; }
if [ -z "$FT_LIB" ]; then
  fail clock-back "libfaketime is not installed (apt-get install faketime)"
else
  write_conf 'auto_install = no'
  # rel-3: critical, deferred to its deadline, which passed 10 s ago
  cat >"$offers" <<JSON
{"format": 1, "offers": [
 {"id": "rel-3", "version": "3.0", "security_version": 5, "size": 100,
  "sha256": "$(printf 'c%.0s' $(seq 64))", "reboot_required": true, "critical": true,
  "deadline": "$(iso $((now - 10)))", "offered_at": "$(iso $((now - 3600)))",
  "accepted": false, "defer_until": "$(iso $((now - 10)))"}
]}
JSON
  cp "$offers" "$GW_TMP/offers.rel-3"
  # No verified result: the clock set back is all there is, the deferral holds.
  check clock-back-no-result back ga update pending --json
  want clock-back-no-result-deferred deferred "$(jq_py 'd["offers"][0]["decision"]["action"]')"
  # A result verified with the pinned gate key, issued now: its time wins.
  python3 - "$state" "$(date +%s)" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
b64u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = ec.generate_private_key(ec.SECP256R1())
open(sys.argv[1] + "/gate.pub", "wb").write(key.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
h = b64u(json.dumps({"alg": "ES256", "typ": "JWT"}).encode())
p = b64u(json.dumps({"iat": int(sys.argv[2]), "sub": "gw-t"}).encode())
r, s = decode_dss_signature(key.sign(f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256())))
open(sys.argv[1] + "/last-result.jwt", "w").write(
    f"{h}.{p}.{b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}")
PY
  check clock-back-result back ga update pending --json
  want clock-back-deadline-passed install "$(jq_py 'd["offers"][0]["decision"]["action"]')"
  expect_exit -n clock-back-defer-refused 5 back ga update defer rel-3
  expect_output_contains -n clock-back-defer-says 'cannot be deferred' "$GW_STDERR"
  check clock-back-offers-unchanged cmp "$offers" "$GW_TMP/offers.rel-3"
fi
