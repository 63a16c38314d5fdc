#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwagent run installs what the consent rules let it (doc/consent.md, "The
# daemon"), against a real verifier, swtpm and agent: outside the maintenance
# window an offer waits, a deferred one waits, a critical release deferred until
# its deadline is installed once the deadline has passed (the reboot command run),
# a staged group is not overwritten before its trial boot, and after the commit a
# new release is installed inside the window while the running one is not
# installed again.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 openssl

here=$(cd "$(dirname "$0")" && pwd)
vdir=$GW_TMP/verifier
vconf=(--config "$vdir/verifier.conf")
localca=/var/lib/swtpm-localca

# ------------------------------------------------------------- release side ---
uf_release "$GW_TMP/rel"
port=$(free_port) || exit 1
check verifier-init gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = .*/auto_approve = models:gw-1000/' "$vdir/verifier.conf"
gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
printf '\n[releases]\ntrust_root = %s\nmax_attest_age = 600\n' "$UF_REL/root.json" \
  >>"$vdir/verifier.conf"
add() {   # NAME VERSION [add options]: bundle NAME (security version 1), added; REL_NAME
  local name=$1 ver=$2
  shift 2
  head -c 131072 /dev/urandom >"$UF_REL/img-$name"
  check "create-$name" upd_bundle t1 gw-1000 "$UF_REL/img-$name" "$ver" 1 "$UF_REL/$name.gwb"
  expect_exit -n "add-$name" 0 gwverifier release add "$UF_REL/$name.gwb" --json "${vconf[@]}" "$@"
  printf -v "REL_$name" '%s' "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$GW_STDOUT")"
}
add p1 2.0
bg_start verifier "$GW_BIN/gwverifier" serve "${vconf[@]}"
wait_for_port "$port" 15 || { fail verifier-listens "no verifier on $port"; exit 1; }
url=https://127.0.0.1:$port

# ------------------------------------------------------------------ gateway ---
swtpm_start || exit 1
bl_factory file "$GW_TMP/dev/bl"
uf_device "$GW_TMP/dev" file "$P" "$C" 0x01800100 0x01800101
sed -i '/^authorization = none$/d; /^# installs by hand/d' "$conf"
cp "$conf" "$GW_TMP/agent.base"
consent() {   # [consent] lines: the config is the base and these
  { cat "$GW_TMP/agent.base"; printf '\n[consent]\nauto_install = yes\ntimezone = UTC\n'
    printf '%s\n' "$@"; } >"$conf"
}
h=$(date -u +%H)
outside="window = daily $(printf %02d $(((10#$h + 3) % 24))):00-$(printf %02d $(((10#$h + 4) % 24))):00"
# The scenario may run across an hour's end: the window inside starts an hour
# before the start and ends two after it; the one outside is three to four after.
inside="window = daily $(printf %02d $(((10#$h + 23) % 24))):00-$(printf %02d $(((10#$h + 3) % 24))):00"
check provision ga provision
expect_eq factory-boots-A "$(power_on)" A
check boot ga boot
check enroll ga enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-d --model gw-1000
printf '{"model":"gw-1000","version":1,"stages":{"rootfs":["%s"]}}\n' \
  "$(printf 'rootfs-v1\n' | sha256sum | cut -d' ' -f1)" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
check policy-add gwverifier policy add "${vconf[@]}" "$GW_TMP/policy.signed.json"
slot() { head -c 131072 "$GW_TMP/dev/slot$1.img"; }
factory_b=$(slot B | sha256sum)
run_once() { ga run --once --interval 1; }

# ------------------------------------------------ outside the window: waits ---
consent "$outside"
expect_exit -n outside-window-run 0 run_once
expect_output_contains -n outside-window-waits "update: release $REL_p1 \\(version 2.0\\): .*window.* until " \
  "$GW_STDERR"
expect_eq outside-window-nothing-written "$(slot B | sha256sum)" "$factory_b"
expect_eq outside-window-no-reboot "$(reboots)" 0

# ---------------------------------------------------------- deferred: waits ---
consent
check defer-p1 ga update defer "$REL_p1" --until 1d
expect_exit -n deferred-run 0 run_once
expect_output_contains -n deferred-waits "update: release $REL_p1 .*deferred.* until " "$GW_STDERR"
expect_eq deferred-nothing-written "$(slot B | sha256sum)" "$factory_b"

# ---------------------------- critical: deferral ends at its deadline ---
deadline=$(($(date +%s) + 40))
add crit 2.1 --critical --deadline "$(date -u -d "@$deadline" +%Y-%m-%dT%H:%M:%SZ)"
consent "$outside"
expect_exit -n crit-offered-run 0 run_once
check defer-crit ga update defer "$REL_crit" --until 1d
consent
expect_exit -n crit-deferred-run 0 run_once
expect_eq crit-deferred-nothing-written "$(slot B | sha256sum)" "$factory_b"
check crit-pending ga update pending --json
expect_output_contains -n crit-deferred-to-deadline \
  "\"defer_until\": ?\"$(date -u -d "@$deadline" +%Y-%m-%dT%H:%M:%SZ)\"" "$GW_STDOUT"
while [ "$(date +%s)" -le "$deadline" ]; do sleep 1; done
expect_exit -n crit-deadline-run 0 run_once
expect_output_contains -n crit-applied "update: release $REL_crit: version 2.1 staged in group B; reboot command run" \
  "$GW_STDERR"
expect_output_not_contains -n p1-still-deferred "release $REL_p1: version" "$GW_STDERR"
check crit-content cmp <(slot B) "$UF_REL/img-crit"
expect_eq crit-reboot-command-run "$(reboots)" 1

# ------------------------------------ staged: not overwritten before its boot ---
expect_exit -n staged-run 0 run_once
expect_output_contains -n staged-waits 'update: group B is staged and waits for its trial boot' \
  "$GW_STDERR"
check staged-content-kept cmp <(slot B) "$UF_REL/img-crit"
expect_eq staged-no-reboot "$(reboots)" 1

# --------------------- after the commit: a new release inside the window ---
expect_eq trial-boots-B "$(power_on)" B
check trial-commits ga boot
add p2 2.2
consent "$inside"
expect_exit -n inside-window-run 0 run_once
expect_output_contains -n inside-window-applied "update: release $REL_p2: version 2.2 staged in group A; reboot command run" \
  "$GW_STDERR"
check p2-content cmp <(slot A) "$UF_REL/img-p2"
expect_eq p2-reboot-command-run "$(reboots)" 2
expect_output_not_contains -n running-not-reinstalled "release $REL_crit: version" "$GW_STDERR"
expect_no_handles daemon-leaves-no-handles
