# SPDX-License-Identifier: Apache-2.0
# Shared setup of the update scenarios (sourced after lib.sh): the release side
# (trust root, bundles from gwpolicy), a gateway with image-file slots, a health
# check and a reboot command for any bootloader backend, and the probes (counter,
# PCR 14 records, replay of PCR 14 from the log, one power-on through bootsim.sh).
# shellcheck shell=bash
# shellcheck disable=SC2034 # P, C, root_digest, state...: set for the sourcing scenario

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

# uf_release DIR: root and targets keys (r1, t1) and root.json in DIR, which
# bundle and manifest_of use; sets UF_REL and root_digest.
uf_release() {
  UF_REL=$1
  local k
  mkdir -p "$UF_REL"
  for k in r1 t1; do
    check "keygen-$k" gwpolicy keygen --out "$UF_REL/$k"
  done
  check root-init gwpolicy root init --root-key "$UF_REL/r1.pub" --root-threshold 1 \
    --targets-key "$UF_REL/t1.pub" --targets-threshold 1 --sign "$UF_REL/r1.key" \
    -o "$UF_REL/root.json"
  root_digest=$(python3 - "$UF_REL/root.json" <<'EOF'
import base64, hashlib, json, sys
env = json.load(open(sys.argv[1]))
print(hashlib.sha256(base64.b64decode(env["payload"])).hexdigest())
EOF
  )
}

bundle() {   # NAME VERSION SECURITY_VERSION: $UF_REL/NAME.gwb
  head -c 131072 /dev/urandom >"$UF_REL/img-$1"
  check "bundle-$1" gwpolicy bundle create --root "$UF_REL/root.json" --key "$UF_REL/t1.key" \
    --model gw-1000 --channel stable --version "$2" --security-version "$3" \
    --image "rootfs=$UF_REL/img-$1" -o "$UF_REL/$1.gwb"
}

manifest_of() {   # NAME: the manifest digest (SHA-256 of the envelope's payload)
  python3 - "$UF_REL/$1.gwb" <<'PY'
import base64, hashlib, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    env = json.load(t.extractfile("manifest.dsse"))
print(hashlib.sha256(base64.b64decode(env["payload"])).hexdigest())
PY
}

# uf_device DIR KIND PATH CMDLINE COUNTER BASELINE: a gateway in DIR (slots A and
# B as image files, A holding the factory image; the health check DIR/check.sh
# exits with the number in DIR/verdict; the reboot command appends to
# DIR/reboots) whose agent.conf uses bootloader KIND at PATH and the channel
# stable on the NV indices COUNTER and BASELINE. Sets d, state, conf, uf_kind,
# uf_path, cmdline.
uf_device() {
  d=$1 uf_kind=$2 uf_path=$3 cmdline=$4
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
bootloader = $uf_kind
bootloader_path = $uf_path
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
# One power-on: TPM reset, the bootloader's decision (bootsim.sh for uf_kind,
# which writes the command line); prints the booted group.
power_on() {
  swtpm_power_cycle || return 1
  "$GW_ROOT/swtpm-tests/bootsim.sh" "$uf_kind" "$uf_path" "$cmdline"
}
