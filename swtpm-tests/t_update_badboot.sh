#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `gwagent boot` on a group the update state calls bad, with the grub backend
# (grub-editenv, bootsim.sh) and a real swtpm power cycled between boots: B
# installed and committed over the factory A (A bad), then the grubenv reset so
# grub boots A: the boot says so, restores the environment (A bad, B primary),
# runs the reboot command and exits 40; the environment reset again at the next
# boot (the redirect did not hold): no second reboot, exit 5 naming the problem;
# B boots and clears the marker; A bad with B not committed: a warning, no reboot.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 tpm2_pcrread grub-editenv

uf_release "$GW_TMP/release"
bundle b2 2.0 2
dev=$GW_TMP/grub
bl_factory grub "$dev/boot"
swtpm_start || exit 1
uf_device "$dev" grub "$P" "$C" 0x01800310 0x01800311
want_b='A_OK=0 A_TRY=0 B_OK=1 B_TRY=0 ORDER=B A '
bl_state() { grub-editenv "$bl" list | sort | tr '\n' ' '; }
slots() {   # the groups' states in slots.json, "A=STATE B=STATE"
  python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["groups"]; print("A=%s B=%s" % (g["A"]["state"], g["B"]["state"]))' \
    "$state/update/slots.json"
}

check provision ga provision
expect_eq factory-boots-A "$(power_on)" A
expect_exit -n factory-boot 0 ga boot
expect_exit -n install-b2 0 ga update install --no-progress "$UF_REL/b2.gwb"
expect_eq trial-boots-B "$(power_on)" B
expect_exit -n trial-commits 0 ga boot
expect_eq committed-state "$(bl_state)" "$want_b"
expect_eq committed-slots "$(slots)" "A=bad B=good"

# The grubenv lost: grub's defaults boot A, the factory image the state calls bad.
grub-editenv "$bl" create
expect_eq reset-env-boots-A "$(power_on)" A
expect_exit -n bad-group-redirects 40 ga boot
expect_output_contains -n says-bad-group 'group A booted, but the update state calls it bad' "$GW_STDOUT"
expect_output_contains -n says-cause "environment was probably lost" "$GW_STDOUT"
expect_eq redirect-reboots "$(reboots)" 1
expect_eq redirect-restores-env "$(bl_state)" "$want_b"
expect_file redirect-marker "$state/update/redirect"
expect_eq redirect-history "$(grep -c '"bad-group-redirect"' "$state/update/history.jsonl")" 1
# A rerun in the same cycle (the reboot did not happen): redirects again.
expect_exit -n rerun-redirects 40 ga boot --json
expect_output_contains -n json-says-redirect '"event":"bad-group-redirect"' "$GW_STDOUT"
expect_eq rerun-reboots "$(reboots)" 2

# The environment reset again before the next boot: the redirect did not hold.
grub-editenv "$bl" create
expect_eq loop-boots-A "$(power_on)" A
expect_exit -n loop-no-second-reboot 5 ga boot
expect_output_contains -n loop-named 'not rebooting again' "$GW_STDERR"
expect_eq loop-reboots "$(reboots)" 2
expect_eq loop-history "$(grep -c '"bad-group-loop"' "$state/update/history.jsonl")" 1

# A damaged marker is an error naming it, never a reason to reboot.
cp "$state/update/redirect" "$GW_TMP/redirect.saved"
printf '7\n' >"$state/update/redirect"
expect_exit -n damaged-marker 19 ga boot
expect_output_contains -n damaged-marker-named 'redirect: not "RESET_COUNT COUNT"' "$GW_STDERR"
expect_eq damaged-marker-reboots "$(reboots)" 2
cp "$GW_TMP/redirect.saved" "$state/update/redirect"

# The operator restores the environment: B boots, its healthy boot clears the marker.
grub-editenv "$bl" set A_OK=0 A_TRY=0 B_OK=1 B_TRY=0 "ORDER=B A"
expect_eq fixed-boots-B "$(power_on)" B
expect_exit -n fixed-boot 0 ga boot
expect_eq marker-cleared "$([ -e "$state/update/redirect" ] && echo kept || echo gone)" gone

# A bad and B not committed (its state moved to bad by hand): a warning, no reboot.
python3 - "$state/update/slots.json" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["groups"]["B"]["state"] = "bad"
json.dump(s, open(p, "w"))
PY
grub-editenv "$bl" create
expect_eq no-good-boots-A "$(power_on)" A
expect_exit -n no-good-warns 0 ga boot
expect_output_contains -n no-good-warning 'warning: group B is bad, not committed' "$GW_STDOUT"
expect_eq no-good-no-reboot "$(reboots)" 2
swtpm_stop
