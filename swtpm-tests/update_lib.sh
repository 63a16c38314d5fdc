# shellcheck shell=bash disable=SC2154 # d, conf, bl, cmdline: set by the caller
# SPDX-License-Identifier: Apache-2.0
# Helpers shared by the update scenarios (sourced after lib.sh): the release side
# (keys, trust root, bundles, manifest digests) and the device side (the agent,
# the bootloader simulator, the channel counter, a power-on).
# The caller sets: d (its temp dir), conf (agent.conf), bl and bl_kind (the
# bootloader state and kind), cmdline (where the booted command line goes).

# upd_root ROOTKEY TARGETSKEY: keys ROOTKEY, TARGETSKEY and a signed root in $d/root.json.
upd_root() {
  local k
  for k in "$1" "$2"; do
    check "keygen-$k" gwpolicy keygen --out "$d/$k" || return 1
  done
  check root-init gwpolicy root init --root-key "$d/$1.pub" --root-threshold 1 \
    --targets-key "$d/$2.pub" --targets-threshold 1 --sign "$d/$1.key" -o "$d/root.json"
}

# upd_bundle KEY MODEL IMAGE VERSION SECURITY_VERSION OUT: one rootfs payload,
# signed by $d/KEY.key, channel stable, quietly (no PASS line per bundle).
upd_bundle() {
  gwpolicy bundle create --root "$d/root.json" --key "$d/$1.key" --model "$2" \
    --channel stable --version "$4" --security-version "$5" --image "rootfs=$3" -o "$6"
}

# upd_manifest_of BUNDLE: the manifest digest (SHA-256 of the envelope's payload).
upd_manifest_of() {
  python3 - "$1" <<'PY'
import base64, hashlib, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    env = json.load(t.extractfile("manifest.dsse"))
print(hashlib.sha256(base64.b64decode(env["payload"])).hexdigest())
PY
}

ga() { gwagent --config "$conf" "$@"; }
bootsim() { "$GW_BIN/tools/gw-bootsim" --kind "${bl_kind:-file}" --path "$bl" "$@"; }

# upd_counter_sv: the security version the channel "stable" counter stands at.
upd_counter_sv() {
  "$GW_BIN/tools/gw-counter" --config "$conf" read stable |
    sed -n 's/.*"security_version": *\([0-9]*\).*/\1/p'
}

# upd_power_on: TPM reset, then the bootloader's decision (swtpm-tests/bootsim.sh
# for $bl_kind); prints the booted group.
upd_power_on() {
  swtpm_power_cycle || return 1
  "$GW_ROOT/swtpm-tests/bootsim.sh" "${bl_kind:-file}" "$bl" "$cmdline"
}
