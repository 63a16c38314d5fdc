#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwagent update install against a real swtpm, the file bootloader and image-file
# slots: a bundle installed into the group that is not running (bytes, state,
# stored manifest, PCR 14 "update staged" record, trial flag, history), from a file
# and from standard input; every refusal that reaches the agent (wrong model or
# channel, expired, unknown signer, lower security version, payload classes,
# truncated, a payload tampered in the middle of the stream, the running group on
# trial) with its own exit code, leaving the running group, the state and the
# bootloader's choice as they were; a 1 GiB sparse image installed with its peak
# RSS printed. Bundles come from `gwpolicy bundle create`; the ones it refuses to
# make (expired, signers outside the targets role) from mkbundle.py.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 openssl cmp tpm2_nvincrement /usr/bin/time

here=$(cd "$(dirname "$0")" && pwd)
mkb() { python3 "$here/mkbundle.py" "$@"; }
# gwb CHANNEL SECURITY_VERSION MODEL ARGS...: gwpolicy bundle create, signed by tgt1.
gwb() {
  local ch=$1 sv=$2 model=$3
  shift 3
  gwpolicy bundle create --root "$d/root.json" --key "$d/tgt1.key" --model "$model" \
    --channel "$ch" --version 2.0.0 --security-version "$sv" --reboot-required "$@"
}
# The file backend's power-on (swtpm-tests/bootsim.sh), and its state.
boot_on() { "$here/bootsim.sh" file "$boot" "$d/cmdline"; }
bootsim() { "$GW_BIN/tools/gw-bootsim" --kind file --path "$boot" "$@"; }

swtpm_start || exit 1
d=$GW_TMP
state=$d/state
boot=$d/boot.state
slots=$d/slots
img=$d/img
mkdir -p "$slots" "$img"
for k in root1 tgt1 tgt2 stranger; do
  gwpolicy keygen --out "$d/$k" >/dev/null || { fail keygen "gwpolicy keygen $k"; exit 1; }
done
check root-init gwpolicy root init --root-key "$d/root1.pub" --root-threshold 1 \
  --targets-key "$d/tgt1.pub" --targets-key "$d/tgt2.pub" --targets-threshold 1 \
  --sign "$d/root1.key" -o "$d/root.json"

# The factory images in group A (running) and old bytes in group B.
for g in A B; do
  head -c 1500000 /dev/urandom >"$slots/$g.rootfs.img"
  head -c 70000 /dev/urandom >"$slots/$g.app.img"
done
conf=$d/agent.conf
cat >"$conf" <<EOF
[agent]
state_dir = $state
model = gw-test

[update]
root = $d/root.json
channel = stable
# installs by hand (update install), without the verifier
authorization = none
bootloader = file
bootloader_path = $boot

[slot A.rootfs]
device = $slots/A.rootfs.img
[slot A.app]
device = $slots/A.app.img
[slot B.rootfs]
device = $slots/B.rootfs.img
[slot B.app]
device = $slots/B.app.img

[channel stable]
counter_index = 0x01000100
baseline_index = 0x01000101
EOF
ga() { gwagent --config "$conf" "$@"; }

expect_exit -n provision 0 ga provision
expect_eq factory-boots-A "$(boot_on)" A
expect_exit -n status-fresh 0 ga update status --json
check status-fresh-content python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
a, b = d['slots']
assert a['group']=='A' and a['booted'] and a['primary'] and a['bootable'] and not a['trial'], a
assert b['group']=='B' and not b['booted'] and not b['bootable'], b
assert [c['class'] for c in a['classes']]==['rootfs','app'], a['classes']
assert d['counters']==[{'channel':'stable','value':d['counters'][0]['value'],
  'baseline':d['counters'][0]['value'],'security_version':0}], d['counters']
assert d['trust_root']['version']==1 and d['last_outcome']=='none', d"

# The new release: rootfs of 3.5 MiB (not a multiple of the 1 MiB buffer), app.
head -c 3670017 /dev/urandom >"$img/rootfs"
head -c 100000 /dev/urandom >"$img/app"
printf 'Fixes the widget.' >"$d/notes.txt"
check bundle-create gwpolicy bundle create --root "$d/root.json" --key "$d/tgt2.key" \
  --model other-model --model gw-test --channel stable --version 2.0.0 --security-version 3 \
  --notes "$d/notes.txt" --reboot-required --image rootfs="$img/rootfs" --image app="$img/app" \
  -o "$d/good.gwb"

# What a refusal must leave alone, byte for byte.
snapshot() {
  local s=$d/snap.$1
  rm -rf "$s" && mkdir -p "$s"
  cp "$slots"/* "$boot" "$s/"
  [ -e "$state/update/slots.json" ] && cp "$state/update/slots.json" "$s/"
  [ -e "$state/eventlog.cel" ] && cp "$state/eventlog.cel" "$s/"
  { tpm_pcr sha256 14; tpm_pcr sha1 14; } >"$s/pcr14"
}
unchanged() {   # NAME SNAP [FILE...]: the named files (default: all) as in SNAP
  local name=$1 s=$d/snap.$2 f bad=''
  shift 2
  local files=("$@")
  [ ${#files[@]} -gt 0 ] || files=(A.rootfs.img A.app.img B.rootfs.img B.app.img boot.state slots.json eventlog.cel pcr14)
  { tpm_pcr sha256 14; tpm_pcr sha1 14; } >"$d/pcr14.now"
  for f in "${files[@]}"; do
    local now
    case $f in
      boot.state) now=$boot ;;
      slots.json) now=$state/update/slots.json ;;
      eventlog.cel) now=$state/eventlog.cel ;;
      pcr14) now=$d/pcr14.now ;;
      *) now=$slots/$f ;;
    esac
    if [ -e "$s/$f" ] || [ -e "$now" ]; then
      cmp -s "$s/$f" "$now" || bad="$bad $f"
    fi
  done
  if [ -z "$bad" ]; then pass "$name"; else fail "$name" "changed:$bad"; fi
}

# ---- refusals before anything is written: each its own exit code ----
snapshot fresh
refused() {   # NAME CODE PATTERN MAKER ARGS...: MAKER (gwb or mkb) writes the bundle
  local name=$1 code=$2 pat=$3
  shift 3
  "$@" -o "$d/$name.gwb" 2>"$d/$name.make.log" || { fail "$name-make" "$(cat "$d/$name.make.log")"; return; }
  expect_exit -n "$name-refused" "$code" ga update install "$d/$name.gwb"
  expect_output_contains -n "$name-says-why" "$pat"
  unchanged "$name-nothing-written" fresh
}
img2=(--image rootfs="$img/rootfs" --image app="$img/app")
refused wrong-model 32 "not for model 'gw-test'" gwb stable 1 gw-other "${img2[@]}"
refused wrong-channel 33 "for channel 'beta', this device follows 'stable'" \
  gwb beta 1 gw-test "${img2[@]}"
refused expired 34 "the manifest expired at 2026-01-01T00:00:00Z" mkb --key "$d/tgt1.key" \
  --model gw-test --created 2025-12-01T00:00:00Z --expires 2026-01-01T00:00:00Z "${img2[@]}"
refused unknown-signer 30 "manifest signature: 0 of required 1 signatures valid \(key [0-9a-f]+… unknown\)" mkb --key "$d/stranger.key" --model gw-test "${img2[@]}"
refused root-key-signer 30 "manifest signature: 0 of required 1 signatures valid" mkb --key "$d/root1.key" --model gw-test "${img2[@]}"
refused missing-class 36 "2 slot classes: a bundle must fill every class" \
  gwb stable 1 gw-test --image rootfs="$img/rootfs"
refused unknown-class 36 "payload of class 'kernel', which this device has no slot for" \
  gwb stable 1 gw-test "${img2[@]}" --image kernel="$img/app"
# The rollback: the counter at security version 3 (as a commit would leave it).
for i in 1 2 3; do tpm2_nvincrement 0x01000100 >/dev/null 2>&1 || fail nvincrement "increment $i"; done
snapshot fresh
refused lower-security-version 35 "security version 2 is below the counter's 3" \
  gwb stable 2 gw-test "${img2[@]}"
# A jump the commit's counter_advance could not make (more than 1024 increments).
refused security-version-jump 35 "security version 1028 is more than 1024 above the counter's 3" \
  gwb stable 1028 gw-test "${img2[@]}"
# Cut inside the signed envelope: nothing of the payloads was reached.
head -c 700 "$d/good.gwb" >"$d/cut-envelope.gwb"
expect_exit -n cut-in-envelope-refused 31 ga update install "$d/cut-envelope.gwb"
expect_output_contains -n cut-in-envelope-says-why "bundle: 'manifest.dsse': .*truncated"
unchanged cut-in-envelope-nothing-written fresh
expect_exit -n not-a-bundle-refused 31 ga update install "$conf"
unchanged not-a-bundle-nothing-written fresh
expect_exit -n no-such-file 1 ga update install "$d/nonexistent.gwb"
expect_file root-pinned "$state/update/root.json"
check root-pinned-is-config-root cmp "$d/root.json" "$state/update/root.json"

# ---- failures while streaming: the target is spoiled, the running group is not ----
# A byte flipped in the middle of the rootfs payload (the envelope still verifies).
off=$(python3 -c "
import tarfile; t=tarfile.open('$d/good.gwb')
m=[x for x in t.getmembers() if x.name=='payload/rootfs'][0]
print(m.offset_data + m.size // 2)")
cp "$d/good.gwb" "$d/tampered.gwb"
flip_byte "$d/tampered.gwb" "$off"
expect_exit -n tampered-payload-refused 31 ga update install --json "$d/tampered.gwb"
expect_output_contains -n tampered-payload-says-why "payload rootfs: .*"
check tampered-json-result python3 -c "
import json; r=json.loads(open('$GW_STDOUT').read().splitlines()[-1])
assert r['event']=='result' and r['result']=='refused' and r['refusal']=='bundle', r
assert r['exit_code']==31 and r['target_touched'] and r['group']=='B', r"
unchanged tampered-running-group-untouched fresh A.rootfs.img A.app.img pcr14
check tampered-target-marked python3 -c "
import json; s=json.load(open('$state/update/slots.json'))
assert s['groups']['B']['state']=='installing' and not s['groups']['B']['has_manifest'], s
assert s['groups']['A']['state']=='empty' and s['trial']=='none', s
assert s['last_outcome']=='failed', s"
expect_eq tampered-bootloader-boots-A "$(boot_on)" A
expect_output_contains -n tampered-B-bad 'B=bad' <(bootsim status)
# Truncated in the middle of a payload, from standard input.
head -c $((off + 1000)) "$d/good.gwb" >"$d/cut-payload.gwb"
expect_exit -n cut-in-payload-refused 31 sh -c "cat '$d/cut-payload.gwb' | '$GW_BIN/gwagent' --config '$conf' update install -"
unchanged cut-in-payload-running-group-untouched fresh A.rootfs.img A.app.img pcr14
expect_eq cut-in-payload-bootloader-boots-A "$(boot_on)" A

# ---- the install ----
expect_exit -n install 0 ga update install "$d/good.gwb"
digest=$(python3 -c "
import json,base64,hashlib,tarfile; t=tarfile.open('$d/good.gwb')
e=json.load(t.extractfile('manifest.dsse')); doc=base64.b64decode(e['payload'])
print(hashlib.sha256(doc).hexdigest(), hashlib.sha1(doc).hexdigest())")
dsha256=${digest% *}
expect_output_contains -n install-says-staged "staged version 2.0.0 \(security version 3\) in group B: 2 payloads, 3770017 bytes, manifest sha256:$dsha256"
check install-B-rootfs cmp "$img/rootfs" "$slots/B.rootfs.img"
check install-B-app cmp "$img/app" "$slots/B.app.img"
unchanged install-A-untouched fresh A.rootfs.img A.app.img
check install-state python3 -c "
import json; s=json.load(open('$state/update/slots.json')); b=s['groups']['B']
assert b['state']=='staged' and b['has_manifest'] and b['version']=='2.0.0', b
assert b['security_version']==3 and b['manifest_sha256']=='$dsha256' and b['channel']=='stable', b
assert s['trial']=='B' and s['last_outcome']=='staged', s"
check install-manifest-stored python3 -c "
import tarfile; t=tarfile.open('$d/good.gwb')
assert t.extractfile('manifest.dsse').read()==open('$state/update/B.manifest.dsse','rb').read()"
expect_output_contains -n install-trial-set 'primary=A A=good B=trial:1' <(bootsim status)
expect_output_contains -n install-staged-record \
  "\"update staged B version 2.0.0 manifest sha256:$dsha256\"" "$state/eventlog.cel"
# PCR 14 moved by exactly that record, in both banks: H(old || H(record text)), the
# text naming the manifest digest (doc/updates.md, "Update records are authenticated").
read -r old256 old1 < <(tr '\n' ' ' <"$d/snap.fresh/pcr14")
staged_text="update staged B version 2.0.0 manifest sha256:$dsha256"
expect_eq install-pcr14-sha256 "$(tpm_pcr sha256 14)" \
  "$(python3 -c "import hashlib,sys; print(hashlib.sha256(bytes.fromhex('$old256')+hashlib.sha256(sys.argv[1].encode()).digest()).hexdigest())" "$staged_text")"
expect_eq install-pcr14-sha1 "$(tpm_pcr sha1 14)" \
  "$(python3 -c "import hashlib,sys; print(hashlib.sha1(bytes.fromhex('$old1')+hashlib.sha1(sys.argv[1].encode()).digest()).hexdigest())" "$staged_text")"
check install-history python3 -c "
import json; h=[json.loads(l) for l in open('$state/update/history.jsonl')]
assert all(x['action']=='install' for x in h), h
last=h[-1]; assert last['outcome']=='staged' and last['group']=='B' and last['version']=='2.0.0', last
assert last['security_version']==3 and last['manifest_sha256']=='$dsha256', last
refusals=[x for x in h if x['outcome']=='failed']; assert len(refusals)>=10, len(refusals)"
expect_exit -n status-staged 0 ga update status --json
check status-staged-content python3 -c "
import json; d=json.load(open('$GW_STDOUT')); b=d['slots'][1]
assert b['state']=='staged' and b['trial'] and b['tries_left']==1 and not b['booted'], b
assert b['version']=='2.0.0' and b['security_version']==3 and b['manifest_sha256']=='$dsha256', b
assert b['notes']=='Fixes the widget.' and b['reboot_required'], b
assert d['counters'][0]['security_version']==3 and d['last_outcome']=='staged', d"
expect_exit -n status-text 0 ga update status
expect_output_contains -n status-text-trial '^group B: staged, version 2.0.0, security version 3, not bootable, on trial \(tries left: 1\)'

# From standard input, with JSON progress lines: the same bytes again.
cp "$img/rootfs" "$d/rootfs.keep"
: >"$slots/B.rootfs.img"
expect_exit -n install-stdin 0 sh -c "cat '$d/good.gwb' | '$GW_BIN/gwagent' --config '$conf' update install --json -"
out=$GW_STDOUT
check install-stdin-bytes cmp "$img/rootfs" "$slots/B.rootfs.img"
check install-stdin-json python3 -c "
import json; lines=[json.loads(l) for l in open('$out')]
prog=[l for l in lines if l['event']=='progress']; res=lines[-1]
assert res['event']=='result' and res['result']=='staged' and res['manifest_sha256']=='$dsha256', res
assert any(p['class']=='rootfs' and p['phase']=='verify' and p['done']==p['total']==3670017 for p in prog), prog
assert all(0<=p['percent']<=100 for p in prog)"
expect_exit -n install-no-progress 0 ga update install --json --no-progress "$d/good.gwb"
expect_eq no-progress-one-line "$(wc -l <"$GW_STDOUT")" 1
# On a terminal: one line rewritten in place (percent, MB/s, ETA) on stderr.
if command -v script >/dev/null 2>&1; then
  expect_exit -n install-tty 0 script -qec "'$GW_BIN/gwagent' --config '$conf' update install '$d/good.gwb'" "$d/tty.log"
  expect_output_contains -n tty-progress-write 'rootfs: writing +[0-9]+% +[0-9.]+ MB/s +ETA +[0-9]+:[0-9]{2}' "$d/tty.log"
  expect_output_contains -n tty-progress-verified 'app: verifying +100% +[0-9.]+ MB/s +ETA +0:00' "$d/tty.log"
else
  skip install-tty "no script(1)"
fi

# ---- the running group on trial: nothing to fall back to, refused ----
expect_eq trial-boots-B "$(boot_on)" B
snapshot trial
expect_exit -n install-on-trial-refused 5 ga update install "$d/good.gwb"
expect_output_contains -n install-on-trial-says-why 'the running group B is on trial and not committed'
unchanged install-on-trial-nothing-written trial
# Back to A, as a failed trial would leave it.
bootsim bad B >/dev/null
expect_eq back-to-A "$(boot_on)" A

# ---- a failure after the bytes are written (the event log cannot take the staged
# record): the target is not left staged, the bootloader does not try it ----
mv "$state/eventlog.cel" "$d/eventlog.keep"
mkdir "$state/eventlog.cel"
expect_exit -n late-failure 1 ga update install "$d/good.gwb"
check late-failure-not-staged python3 -c "
import json; s=json.load(open('$state/update/slots.json'))
assert s['groups']['B']['state']=='installing' and s['trial']=='none', s
assert s['last_outcome']=='failed', s"
expect_output_contains -n late-failure-B-bad 'primary=A A=good B=bad' <(bootsim status)
rmdir "$state/eventlog.cel"
mv "$d/eventlog.keep" "$state/eventlog.cel"

# ---- target devices: never one of the running group's, never a mounted one ----
conf_with_app() {   # FILE DEVICE: the config with B.app on DEVICE
  sed "/^\[slot B.app\]/{n;s|.*|device = $2|}" "$conf" >"$1"
}
ln "$slots/A.app.img" "$d/A.app.hardlink"
conf_with_app "$d/hardlink.conf" "$d/A.app.hardlink"
snapshot devices
expect_exit -n running-device-refused 36 gwagent --config "$d/hardlink.conf" update install "$d/good.gwb"
expect_output_contains -n running-device-says-why "slot B.app \\($d/A.app.hardlink\\) is the device of the running slot A.app"
unchanged running-device-nothing-written devices
# A running slot that cannot be identified (its device is gone) could be the
# target itself: refused, not skipped.
sed "/^\[slot A.app\]/{n;s|.*|device = $d/gone-A.app.img|}" "$conf" >"$d/unidentified.conf"
snapshot devices
expect_exit -n unidentified-running-refused 36 gwagent --config "$d/unidentified.conf" update install "$d/good.gwb"
expect_output_contains -n unidentified-running-says-why "the running slot A.app cannot be identified, so slot B\.[a-z]+ cannot be told apart from it: .*gone-A.app.img"
unchanged unidentified-running-nothing-written devices
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null &&
   truncate -s 8M "$d/blk.img" && loop=$(losetup -f --show "$d/blk.img" 2>/dev/null); then
  on_exit "umount '$d/mnt' 2>/dev/null; losetup -d '$loop'"
  mkfs.ext4 -q "$loop" && mkdir -p "$d/mnt" && mount "$loop" "$d/mnt" || fail mount "mount $loop"
  conf_with_app "$d/blk.conf" "$loop"
  snapshot devices
  expect_exit -n mounted-device-refused 36 gwagent --config "$d/blk.conf" update install "$d/good.gwb"
  expect_output_contains -n mounted-device-says-why "slot B.app: $loop is mounted \\(or holds a mounted partition\\) on $d/mnt"
  unchanged mounted-device-nothing-written devices
  umount "$d/mnt"
  expect_exit -n block-device-install 0 gwagent --config "$d/blk.conf" update install "$d/good.gwb"
  expect_eq block-device-bytes "$(head -c 100000 "$loop" | sha256sum)" "$(sha256sum <"$img/app")"
  expect_eq block-device-not-truncated "$(blockdev --getsize64 "$loop")" 8388608
  truncate -s 64K "$d/small.img"
  small=$(losetup -f --show "$d/small.img")
  on_exit "losetup -d '$small'"
  conf_with_app "$d/small.conf" "$small"
  expect_exit -n small-device-refused 36 gwagent --config "$d/small.conf" update install "$d/good.gwb"
  expect_output_contains -n small-device-says-why "slot B.app: $small holds 65536 bytes, the payload has 100000"
  expect_eq after-block-trial-boots-B "$(boot_on)" B
  bootsim bad B >/dev/null
  expect_eq back-to-A-again "$(boot_on)" A
else
  skip block-devices "needs root, losetup and mkfs.ext4 (loop devices)"
fi

# ---- 1 GiB sparse image through standard input: peak RSS far below it ----
truncate -s 1G "$img/big"
head -c 4096 /dev/urandom | dd of="$img/big" bs=1 seek=$((512 * 1024 * 1024)) conv=notrunc status=none
expect_exit -n install-1gib 0 sh -c "'$GW_BIN/gwpolicy' bundle create --root '$d/root.json' \
  --key '$d/tgt1.key' --model gw-test --channel stable --version 3.0.0 --security-version 3 \
  --image rootfs='$img/big' --image app='$img/app' |
  /usr/bin/time -v -o '$d/time.txt' '$GW_BIN/gwagent' --config '$conf' update install --no-progress -"
rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$d/time.txt")
note "peak RSS installing a 1 GiB image: ${rss:-?} KiB"
echo "# update_install: peak RSS of gwagent update install, 1 GiB image: ${rss:-?} KiB"
expect_gt install-1gib-rss-far-below-image 65536 "${rss:-999999999}"
expect_eq install-1gib-bytes "$(sha256sum <"$slots/B.rootfs.img" | cut -d' ' -f1)" \
  "$(sha256sum <"$img/big" | cut -d' ' -f1)"
rm -f "$img/big" "$slots/B.rootfs.img"
