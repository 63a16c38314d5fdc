#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The running release against the bootloader's measurements (doc/updates.md,
# "Boot files"), against a real swtpm, verifier and agent. Releases 1.0 and 2.0
# carry signed boot files (gwpolicy bundle create --boot-file); the gateway's
# firmware log is a real GRUB boot (testdata's bootorder log) whose PCR 9 kernel
# and initramfs events are this scenario's files, replayed into the swtpm as the
# firmware and GRUB would extend them. With update.boot_files_pcr 9 and an
# allowed rule on PCR 9: 2.0 running with 2.0's kernel measured is affirming;
# the records naming 2.0 while 1.0's kernel and initramfs were measured (root
# swapped the manifest, or the bootloader was pointed at the old files) is
# contraindicated, also with 2.0's digests extended after boot; a tampered kernel
# with 2.0's kernel digest extended after boot is contraindicated (the allowed
# rule); with the running group's manifest deleted (no running record) 1.0's
# kernel is contraindicated (only the running release's files are allowed, and
# none when the records name none); the boot files are read from the store, with
# the bundle files moved away. A policy without the opt-in (PCR 9 unchecked) keeps today's behaviour:
# every one of those boots is affirming, which is the limit the check closes.
# lint refuses the opt-in next to an unchecked PCR 9; diff calls dropping it a
# loosening.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 openssl sqlite3 swtpm_ioctl tpm2_startup

golden=$GW_TESTDATA/eventlogs/tpm2-tools-event-bootorder.bin
fwsim=$GW_BIN/tools/gw-fwsim
fwlog() { python3 "$GW_ROOT/swtpm-tests/fwlog.py" "$@"; }
hexfile() { od -An -v -tx1 "$1" | tr -d ' \n'; }
localca=/var/lib/swtpm-localca
GW_BANKS=sha1,sha256 swtpm_start --no-startup || exit 1
d=$GW_TMP
sent=$d/sent.bin

uf_release "$d/rel"
uf_device "$d" file "$d/bl.state" "$d/cmdline" 0x01800100 0x01800101
printf '\n[agent]\nfirmware_log = %s\n' "$sent" >>"$conf"
for f in kernel-1 initrd-1 kernel-2 initrd-2 kernel-evil; do
  printf '%s of the gateway image\n' "$f" >"$d/$f"
done

# mklog OUT KERNEL INITRD [EDIT...]: the golden GRUB log measuring KERNEL and
# INITRD as its events 93 and 96, then EDITs (root's appends after boot).
mklog() {
  fwlog "$golden" "$1" "digest:93:$(hexfile "$2")" "digest:96:$(hexfile "$3")" "${@:4}"
}
# fw_boot NAME LOG: power on; the firmware and GRUB extend LOG's events; the
# bootloader picks the slot; the agent will send LOG; the boot service runs.
fw_boot() {
  expect_exit -n "$1-cycle" 0 swtpm_power_cycle --no-startup || return 1
  expect_exit -n "$1-fwsim-startup" 0 "$fwsim" startup "$2" || return 1
  expect_exit -n "$1-fwsim-replay" 0 "$fwsim" replay "$2" || return 1
  cp "$2" "$sent"
  expect_exit -n "$1-bootsim" 0 "$GW_ROOT/swtpm-tests/bootsim.sh" file "$bl" "$cmdline" || return 1
  expect_exit -n "$1-agent-boot" 0 ga boot
}
# attest NAME EXIT [REGEX]: one attestation, its exit code, a finding it names.
attest() {
  expect_exit -n "$1-attest" "$2" ga attest --json
  [ $# -lt 3 ] || expect_output_contains -n "$1-named" "$3" "$GW_STDOUT"
}

check log-v1 mklog "$d/v1.bin" "$d/kernel-1" "$d/initrd-1"
check log-v2 mklog "$d/v2.bin" "$d/kernel-2" "$d/initrd-2"
fw_boot factory "$d/v1.bin" || exit 1
check provision ga provision

# ---- the verifier, releases 1.0 and 2.0 with their boot files
uf_verifier "$d/verifier" all || exit 1
mkbundle() {   # NAME VERSION SV N: kernel-N and initrd-N as the boot files
  head -c 65536 /dev/urandom >"$UF_REL/img-$1"
  check "bundle-$1" gwpolicy bundle create --root "$UF_REL/root.json" --key "$UF_REL/t1.key" \
    --model gw-1000 --channel stable --version "$2" --security-version "$3" \
    --image "rootfs=$UF_REL/img-$1" --boot-file "/boot/vmlinuz=$d/kernel-$4" \
    --boot-file "/boot/initrd.img=$d/initrd-$4" -o "$UF_REL/$1.gwb"
}
mkbundle b1 1.0 1 1
mkbundle b2 2.0 2 2
expect_exit -n inspect-b2 0 gwpolicy bundle inspect --json "$UF_REL/b2.gwb"
expect_eq inspect-boot-files "$(python3 -c 'import json,sys; print(" ".join(f["path"] + "=" + f["sha256"] for f in json.load(open(sys.argv[1]))["boot_files"]))' "$GW_STDOUT")" \
  "/boot/vmlinuz=$(sha256sum <"$d/kernel-2" | cut -d' ' -f1) /boot/initrd.img=$(sha256sum <"$d/initrd-2" | cut -d' ' -f1)"
uf_add b1
uf_add b2
bg_start verifier "$GW_BIN/gwverifier" serve "${vconf[@]}"
wait_for_port "$port" 15 || { fail verifier-listens "no listener on $port"; exit 1; }
check enroll ga enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-boot --model gw-1000

# ---- the policies: the golden log's draft, PCR 9 quoted; v1 opts in (PCR 9
# allowed: GRUB's own files, the releases' files added by the verifier), v2 does
# not (PCR 9 unchecked, as before this check existed).
check draft gwpolicy from-eventlog "$golden" --model gw-1000 --stage "rootfs=$d/stage.txt" \
  --out "$d/draft.json"
policy_edit() {   # OUT VERSION OPT_IN
  python3 - "$d/draft.json" "$GW_ROOT/swtpm-tests" "$golden" "$@" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
import fwlog
p = json.load(open(sys.argv[1]))
out, version, opt_in = sys.argv[4], int(sys.argv[5]), sys.argv[6] == "1"
p["version"] = version
p["pcr_selection"] = "sha256:0-9,13,14"
if opt_in:
    _, _, evs = fwlog.parse(open(sys.argv[3], "rb").read())
    grub = []
    for num, e in enumerate(evs, 1):
        d = dict(e["digests"]).get(0x000b).hex()
        if e["pcr"] == 9 and num not in (93, 96) and d not in grub:
            grub.append(d)
    p["firmware"]["pcrs"]["9"] = {"allowed": [{"type": "EV_IPL", "digests": grub,
                                               "comment": "GRUB's own files"}]}
    p.setdefault("update", {})["boot_files_pcr"] = 9
else:
    p["firmware"]["pcrs"]["9"] = {"unchecked": True}
json.dump(p, open(out, "w"), indent=2)
PY
}
check policy-v1 policy_edit "$d/policy-v1.json" 1 1
check policy-v2 policy_edit "$d/policy-v2.json" 2 0
expect_exit -n lint-v1 0 gwpolicy lint "$d/policy-v1.json"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["update"]={"boot_files_pcr": 9}; json.dump(p, open(sys.argv[2], "w"))' \
  "$d/policy-v2.json" "$d/policy-unsound.json"
expect_exit -n lint-unsound 19 gwpolicy lint "$d/policy-unsound.json"
expect_output_contains -n lint-unsound-named '^\$\.update\.boot_files_pcr: PCR 9 has an unchecked rule: root could boot another kernel'
expect_exit -n diff-opt-out 1 gwpolicy diff "$d/policy-v1.json" "$d/policy-v2.json"
expect_output_contains -n diff-opt-out-loosens '^~ update\.boot_files_pcr 9 -> none  \(loosens\)$'
check policy-v1-sign gw_sign_policy "$d/policy-v1.json" "$d/policy-v1.signed"
check policy-v1-add gwverifier policy add "${vconf[@]}" "$d/policy-v1.signed"

# ---- 2.0 installed and committed, 2.0's kernel and initramfs measured: affirming
expect_exit -n install-b2 0 ga update install --no-progress "$UF_REL/b2.gwb"
fw_boot trial "$d/v2.bin" || exit 1
check trial-committed sh -c "grep -q 'update committed B version 2.0' '$state/eventlog.cel'"
fw_boot honest "$d/v2.bin" || exit 1
attest honest 0
expect_output_not_contains -n honest-no-finding 'boot-files'

# ---- root's attacks (each contraindicated under v1)
# 1. The records name 2.0, but 1.0's kernel and initramfs were booted.
fw_boot relabel "$d/v1.bin" || exit 1
attest relabel 24 "boot-files.*boot file /boot/vmlinuz of the running release $REL_b2 \(version 2\.0\): sha256 [0-9a-f]{64} measured 0 times in PCR 9, expected once"
expect_output_contains -n relabel-other-release "boot-files.*PCR 9 event 93: sha256 [0-9a-f]{64} is boot file /boot/vmlinuz of release $REL_b1 \(version 1\.0\)"
# 2. The same, with 2.0's kernel and initramfs digests extended after boot.
check log-relabel-append mklog "$d/relabel-append.bin" "$d/kernel-1" "$d/initrd-1" \
  "append:9:EV_IPL:$(hexfile "$d/kernel-2")" "append:9:EV_IPL:$(hexfile "$d/initrd-2")"
fw_boot relabel-append "$d/relabel-append.bin" || exit 1
attest relabel-append 24 "boot-files.*PCR 9 event 93: sha256 [0-9a-f]{64} is boot file /boot/vmlinuz of release $REL_b1"
expect_output_not_contains -n relabel-append-found-once 'measured 0 times'
# 3. A tampered kernel booted, 2.0's kernel digest extended after it: the boot
#    files check alone would see each file once; the allowed rule refuses the
#    tampered kernel's digest.
check log-tampered mklog "$d/tampered.bin" "$d/kernel-evil" "$d/initrd-2" \
  "append:9:EV_IPL:$(hexfile "$d/kernel-2")"
fw_boot tampered "$d/tampered.bin" || exit 1
attest tampered 24 'pcrs\.9\.allowed.*PCR 9 event 93 \(EV_IPL\): sha256 [0-9a-f]{64} is not allowed'
expect_output_not_contains -n tampered-files-once 'boot-files'
# 4. 2.0's kernel extended a second time: measured twice.
check log-twice mklog "$d/twice.bin" "$d/kernel-2" "$d/initrd-2" \
  "append:9:EV_IPL:$(hexfile "$d/kernel-2")"
fw_boot twice "$d/twice.bin" || exit 1
attest twice 24 'boot-files.*boot file /boot/vmlinuz of the running release .* measured 2 times in PCR 9'
# 5. Root deletes the running group's manifest (the boot service then names no
#    running release, as for a factory image) and boots 1.0's kernel and
#    initramfs, held by the verifier and below the floor: no release's files are
#    allowed on PCR 9 then, and the policy's allowed rule (GRUB's own files only)
#    refuses them. Before the fix every held release's files were allowed and the
#    running release's check was skipped: affirming.
check hide-manifest mv "$state/update/B.manifest.dsse" "$d/B.manifest.dsse"
fw_boot no-record "$d/v1.bin" || exit 1
check no-record-factory sh -c "cat '$GW_STDOUT' '$GW_STDERR' | grep -q 'runs an image without a stored manifest'"
attest no-record 24 'pcrs\.9\.allowed.*PCR 9 event 93 \(EV_IPL\): sha256 [0-9a-f]{64} is not allowed'
expect_output_contains -n no-record-initrd 'pcrs\.9\.allowed.*PCR 9 event 96 \(EV_IPL\)'
expect_output_not_contains -n no-record-not-judged 'boot-files'
#    The same with 2.0's kernel: no record names it, so it is not allowed either.
fw_boot no-record-v2 "$d/v2.bin" || exit 1
attest no-record-v2 24 'pcrs\.9\.allowed.*PCR 9 event 93 \(EV_IPL\)'
check restore-manifest mv "$d/B.manifest.dsse" "$state/update/B.manifest.dsse"
fw_boot restored "$d/v2.bin" || exit 1
attest restored 0
# 6. The attest round reads the boot files from the store, where release add put
#    them, not from the bundles: with the bundle files moved away it still
#    judges (the bundle read would have failed closed).
expect_eq stored-files "$(sqlite3 "$vdir/verifier.db" 'SELECT count(*) FROM release_boot_files')" 4
bdir=$(dirname "$(find "$vdir" -name '*.gwb' | head -n 1)")
mkdir -p "$d/away"
check bundles-away sh -c "mv '$bdir'/*.gwb '$d/away/'"
fw_boot away-honest "$d/v2.bin" || exit 1
attest away-honest 0
fw_boot away-relabel "$d/v1.bin" || exit 1
attest away-relabel 24 "boot-files.*PCR 9 event 93: sha256 [0-9a-f]{64} is boot file /boot/vmlinuz of release $REL_b1"
expect_output_not_contains -n away-not-read 'cannot be read'
check bundles-back sh -c "mv '$d/away'/*.gwb '$bdir/'"

# ---- without the opt-in (v2): unchanged, so every attack above passes
check policy-v2-sign gw_sign_policy "$d/policy-v2.json" "$d/policy-v2.signed"
check policy-v2-add gwverifier policy add "${vconf[@]}" "$d/policy-v2.signed"
fw_boot off-honest "$d/v2.bin" || exit 1
attest off-honest 0
fw_boot off-relabel "$d/v1.bin" || exit 1
attest off-relabel 0
fw_boot off-tampered "$d/tampered.bin" || exit 1
attest off-tampered 0
