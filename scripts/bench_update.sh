#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make bench`'s update figures (scripts/bench.sh runs it): `gwagent update install`
# of a 256 MiB image against `cat; sync; sha256sum` and against RAUC 1.8, the same
# image from an encrypted bundle against the plaintext install, and the
# installing process's peak RSS for 256 MiB and 1 GiB images. One line per figure:
#   bench NAME: VALUE UNIT ratio=R vs BASELINE
# Cache state, the same for every contender (doc/updates.md, "Numbers"): the image
# and both bundles are in the page cache (read once before the runs); the slot is an
# existing image file holding the previous run's bytes, flushed by an untimed sync
# before each run; caches are not dropped (the machine is shared). The baselines
# flush with `sync FILE` (fsync of the slot, as gwagent does), not a bare `sync`
# that would also wait for every other process's dirty pages.
#
# usage: scripts/bench_update.sh [BUILD_DIR]   env: BENCH_RUNS (default 3)
set -euo pipefail

B=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $B in /*) ;; *) B=$ROOT/$B ;; esac
RUNS=${BENCH_RUNS:-3}
MIB=256
work=$(mktemp -d /tmp/gatewarden-bench-update.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

die() { echo "bench_update: $*" >&2; exit 1; }
for c in rauc mksquashfs dbus-daemon swtpm /usr/bin/time bc openssl; do
  command -v "$c" >/dev/null || die "$c is missing (scripts/deps.sh installs it)"
done
now() { date +%s.%N; }
# best CMD...: the fastest wall time in seconds of RUNS runs of CMD, each after an
# untimed sync so that no earlier run's dirty pages are counted.
best() {
  local b=999999 s t
  for _ in $(seq "$RUNS"); do
    sync
    s=$(now)
    "$@" >/dev/null
    t=$(echo "$(now) - $s" | bc -l)
    if [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}
mibs() { echo "$1 / $2" | bc -l; }

# ---- the images (random bytes), page-cached ----
img=$work/rootfs.img
head -c $((MIB * 1048576)) /dev/urandom >"$img"

# ---- 1. baseline: copy, flush, hash what was written ----
base_copy() { cat "$img" >"$work/base-slot.img" && sync "$work/base-slot.img" && sha256sum "$work/base-slot.img"; }
cat "$img" >/dev/null
t_base=$(best base_copy)
rm -f "$work/base-slot.img"

# ---- gwagent: swtpm, keys, trust root, file bootloader, image-file slots ----
dir=$work/tpm
mkdir -p "$dir"
swtpm_setup --tpm2 --tpmstate "$dir" --create-ek-cert --pcr-banks sha256 --overwrite >/dev/null 2>&1
# A free port, and the one after it for the control channel: tried a few times,
# since another program may hold port + 1.
for _ in 1 2 3 4 5; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  swtpm socket --tpm2 --tpmstate dir="$dir" --server type=tcp,port="$port" \
    --ctrl type=tcp,port=$((port + 1)) --flags not-need-init,startup-clear \
    --pid file="$dir/pid" --daemon 2>"$work/swtpm.err" && break
done
for _ in $(seq 50); do [ -s "$dir/pid" ] && break; sleep 0.1; done
[ -s "$dir/pid" ] || die "swtpm did not start: $(cat "$work/swtpm.err")"
pids+=("$(cat "$dir/pid")")
export GW_TCTI="swtpm:host=127.0.0.1,port=$port"

gw=$work/gw
mkdir -p "$gw/slots"
for k in root tgt; do "$B/gwpolicy" keygen --out "$gw/$k" >/dev/null; done
"$B/gwpolicy" root init --root-key "$gw/root.pub" --root-threshold 1 \
  --targets-key "$gw/tgt.pub" --targets-threshold 1 --sign "$gw/root.key" -o "$gw/root.json" >/dev/null
for g in A B; do head -c 1048576 /dev/urandom >"$gw/slots/$g.rootfs.img"; done
cat >"$gw/agent.conf" <<EOF
[agent]
state_dir = $gw/state
model = bench-1

[update]
root = $gw/root.json
channel = stable
authorization = none
bootloader = file
bootloader_path = $gw/boot.state

[slot A.rootfs]
device = $gw/slots/A.rootfs.img
[slot B.rootfs]
device = $gw/slots/B.rootfs.img

[channel stable]
counter_index = 0x01000100
baseline_index = 0x01000101
EOF
gwb() { # IMAGE OUT [ARGS]: a signed bundle of IMAGE as the rootfs payload
  local i=$1 o=$2
  shift 2
  "$B/gwpolicy" bundle create --root "$gw/root.json" --key "$gw/tgt.key" --model bench-1 \
    --channel stable --version 2.0.0 --security-version 1 --reboot-required \
    --image rootfs="$i" "$@" -o "$o" 2>"$work/gwb.err" || die "gwpolicy bundle create: $(cat "$work/gwb.err")"
}
ga() { "$B/gwagent" --config "$gw/agent.conf" "$@"; }
ga provision >/dev/null 2>"$work/provision.err" || die "gwagent provision: $(cat "$work/provision.err")"
GW_BIN=$B "$ROOT/swtpm-tests/bootsim.sh" file "$gw/boot.state" "$gw/cmdline" >/dev/null
gwb "$img" "$gw/bench.gwb"
cat "$gw/bench.gwb" >/dev/null
ga update install --no-progress "$gw/bench.gwb" >/dev/null ||
  die "gwagent update install failed"
cmp -s "$img" "$gw/slots/B.rootfs.img" || die "the installed slot differs from the image"
# install_rss BUNDLE: one timed install, its peak RSS in KiB and wall time in $work/rss.
install_once() {
  /usr/bin/time -f '%M %e' -o "$work/rss" "$B/gwagent" --config "$gw/agent.conf" \
    update install --no-progress "$1"
}
t_gw=$(best install_once "$gw/bench.gwb")
rss_gw=$(cut -d' ' -f1 "$work/rss")

# ---- 2. the same image in an encrypted bundle, installed with its content key
#      (gwagent update install --content-key-file), the same cache state ----
"$B/gwpolicy" keygen --out "$gw/release" >/dev/null
gwb "$img" "$gw/bench-enc.gwb" --encrypt-for "$gw/release.pub"
"$B/gwpolicy" bundle decrypt --root "$gw/root.json" --key "$gw/release.key" \
  --content-key-out "$gw/cek" "$gw/bench-enc.gwb" >/dev/null
cat "$gw/bench-enc.gwb" >/dev/null
install_enc() { ga update install --no-progress --content-key-file "$gw/cek" "$gw/bench-enc.gwb"; }
install_enc >/dev/null || die "gwagent update install (encrypted) failed"
cmp -s "$img" "$gw/slots/B.rootfs.img" || die "the slot installed from the encrypted bundle differs"
t_enc=$(best install_enc)
rm -f "$gw/bench-enc.gwb"

# ---- RAUC 1.8: plain bundle, raw image-file slots, noop bootloader, private bus ----
r=$work/rauc
mkdir -p "$r/content" "$r/data"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$r/key.pem" -out "$r/cert.pem" -subj "/CN=Gatewarden bench RAUC" >/dev/null 2>&1
cp "$img" "$r/content/rootfs.img"
cat >"$r/content/manifest.raucm" <<EOF
[update]
compatible=gatewarden-bench
version=2.0.0

[bundle]
format=plain

[image.rootfs]
filename=rootfs.img
EOF
rauc bundle --cert="$r/cert.pem" --key="$r/key.pem" "$r/content" "$r/bench.raucb" >/dev/null 2>&1 ||
  die "rauc bundle failed"
rm -rf "$r/content"
for g in A B; do head -c 1048576 /dev/urandom >"$r/slot$g.img"; done
cat >"$r/system.conf" <<EOF
[system]
compatible=gatewarden-bench
bootloader=noop
data-directory=$r/data

[keyring]
path=$r/cert.pem

[slot.rootfs.0]
device=$r/slotA.img
type=raw
bootname=A

[slot.rootfs.1]
device=$r/slotB.img
type=raw
bootname=B
EOF
bus=$(dbus-daemon --session --print-address=1 --fork --print-pid=3 3>"$r/dbus.pid")
pids+=("$(cat "$r/dbus.pid")")
export DBUS_SYSTEM_BUS_ADDRESS=$bus
rauc service --conf="$r/system.conf" --override-boot-slot=A >"$r/service.log" 2>&1 &
rpid=$!
pids+=("$rpid")
for _ in $(seq 100); do rauc status >/dev/null 2>&1 && break; sleep 0.1; done
rauc status >/dev/null 2>&1 || die "rauc service did not start: $(head -c 400 "$r/service.log")"
cat "$r/bench.raucb" >/dev/null
rauc_once() { rauc install "$r/bench.raucb" && sync "$r/slotB.img"; }
rauc_once >/dev/null 2>&1 || die "rauc install failed: $(tail -c 400 "$r/service.log")"
cmp -s "$img" "$r/slotB.img" || die "RAUC's slot differs from the image"
t_rauc=$(best rauc_once)
rss_rauc=$(awk '/^VmHWM/ {print $2}' "/proc/$rpid/status")

# ---- the figures ----
base=$(mibs $MIB "$t_base")
ours=$(mibs $MIB "$t_gw")
theirs=$(mibs $MIB "$t_rauc")
printf 'bench update-install-%sMiB: %.0f MiB/s ratio=%.2f vs cat IMAGE >SLOT; sync SLOT; sha256sum SLOT (%.0f MiB/s) target>=0.9\n' \
  "$MIB" "$ours" "$(echo "$ours / $base" | bc -l)" "$base"
enc=$(mibs $MIB "$t_enc")
printf 'bench update-install-encrypted-%sMiB: %.0f MiB/s ratio=%.2f vs update-install-%sMiB (%.0f MiB/s) target>=0.7\n' \
  "$MIB" "$enc" "$(echo "$enc / $ours" | bc -l)" "$MIB" "$ours"
printf 'bench update-install-%sMiB-vs-rauc: %.0f MiB/s ratio=%.2f vs rauc 1.8 install + sync SLOT, plain bundle, raw file slot (%.0f MiB/s, ratio=%.2f vs cat) target>=1.3\n' \
  "$MIB" "$ours" "$(echo "$ours / $theirs" | bc -l)" "$theirs" "$(echo "$theirs / $base" | bc -l)"
printf 'bench update-install-rss-%sMiB: %.1f MiB ratio=%.3f vs rauc service VmHWM (%.1f MiB) image=%s MiB target<=16 MiB\n' \
  "$MIB" "$(echo "$rss_gw / 1024" | bc -l)" "$(echo "$rss_gw / $rss_rauc" | bc -l)" \
  "$(echo "$rss_rauc / 1024" | bc -l)" "$MIB"

# ---- 3. peak RSS for a 1 GiB image (one run: RSS does not vary with load) ----
rm -f "$r/bench.raucb" "$r"/slot?.img "$work/base-slot.img"
big=$work/big.img
head -c $((1024 * 1048576)) /dev/urandom >"$big"
gwb "$big" "$gw/big.gwb"
rm -f "$big"
install_once "$gw/big.gwb" >/dev/null || die "gwagent update install (1 GiB) failed"
rss_big=$(cut -d' ' -f1 "$work/rss")
printf 'bench update-install-rss-1GiB: %.1f MiB ratio=%.4f vs the image size (1024 MiB) target<=16 MiB\n' \
  "$(echo "$rss_big / 1024" | bc -l)" "$(echo "$rss_big / 1048576" | bc -l)"
