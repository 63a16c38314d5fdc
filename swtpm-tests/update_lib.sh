# SPDX-License-Identifier: Apache-2.0
# Helpers shared by the update scenarios (sourced after lib.sh): the release side
# (keys, trust root, bundles from gwpolicy, manifest digests), a gateway with
# image-file slots, a health check and a reboot command for any bootloader
# backend, and the probes (the agent, the bootloader simulator, the channel
# counter, PCR 14 records, replay of PCR 14 from the log, one power-on through
# bootsim.sh), and a verifier for the release side with release add (uf_verifier,
# uf_add). The scenario sets d (its temp dir), conf (agent.conf), bl_kind and
# bl (the bootloader kind and state) and cmdline (where the booted command line
# goes), itself or through uf_device.
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # P, C, root_digest, state...: for the scenario

# bl_factory KIND DIR: a factory bootloader state (A good and primary, B never
# installed) in DIR; sets P (the backend path) and C (the command line file).
bl_factory() {
  local k=$1 d=$2
  mkdir -p "$d"
  C=$d/cmdline
  case $k in
    file) P=$d/bootsim.state ;;
    grub) P=$d/grubenv; grub-editenv "$P" create ;;
    uboot)
      P=$d/fw_env.config
      head -c 16384 /dev/zero >"$d/env1"
      head -c 16384 /dev/zero >"$d/env2"
      printf '%s 0x0 0x4000\n%s 0x0 0x4000\n' "$d/env1" "$d/env2" >"$P" ;;
    systemd-boot)
      P=$d/esp
      mkdir -p "$P/loader/entries" "$P/A" "$P/B"
      : >"$P/A/vmlinuz"
      : >"$P/B/vmlinuz"
      printf 'title Gateway A\nlinux /A/vmlinuz\noptions root=PARTLABEL=rootfs-a gatewarden.slot=A\n' \
        >"$P/loader/entries/gatewarden-a.conf"
      printf 'title Gateway B\nlinux /B/vmlinuz\noptions root=PARTLABEL=rootfs-b gatewarden.slot=B\n' \
        >"$P/loader/entries/gatewarden-b+0-0.conf"
      printf 'timeout 0\n' >"$P/loader/loader.conf" ;;
  esac
}

# The release side lives in UF_REL (uf_release sets it; else the scenario's $d).

# upd_root ROOTKEY TARGETSKEY: keys ROOTKEY, TARGETSKEY and a signed root
# (threshold 1 each) in the release directory's root.json.
upd_root() {
  local k rel=${UF_REL:-$d}
  for k in "$1" "$2"; do
    check "keygen-$k" gwpolicy keygen --out "$rel/$k" || return 1
  done
  check root-init gwpolicy root init --root-key "$rel/$1.pub" --root-threshold 1 \
    --targets-key "$rel/$2.pub" --targets-threshold 1 --sign "$rel/$1.key" -o "$rel/root.json"
}

# root_digest_of FILE: the SHA-256 of a signed root's document (its payload).
root_digest_of() {
  python3 - "$1" <<'EOF'
import base64, hashlib, json, sys
env = json.load(open(sys.argv[1]))
print(hashlib.sha256(base64.b64decode(env["payload"])).hexdigest())
EOF
}

# uf_release DIR: root and targets keys (r1, t1) and root.json in DIR, which
# bundle and manifest_of use; sets UF_REL and root_digest.
uf_release() {
  UF_REL=$1
  mkdir -p "$UF_REL"
  upd_root r1 t1
  root_digest=$(root_digest_of "$UF_REL/root.json")
}

# upd_bundle KEY MODEL IMAGE VERSION SECURITY_VERSION OUT: one rootfs payload,
# signed by KEY.key of the release directory, channel stable, quietly (no PASS
# line per bundle).
upd_bundle() {
  local rel=${UF_REL:-$d}
  gwpolicy bundle create --root "$rel/root.json" --key "$rel/$1.key" --model "$2" \
    --channel stable --version "$4" --security-version "$5" --image "rootfs=$3" -o "$6"
}

bundle() {   # NAME VERSION SECURITY_VERSION: $UF_REL/NAME.gwb, a random image
  head -c 131072 /dev/urandom >"$UF_REL/img-$1"
  check "bundle-$1" upd_bundle t1 gw-1000 "$UF_REL/img-$1" "$2" "$3" "$UF_REL/$1.gwb"
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
manifest_of() { upd_manifest_of "$UF_REL/$1.gwb"; }   # NAME: of $UF_REL/NAME.gwb

# uf_device DIR KIND PATH CMDLINE COUNTER BASELINE: a gateway in DIR (slots A and
# B as image files, A holding the factory image; the health check DIR/check.sh
# exits with the number in DIR/verdict; the reboot command appends to
# DIR/reboots) whose agent.conf uses bootloader KIND at PATH and the channel
# stable on the NV indices COUNTER and BASELINE. Sets d, state, conf, bl_kind,
# bl, cmdline.
uf_device() {
  d=$1 bl_kind=$2 bl=$3 cmdline=$4
  state=$d/state conf=$d/agent.conf
  mkdir -p "$d"
  truncate -s 1M "$d/slotA.img" "$d/slotB.img"
  head -c 131072 /dev/urandom | dd of="$d/slotA.img" conv=notrunc status=none
  cat >"$d/check.sh" <<EOF
#!/bin/sh
echo "app self-test: \$(cat "$d/verdict" 2>/dev/null || echo 0)"
exit "\$(cat "$d/verdict" 2>/dev/null || echo 0)"
EOF
  cat >"$d/reboot.sh" <<EOF
#!/bin/sh
echo reboot >>"$d/reboots"
EOF
  chmod +x "$d/check.sh" "$d/reboot.sh"
  echo rootfs-v1 >"$d/stage.txt"
  cat >"$conf" <<EOF
[agent]
state_dir = $state
model = gw-1000

[stage rootfs]
file = $d/stage.txt

[channel stable]
counter_index = $5
baseline_index = $6

[update]
root = $UF_REL/root.json
channel = stable
# installs by hand (update install), without the verifier
authorization = none
bootloader = $bl_kind
bootloader_path = $bl
cmdline = $cmdline
trial_tries = 1
reboot_command = $d/reboot.sh

[slot A.rootfs]
device = $d/slotA.img

[slot B.rootfs]
device = $d/slotB.img

[health app]
command = $d/check.sh --quick
timeout = 20
EOF
}

ga() { gwagent --config "$conf" "$@"; }
bootsim() { "$GW_BIN/tools/gw-bootsim" --kind "${bl_kind:-file}" --path "$bl" "$@"; }
# counter_sv: the security version the channel "stable" counter stands at.
counter_sv() {
  "$GW_BIN/tools/gw-counter" --config "$conf" read stable |
    python3 -c "import json,sys; print(json.load(sys.stdin)['security_version'])"
}
reboots() { [ -f "$d/reboots" ] && wc -l <"$d/reboots" || echo 0; }
log_count() {   # TEXT: records of the current log whose string is TEXT
  python3 - "$state/eventlog.cel" "$1" <<'EOF'
import json, sys
n = 0
for rec in open(sys.argv[1], "rb").read().split(b"\x1e"):
    if rec.strip() and json.loads(rec).get("content", {}).get("string") == sys.argv[2]:
        n += 1
print(n)
EOF
}
# PCR 14 (sha1 and sha256) replayed from the log equals the TPM's.
replays() {
  python3 - "$state/eventlog.cel" "$@" <<'EOF'
import hashlib, json, subprocess, sys
want = {"sha1": bytes(20), "sha256": bytes(32)}
for rec in open(sys.argv[1], "rb").read().split(b"\x1e"):
    if not rec.strip():
        continue
    r = json.loads(rec)
    if r["pcr"] != 14:
        continue
    for dg in r["digests"]:
        alg = dg["hashAlg"]
        want[alg] = hashlib.new(alg, want[alg] + bytes.fromhex(dg["digest"])).digest()
for alg, v in want.items():
    out = subprocess.run(["tpm2_pcrread", f"{alg}:14"], capture_output=True, text=True).stdout
    got = out.split("0x")[-1].strip().lower()
    if got != v.hex():
        sys.exit(f"PCR 14 {alg}: TPM {got}, log replays to {v.hex()}")
EOF
}
# One power-on: TPM reset, the bootloader's decision (bootsim.sh for bl_kind at
# bl, which writes the command line); prints the booted group.
power_on() {
  swtpm_power_cycle || return 1
  "$GW_ROOT/swtpm-tests/bootsim.sh" "${bl_kind:-file}" "$bl" "$cmdline"
}

# uf_verifier DIR AUTO_APPROVE: a verifier in DIR for the release side (init on a
# free port with the swtpm local CA's EK certificates, auto_approve = AUTO_APPROVE,
# the policy keys, [releases] pinning $UF_REL/root.json with max_attest_age 600),
# not started; sets vdir, vconf (its --config), port and url.
uf_verifier() {
  local localca=/var/lib/swtpm-localca
  vdir=$1
  vconf=(--config "$vdir/verifier.conf")
  port=$(free_port) || return 1
  url=https://127.0.0.1:$port
  check verifier-init gwverifier init "$vdir" --listen "127.0.0.1:$port" \
    --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem" || return 1
  sed -i "s/^auto_approve = .*/auto_approve = $2/" "$vdir/verifier.conf"
  gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; return 1; }
  printf '\n[releases]\ntrust_root = %s\nmax_attest_age = 600\n' "$UF_REL/root.json" \
    >>"$vdir/verifier.conf"
}

# uf_add NAME [release add options]: $UF_REL/NAME.gwb added to the verifier of
# uf_verifier; REL_NAME = its id.
uf_add() {
  expect_exit -n "add-$1" 0 gwverifier release add "$UF_REL/$1.gwb" --json "${vconf[@]}" "${@:2}"
  printf -v "REL_$1" '%s' "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$GW_STDOUT")"
}
