#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scenarios 2, 3 and 5 of issue 12 on real firmware, one VM through ten boots.
# Scenario 2: the release engineer boots a lab VM on v1 and on v2 (put into slot B
# from the host, the grubenv set by the agent's own grub backend as the device's
# install will set it) and drafts the policy from those golden boots and the
# device's first boot; release 2.0 (slot image for group B: the same kernel, an
# initramfs whose /etc/gw-release differs) is made with `gwpolicy bundle create`,
# encrypted for the verifier's release key and added. The device's daemon round
# (`gwagent run --once`) attests, downloads 2.0 through the relay, is authorized,
# its TPM unwraps the content key, installs into rootfs-B and runs the reboot
# command; GRUB boots B on trial, the boot service commits, and the attestation
# of that boot is affirming and shows 2.0 running and committed, the counter at 2.
# Scenario 3: 3.0, whose health check fails: trial boot of A, rollback, reboot,
# GRUB boots B (2.0) again; 3.1, whose /init exits: the kernel panics on both
# trial boots (trial_tries = 2), GRUB's count runs out and it falls back to B.
# The verifier shows both rolled back (device show, status rollout).
# Scenario 5: release 1.5 (security version 1), signed by the release key and
# handed to the agent by hand (`update install`), is refused by the TPM's
# anti-rollback counter (2): exit 35, slots, grubenv and counter unchanged, and the
# verifier does not offer it; then the host appends bytes to B's kernel in the
# powered-off disk: GRUB boots and measures it into PCR 9, and the attestation is
# contraindicated by PCR 9's rule (device show too).
# scenario-timeout: 1800
# shellcheck disable=SC2154 # REL_NAME is set through printf -v (uf_add)
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=swtpm-tests/vm/vmlib.sh
source "$(dirname "$0")/vmlib.sh"
require_cmd qemu-system-x86_64 swtpm swtpm_setup socat mcopy mkfs.fat mke2fs python3 openssl \
  grub-editenv

t_start=$(date +%s)
vm_image || exit 1
vm_create gw || exit 1
uf_verifier "$GW_TMP/verifier" models:gw-vm || exit 1
bg_start verifier "$GW_BIN/gwverifier" serve "${vconf[@]}"
wait_for_port "$port" 15 || { fail verifier-listens "gwverifier serve is not listening"; exit 1; }
check release-key gwverifier release-key "${vconf[@]}"
cp "$GW_STDOUT" "$VM_REL/release.pub"

# release NAME VERSION SECURITY_VERSION IMAGE: $VM_REL/NAME.gwb, encrypted for the
# verifier's release key, added (REL_NAME its id).
release() {
  check "bundle-$1" gwpolicy bundle create --root "$VM_REL/root.json" --key "$VM_REL/t1.key" \
    --model gw-vm --channel stable --version "$2" --security-version "$3" \
    --image "rootfs=$4" --encrypt-for "$VM_REL/release.pub" -o "$VM_REL/$1.gwb" &&
    UF_REL=$VM_REL uf_add "$1"
}
jq_py() {   # FILE EXPR: EXPR over the JSON in FILE (j)
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# shown: device show --json of gw-vm-1: "status running trial last-kind
# last-release counter"
shown() {
  gwverifier device show gw-vm-1 --json "${vconf[@]}" >"$GW_TMP/show.json" || return 1
  jq_py "$GW_TMP/show.json" '" ".join(str(x) for x in (j.get("last_status"), (j["update"]["running"] or {}).get("release"), (j["update"]["trial"] or {}).get("release"), (j["update"]["last_outcome"] or {}).get("kind"), (j["update"]["last_outcome"] or {}).get("release"), j["security_version"]))'
}
# tell_shown: the verifier's view (shown) told in plain words, releases by version.
tell_shown() {
  local st run kind rel sv
  read -r st run _ kind rel sv <<<"$(shown)"
  vm_tell "The verifier shows: last attestation $st, running $(version_of "$run"), last" \
    "outcome $kind ($(version_of "$rel")), security version $sv."
}
version_of() {   # ID: the version of the release with that id
  case $1 in
    "${REL_v2:-}") echo 2.0 ;; "${REL_v3:-}") echo 3.0 ;; "${REL_v3p:-}") echo 3.1 ;; *) echo "$1" ;;
  esac
}
# rollout ID: release ID's "devices in_cohort offered running in_trial rolled_back"
rollout() {
  gwverifier status --json "${vconf[@]}" >"$GW_TMP/status.json" || return 1
  jq_py "$GW_TMP/status.json" "' '.join(str(r[k]) for r in j['rollout'] if r['id'] == '$1' for k in ('devices', 'in_cohort', 'offered', 'running', 'in_trial', 'rolled_back'))"
}
# booted GROUP RELEASE: the last boot's console says GRUB booted GROUP, RELEASE.
booted() {
  expect_output_contains -n "boot$VM_BOOTS-is-$1-${2%% *}" \
    "^gwvm: booted slot group $1 .*release $2[[:cntrl:]]*$" "$GW_TMP/gw/console-$VM_BOOTS.log"
}
console() { echo "$GW_TMP/gw/console-$VM_BOOTS.log"; }   # the last boot's
# back_on_B NAME KIND ID ROLLOUT: the last boot was B (2.0) again after release
# NAME (ID) failed: the boot service ran, the attestation is affirming, the
# verifier shows 2.0 running and the last outcome KIND for ID, the counter at 2,
# and release ID's rollout counts are ROLLOUT (it counts as rolled back).
back_on_B() {
  booted B 2.0
  vm_expect_step gw boot 0
  vm_expect_step gw attest 0
  step_out attest
  expect_output_contains -n "$1-back-on-B-affirming" 'gw-vm-1: affirming' "$GW_TMP/attest.out"
  expect_eq "$1-$2-on-verifier" "$(shown)" "affirming $REL_v2 None $2 $3 2"
  tell_shown
  vm_tell "Its rollout counts $(version_of "$3") as rolled back."
  expect_eq "$1-rollout-rolled-back" "$(rollout "$3")" "$4"
}
# step_out NAME: the last boot's output of step NAME, into $GW_TMP/NAME.out.
step_out() { vm_get gw "$1.out" "$GW_TMP/$1.out"; }

# ----------------------------------------------------- boot 1: the device, v1 ---
VM_VERIFIER_PORT=$port
cat >"$GW_TMP/steps1.sh" <<'STEPS'
step provision agent provision
step enroll agent enroll --verifier https://127.0.0.1:8443 --ca /mnt/ca.pem
cp /sys/kernel/security/tpm0/binary_bios_measurements /mnt/bios.bin
cp /var/lib/gatewarden/eventlog.cel /mnt/eventlog.cel
STEPS
vm_tell "Boot 1: the gateway boots release 1.0 from slot group A, provisions its TPM and enrolls."
vm_boot gw "$GW_TMP/steps1.sh" "$vdir/ca.pem" || exit 1
vm_wait_off gw || exit 1
booted A 1.0
vm_expect_step gw boot 0
vm_expect_step gw provision 0
vm_expect_step gw enroll 0
vm_get gw bios.bin "$GW_TMP/bios-v1.bin"
vm_get gw eventlog.cel "$GW_TMP/eventlog-v1.cel"
vm_get_grubenv gw "$GW_TMP/grubenv-factory"
expect_exit -n factory-grubenv-untouched 0 cmp "$GW_TMP/grubenv-factory" \
  <(mcopy -n -i "$VM_IMG/disk.img@@1M" ::/EFI/gatewarden/grubenv -)

# ------------------------------------ the release engineer's lab: golden boots ---
# Release 2.0 for group B; the lab VM (its own TPM, no verifier) boots it on trial
# and committed, with the grubenv the agent's grub backend writes for those states
# (gw-bootsim runs the same backend code as the agent).
vm_slot_image B 2.0 "$GW_TMP/slot-v2.img" || { fail slot-v2 "cannot make the v2 slot image"; exit 1; }
vm_tell "The release engineer makes release 2.0 for slot group B and boots it in a lab VM, on trial and committed."
vm_create lab || exit 1
check lab-slot-B vm_put_slot lab B "$GW_TMP/slot-v2.img"
env_trial=$GW_TMP/grubenv-v2-trial env_good=$GW_TMP/grubenv-v2-good
cp "$GW_TMP/grubenv-factory" "$env_trial"
blsim() { "$GW_BIN/tools/gw-bootsim" --kind grub --path "$1" "${@:2}"; }
# The install: B bad, then on trial for [update] trial_tries = 2 boots.
check lab-env-trial-bad blsim "$env_trial" bad B
check lab-env-trial-set blsim "$env_trial" trial B 2
cp "$env_trial" "$env_good"
# GRUB spends a try (bootsim.sh runs grub-editenv as save_env does), then the
# commit: B good (the primary), A (the factory image, security version 0) bad.
expect_exit -n lab-env-grub-spends-a-try 0 "$GW_ROOT/swtpm-tests/bootsim.sh" grub "$env_good" \
  "$GW_TMP/lab-cmdline"
check lab-env-good-B blsim "$env_good" good B
check lab-env-good-bad-A blsim "$env_good" bad A
cat >"$GW_TMP/steps-lab.sh" <<'STEPS'
cp /sys/kernel/security/tpm0/binary_bios_measurements /mnt/bios.bin
STEPS
VM_VERIFIER_PORT=
for st in trial good; do
  env=$GW_TMP/grubenv-v2-$st
  check "lab-grubenv-$st" vm_put_grubenv lab "$env"
  vm_boot lab "$GW_TMP/steps-lab.sh" || exit 1
  vm_wait_off lab || exit 1
  expect_output_contains -n "lab-$st-boots-B" '^gwvm: booted slot group B .*release 2.0[[:cntrl:]]*$' \
    "$GW_TMP/lab/console-$VM_BOOTS.log"
  vm_get lab bios.bin "$GW_TMP/bios-v2-$st.bin"
done
VM_VERIFIER_PORT=$port

# The policy: each golden boot drafted with --allowed, merged (the union of each
# PCR's allowed events), and the trust root added.
vm_tell "The policy is drafted from those golden boots and the gateway's first boot, signed and loaded."
for b in v1 v2-trial v2-good; do
  cel=()
  [ "$b" = v1 ] && cel=(--cel "$GW_TMP/eventlog-v1.cel")
  check "draft-$b" gwpolicy from-eventlog "$GW_TMP/bios-$b.bin" "${cel[@]}" --allowed \
    --model gw-vm --version 1 --out "$GW_TMP/draft-$b.json"
done
check_py policy-merge "$GW_TMP/policy.json" "$GW_TMP"/draft-{v1,v2-trial,v2-good}.json <<'PY'
import json, sys
out, first, *rest = sys.argv[1:]
p = json.load(open(first))
p["description"] = ("test gateway VM: release 1.0 (its first boot) and 2.0 on trial "
                    "and committed in slot B (a lab VM's golden boots)")
fw = p["firmware"]
for f in rest:
    q = json.load(open(f))["firmware"]
    assert set(q["pcrs"]) == set(fw["pcrs"]), (f, sorted(q["pcrs"]), sorted(fw["pcrs"]))
    for n, rule in q["pcrs"].items():
        mine = {e["type"]: e for e in fw["pcrs"][n]["allowed"]}
        for e in rule["allowed"]:
            if e["type"] not in mine:
                fw["pcrs"][n]["allowed"].append(e)
                mine[e["type"]] = e
            else:
                ds = mine[e["type"]]["digests"]
                ds += [d for d in e["digests"] if d not in ds]
    for k in ("bootloader", "kernel"):
        if k in q:
            ds = fw.setdefault(k, [])
            ds += [d for d in q[k] if d not in ds]
json.dump(p, open(out, "w"), indent=2)
PY
check policy-trust-root vm_policy_trust_root "$GW_TMP/policy.json"
# What the golden 2.0 boots added to the first boot's draft: only GRUB's commands
# (PCR 8: the A/B script's tests and sets with B's values, the kernel command line
# for B) and files (PCR 9: 2.0's initramfs; the kernel and grub.cfg are the same).
cp "$GW_TMP/draft-v1.json" "$GW_TMP/policy-v1.json"
vm_policy_trust_root "$GW_TMP/policy-v1.json"
check_py policy-adds-only-pcr8-and-9 "$GW_TMP/policy-v1.json" "$GW_TMP/policy.json" \
  "$GW_TMP/slot-v2.img" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
fa, fb = a["firmware"]["pcrs"], b["firmware"]["pcrs"]
changed = sorted(int(n) for n in fb if fa[n] != fb[n])
assert changed == [8, 9], f"the v2 boots changed the rules of PCRs {changed}"
added9 = {d for e in fb["9"]["allowed"] for d in e["digests"]} - \
    {d for e in fa["9"]["allowed"] for d in e["digests"]}
assert len(added9) == 1, f"PCR 9: {len(added9)} new digests, wanted 2.0's initramfs only"
print(f"PCR 8: {sum(len(e['digests']) for e in fa['8']['allowed'])} -> "
      f"{sum(len(e['digests']) for e in fb['8']['allowed'])} allowed GRUB command digests; "
      f"PCR 9: + {added9.pop()}")
PY
expect_exit -n policy-lint 0 gwpolicy lint "$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
expect_exit -n policy-add 0 gwverifier policy add "${vconf[@]}" "$GW_TMP/policy.signed.json"
expect_exit -n policy-diff 1 gwpolicy diff "$GW_TMP/policy-v1.json" "$GW_TMP/policy.json"
cp "$GW_STDOUT" "$GW_TMP/policy-diff.txt"
vm_tell "Release 2.0 is signed, encrypted for the verifier and added: the rollout starts."
release v2 2.0 2 "$GW_TMP/slot-v2.img"

# ------------- boot 2: v1 attests, the daemon's round installs 2.0 into B ---
cat >"$GW_TMP/steps2.sh" <<'STEPS'
step attest agent attest
step run agent run --once
step status agent update status
grub-editenv /boot/efi/EFI/gatewarden/grubenv list >/mnt/grubenv.txt
STEPS
vm_tell "Boot 2: the gateway attests, downloads 2.0, the verifier authorizes it, its TPM unwraps the key; it installs into B and reboots."
vm_boot gw "$GW_TMP/steps2.sh" || exit 1
vm_wait_off gw || exit 1
booted A 1.0
vm_expect_step gw attest 0
step_out attest
expect_output_contains -n v1-affirming 'gw-vm-1: affirming' "$GW_TMP/attest.out"
vm_expect_step gw run 0
step_out run
expect_output_contains -n v2-applied-by-daemon \
  "update: release $REL_v2: version 2.0 staged in group B \\(unwrapped by the TPM\\); reboot command run" \
  "$GW_TMP/run.out"
expect_output_contains -n v2-guest-reboots '^gwvm: rebooting' "$(console)"
vm_get_grubenv gw "$GW_TMP/grubenv-dev-trial"
# The lab's trial grubenv (the policy's golden boot) is the device's, byte for byte.
expect_exit -n v2-grubenv-as-in-the-lab 0 cmp "$GW_TMP/grubenv-dev-trial" "$env_trial"
vm_get gw grubenv.txt "$GW_TMP/grubenv2.txt"
expect_output_contains -n v2-grubenv-B-on-trial '^B_TRY=2$' "$GW_TMP/grubenv2.txt"
# Scenario 3's first release waits on the verifier for the next round.
vm_slot_image A 3.0 "$GW_TMP/slot-v3.img" fail "the application does not start" ||
  { fail slot-v3 "cannot make the v3 slot image"; exit 1; }
release v3 3.0 3 "$GW_TMP/slot-v3.img"

# ------------ boot 3: GRUB boots B on trial, commit, attested affirming ---
cat >"$GW_TMP/steps3.sh" <<'STEPS'
step attest agent attest
step run agent run --once
STEPS
vm_tell "Boot 3: GRUB boots B on trial; the health check passes and the gateway commits 2.0, then attests."
vm_boot gw "$GW_TMP/steps3.sh" || exit 1
vm_wait_off gw || exit 1
booted B 2.0
vm_expect_step gw boot 0
step_out boot
expect_output_contains -n v2-health-passes 'release 2.0: self-test passed' "$GW_TMP/boot.out"
expect_output_contains -n v2-committed 'committed' "$GW_TMP/boot.out"
vm_expect_step gw attest 0
step_out attest
expect_output_contains -n v2-trial-boot-affirming 'gw-vm-1: affirming' "$GW_TMP/attest.out"
expect_eq v2-committed-on-verifier "$(shown)" "affirming $REL_v2 None committed $REL_v2 2"
expect_eq v2-rollout-running "$(rollout "$REL_v2")" "1 1 0 1 0 0"
tell_shown
vm_expect_step gw run 0
step_out run
expect_output_contains -n v3-applied-by-daemon \
  "update: release $REL_v3: version 3.0 staged in group A \\(unwrapped by the TPM\\); reboot command run" \
  "$GW_TMP/run.out"

# ------------- boot 4: 3.0 on trial in A, its health check fails: rollback ---
cat >"$GW_TMP/steps4.sh" <<'STEPS'
step attest agent attest
STEPS
vm_tell "Boot 4: GRUB boots release 3.0 in A on trial; its health check fails, so the gateway marks it bad and reboots."
vm_boot gw "$GW_TMP/steps4.sh" || exit 1
vm_wait_off gw || exit 1
booted A 3.0
vm_expect_step gw boot 40
step_out boot
expect_output_contains -n v3-health-fails 'self-test failed: the application does not start' \
  "$GW_TMP/boot.out"
expect_output_contains -n v3-guest-reboots '^gwvm: rebooting' "$(console)"
# 3.0's boot is not in the policy (its initramfs in PCR 9, A's GRUB commands in 8).
vm_expect_step gw attest 24
step_out attest
expect_output_contains -n v3-trial-contraindicated 'gw-vm-1: contraindicated' "$GW_TMP/attest.out"
expect_output_contains -n v3-initramfs-not-allowed 'failed claim: .*pcrs\.9\..*PCR 9 event' \
  "$GW_TMP/attest.out"
vm_slot_image A 3.1 "$GW_TMP/slot-v3p.img" panic || { fail slot-v3p "cannot make 3.1's image"; exit 1; }
release v3p 3.1 3 "$GW_TMP/slot-v3p.img"

# -------- boot 5: GRUB back on B (2.0), rolled back; 3.1 installed into A ---
cat >"$GW_TMP/steps5.sh" <<'STEPS'
step attest agent attest
step pending agent update pending
step run agent run --once
STEPS
vm_tell "Boot 5: GRUB is back on B (2.0); the gateway attests the rollback and installs 3.1 into A."
vm_boot gw "$GW_TMP/steps5.sh" || exit 1
vm_wait_off gw || exit 1
back_on_B v3 rolled-back "$REL_v3" "1 1 1 0 0 1"
vm_expect_step gw run 0
step_out run
# 3.0 is still offered (newer than the running 2.0), but its trial failed here:
# the daemon passes it by for 3.1.
step_out pending
expect_output_contains -n v3-still-offered "$REL_v3" "$GW_TMP/pending.out"
expect_output_not_contains -n v3-not-installed-again 'version 3.0 staged' "$GW_TMP/run.out"
expect_output_contains -n v3p-applied-by-daemon \
  "update: release $REL_v3p: version 3.1 staged in group A \\(unwrapped by the TPM\\); reboot command run" \
  "$GW_TMP/run.out"

# --------- boots 6 and 7: 3.1's kernel panics on both trial boots of A ---
: >"$GW_TMP/steps-none.sh"
vm_tell "Boots 6 and 7: 3.1's kernel panics on both trial boots of A."
for n in 1 2; do
  vm_boot gw "$GW_TMP/steps-none.sh" || exit 1
  vm_wait_panic gw || exit 1
  expect_output_contains -n "v3p-try-$n-boots-A-panics" '^gwvm: release 3.1: /init exits' \
    "$(console)"
done

# ---------- boot 8: GRUB's tries are spent: back on B (2.0), fell back ---
cat >"$GW_TMP/steps8.sh" <<'STEPS'
step attest agent attest
step status agent update status
grub-editenv /boot/efi/EFI/gatewarden/grubenv list >/mnt/grubenv.txt
STEPS
vm_tell "Boot 8: A's tries are spent, GRUB falls back to B (2.0); the gateway attests."
vm_boot gw "$GW_TMP/steps8.sh" || exit 1
vm_wait_off gw || exit 1
back_on_B v3p fell-back "$REL_v3p" "1 1 1 0 0 1"
vm_get gw grubenv.txt "$GW_TMP/grubenv8.txt"
expect_output_contains -n grubenv-A-bad-no-tries '^A_OK=0$' "$GW_TMP/grubenv8.txt"
expect_output_contains -n grubenv-A-no-tries '^A_TRY=0$' "$GW_TMP/grubenv8.txt"

# ------- boot 9 (scenario 5): a downgrade handed to the agent is refused ---
# Release 1.5 for group A, security version 1: signed by the release key like the
# others (plain, not encrypted), so its signature passes; install checks the TPM's
# anti-rollback counter (2 since 2.0's commit) before the verifier's authorization
# (which this device also requires), so the counter refuses it. The verifier has it
# too and does not offer it. The operator copies it onto the device's data disk and
# installs it by hand.
vm_slot_image A 1.5 "$GW_TMP/slot-v15.img" || { fail slot-v15 "cannot make 1.5's image"; exit 1; }
check bundle-v15 gwpolicy bundle create --root "$VM_REL/root.json" --key "$VM_REL/t1.key" \
  --model gw-vm --channel stable --version 1.5 --security-version 1 \
  --image "rootfs=$GW_TMP/slot-v15.img" -o "$VM_REL/v15.gwb"
UF_REL=$VM_REL uf_add v15
check v15-on-data-disk vm_put_data gw "$VM_REL/v15.gwb" v15.gwb
vm_get_grubenv gw "$GW_TMP/grubenv-before-v15"
sum_A=$(vm_part_sum gw rootfs-A) sum_B=$(vm_part_sum gw rootfs-B)
cat >"$GW_TMP/steps9.sh" <<'STEPS'
step attest agent attest
step pending agent update pending
step install agent update install /var/lib/gatewarden/v15.gwb
step status agent update status
STEPS
vm_tell "Boot 9: release 1.5 (security version 1), signed by the release key, is handed to the gateway by hand; its TPM counter (2) refuses the downgrade."
vm_boot gw "$GW_TMP/steps9.sh" || exit 1
vm_wait_off gw || exit 1
booted B 2.0
vm_expect_step gw attest 0
step_out pending
expect_output_not_contains -n v15-not-offered "$REL_v15" "$GW_TMP/pending.out"
expect_eq v15-rollout-not-offered "$(rollout "$REL_v15" | cut -d' ' -f3)" 0
vm_expect_step gw install 35
step_out install
expect_output_contains -n v15-refused-rollback \
  "security version 1 is below the counter's 2 \\(channel stable\\): a rollback" \
  "$GW_TMP/install.out"
vm_expect_step gw status 0
step_out status
expect_output_contains -n v15-counter-still-2 '^counter stable: security version 2 ' \
  "$GW_TMP/status.out"
vm_get_grubenv gw "$GW_TMP/grubenv-after-v15"
expect_exit -n v15-grubenv-unchanged 0 cmp "$GW_TMP/grubenv-before-v15" "$GW_TMP/grubenv-after-v15"
expect_eq v15-slot-A-unchanged "$(vm_part_sum gw rootfs-A)" "$sum_A"
expect_eq v15-slot-B-unchanged "$(vm_part_sum gw rootfs-B)" "$sum_B"
expect_eq v15-verifier-security-version-2 "$(shown)" "affirming $REL_v2 None fell-back $REL_v3p 2"
vm_tell "The gateway refused 1.5 (exit 35, a rollback); slots, grubenv and counter are unchanged."

# -- boot 10 (scenario 5): B's kernel tampered with behind the agent's back ---
# The host appends bytes to B's /boot/vmlinuz in the powered-off disk (an
# attacker with the disk; the kernel still boots: the loader ignores what follows
# the image). GRUB measures the file it loads into PCR 9: the attestation is
# contraindicated by PCR 9's rule (its allowed list has the image's kernel only).
check tamper-get-kernel vm_slot_file_get gw B /boot/vmlinuz "$GW_TMP/vmlinuz-B"
cp "$GW_TMP/vmlinuz-B" "$GW_TMP/vmlinuz-tampered"
printf 'not the release engineer\047s kernel\n' >>"$GW_TMP/vmlinuz-tampered"
check tamper-put-kernel vm_slot_file_put gw B /boot/vmlinuz "$GW_TMP/vmlinuz-tampered"
cat >"$GW_TMP/steps10.sh" <<'STEPS'
step attest agent attest
STEPS
vm_tell "Boot 10: someone with the disk appended bytes to slot B's kernel; GRUB boots it and measures it."
vm_boot gw "$GW_TMP/steps10.sh" || exit 1
vm_wait_off gw || exit 1
booted B 2.0
vm_expect_step gw boot 0
vm_expect_step gw attest 24
step_out attest
expect_output_contains -n tampered-kernel-contraindicated 'gw-vm-1: contraindicated' \
  "$GW_TMP/attest.out"
expect_output_contains -n tampered-kernel-pcr9-rule 'failed claim: .*pcrs\.9\..*PCR 9 event' \
  "$GW_TMP/attest.out"
expect_eq tampered-kernel-on-verifier "$(shown)" \
  "contraindicated $REL_v2 None fell-back $REL_v3p 2"
tell_shown
check audit-chain gwverifier audit verify "${vconf[@]}"
note "scenarios 2, 3 and 5: $(($(date +%s) - t_start)) s in all"
