#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The verifier's server certificate names what gateways use: 'gwverifier init
# --hostname' puts DNS names and IP addresses into it and says which; an agent
# enrolls through such a name (resolved to 127.0.0.1 by a private /etc/hosts in a
# mount namespace of its own), and an agent that uses a name the certificate lacks,
# or a CA that did not issue it, is told so (exit 3) instead of "unreachable, retry",
# also when the certificate has IP addresses only. The checks that resolve a name
# need root; without it they are skipped (SKIP lines).
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl unshare mount python3

swtpm_start || exit 1
state=$GW_TMP/state
vdir=$GW_TMP/verifier
conf=$GW_TMP/agent.conf
echo "application v1" >"$GW_TMP/app.bin"
gw_agent_config "$conf" "$state" "app=$GW_TMP/app.bin"
ga() { gwagent --config "$conf" "$@"; }
localca=/var/lib/swtpm-localca
name=gw-verifier.test

expect_exit -n provision 0 ga provision
expect_exit -n boot 0 ga boot

port=$(free_port) || exit 1
# Names are checked before anything is written.
for bad in '*.example.com' 'a.test,IP:10.0.0.1' '-a.test' 'a..test' '1.2.3.256' \
  "$(printf 'a%.0s' {1..64}).test"; do
  expect_exit -n "init-refuses-hostname-$bad" 2 gwverifier init "$GW_TMP/bad" --hostname "$bad"
  expect_output_contains -n "init-names-bad-hostname-$bad" '^gwverifier: --hostname: ' "$GW_STDERR"
done
check init-bad-hostname-writes-nothing test ! -e "$GW_TMP/bad"

# Defaults: localhost, 127.0.0.1, ::1, the host name, and init says they are defaults.
expect_exit -n init-default-names 0 gwverifier init "$GW_TMP/default" --listen "127.0.0.1:$port"
expect_output_contains -n init-says-default-names \
  "^Server certificate names: localhost, 127\.0\.0\.1, ::1" "$GW_STDOUT"
expect_output_contains -n init-says-how-to-add 'No --hostname given: these are the defaults' "$GW_STDOUT"
expect_exit -n default-cert-san 0 openssl x509 -in "$GW_TMP/default/server.pem" -noout -ext subjectAltName
expect_output_contains -n default-cert-has-v6 'IP Address:0:0:0:0:0:0:0:1' "$GW_STDOUT"

expect_exit -n init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" --hostname "$name" \
  --hostname 192.0.2.10 --hostname '[2001:db8::10]' --json \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
check init-json-names python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
assert d['server_names']==[{'type':'dns','name':'$name'},{'type':'ip','name':'192.0.2.10'},
  {'type':'ip','name':'2001:db8::10'},{'type':'ip','name':'127.0.0.1'}], d['server_names']
assert d['server_names_default'] is False and d['config']=='$vdir/verifier.conf'"
expect_exit -n cert-san 0 openssl x509 -in "$vdir/server.pem" -noout -ext subjectAltName
expect_output_contains -n cert-san-exact \
  "DNS:$name, IP Address:192\.0\.2\.10, IP Address:2001:DB8:0:0:0:0:0:10, IP Address:127\.0\.0\.1\$" "$GW_STDOUT"
check cert-verifies-for-name openssl verify -CAfile "$vdir/ca.pem" -purpose sslserver \
  -verify_hostname "$name" "$vdir/server.pem"

sed -i 's/^auto_approve = .*/auto_approve = all/' "$vdir/verifier.conf"
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
if ! wait_for_port "$port" 15; then
  fail verifier-listens "gwverifier serve did not listen on $port"
  _gw_show_file verifier.log "$GW_TMP/verifier.log"
  exit 1
fi
pass verifier-listens

# 'localhost' is not in the certificate: a name mismatch, said as such, exit 3.
expect_exit -n enroll-name-mismatch 3 ga enroll --verifier "https://localhost:$port" \
  --ca "$vdir/ca.pem" --device-id gw-names-1 --model gw-1000
expect_output_contains -n mismatch-named \
  "TLS certificate does not match the name 'localhost' in the verifier URL \\(the certificate names DNS:$name, " "$GW_STDERR"
expect_output_contains -n mismatch-says-what-to-do 'gwverifier server-cert --hostname localhost' "$GW_STDERR"
expect_output_not_contains -n mismatch-not-unreachable 'unreachable' "$GW_STDERR"
check mismatch-saves-nothing test ! -e "$state/enrollment.json"

# A CA that did not issue the certificate: named as that, also exit 3.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other \
  -keyout "$GW_TMP/other.key" -out "$GW_TMP/other-ca.pem" -days 1 2>/dev/null
expect_exit -n enroll-wrong-ca 3 ga enroll --verifier "https://127.0.0.1:$port" \
  --ca "$GW_TMP/other-ca.pem" --device-id gw-names-1 --model gw-1000
expect_output_contains -n wrong-ca-named \
  "TLS certificate does not verify against the CA in .*: self-signed certificate in certificate chain" "$GW_STDERR"

# A gateway clock outside the certificate's validity (no RTC: it boots in 1970; or
# years ahead) is not an untrusted verifier: named with the dates and the clock,
# and retried (exit 22), not exit 3.
if command -v faketime >/dev/null 2>&1; then
  # faketime is an LD_PRELOAD library: a sanitizer build must let it load first.
  at() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
      DONT_FAKE_MONOTONIC=1 faketime -f "$1" "${@:2}"
  }
  expect_exit -n clock-1970 22 at '@1970-01-02 00:00:00' "$GW_BIN/gwagent" --config "$conf" \
    enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" --device-id gw-names-1 --model gw-1000
  expect_output_contains -n clock-1970-named \
    "TLS certificate \(or its CA\) is not valid yet by this gateway's clock \(the (server|CA) certificate is valid from .* to .*; this gateway's clock says 1970-01-0" "$GW_STDERR"
  expect_output_not_contains -n clock-1970-not-untrusted 'does not verify against the CA' "$GW_STDERR"
  expect_exit -n clock-expired 22 at '+4000d' "$GW_BIN/gwagent" --config "$conf" \
    enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" --device-id gw-names-1 --model gw-1000
  expect_output_contains -n clock-expired-named \
    "TLS certificate \(or its CA\) has expired by this gateway's clock \(the (server|CA) certificate is valid from .* to .*; this gateway's clock says 2" "$GW_STDERR"
  check clock-saves-nothing test ! -e "$state/enrollment.json"
else
  skip clock "faketime (Debian package faketime) is not installed"
fi

# Names resolve in a command's own mount namespace, by a private /etc/hosts: that
# needs root (unshare --mount, mount --bind). Without it, the checks that connect
# by name are skipped, said as SKIP lines, and the rest still run.
hosts_ok=false
unshare --mount --propagation private true 2>/dev/null && [ "$(id -u)" = 0 ] && hosts_ok=true
$hosts_ok || note "not root: checks that resolve $name through a private /etc/hosts are skipped"
printf '127.0.0.1 %s\n' "$name" >"$GW_TMP/hosts"
with_hosts() {
  unshare --mount --propagation private sh -c \
    'mount --bind "$0" /etc/hosts && exec "$@"' "$GW_TMP/hosts" "$@"
}

# A certificate with IP addresses only, and a subject CN equal to the name the URL
# uses: libcurl never falls back to the CN, so neither may the agent's diagnosis.
# Made for no --listen address (0.0.0.0) and then served on 127.0.0.1 only, so that
# 127.0.0.1 too is an address the certificate lacks.
port2=$(free_port) || exit 1
expect_exit -n init-ip-only 0 gwverifier init "$GW_TMP/iponly" --listen "0.0.0.0:$port2" \
  --hostname 192.0.2.10 --id "$name"
sed -i "s/^listen = .*/listen = 127.0.0.1:$port2/" "$GW_TMP/iponly/verifier.conf"
bg_start verifier-ip-only "$GW_BIN/gwverifier" serve --config "$GW_TMP/iponly/verifier.conf"
if wait_for_port "$port2" 15; then
  pass verifier-ip-only-listens
else
  fail verifier-ip-only-listens "gwverifier serve did not listen on $port2"
fi
if ! $hosts_ok; then
  skip ip-only-cert-by-name "needs root for unshare --mount and mount --bind /etc/hosts"
else
  expect_exit -n ip-only-cert-by-name 3 with_hosts "$GW_BIN/gwagent" --config "$conf" enroll \
    --verifier "https://$name:$port2" --ca "$GW_TMP/iponly/ca.pem" --device-id gw-names-2 --model gw-1000
  expect_output_contains -n ip-only-cert-by-name-says-name \
    "TLS certificate does not match the name '$name' in the verifier URL \\(the certificate names IP Address:192\\.0\\.2\\.10" "$GW_STDERR"
  expect_output_not_contains -n ip-only-cert-by-name-not-ca 'does not verify against the CA' "$GW_STDERR"
fi
expect_exit -n ip-only-cert-other-ip 3 ga enroll --verifier "https://127.0.0.1:$port2" \
  --ca "$GW_TMP/iponly/ca.pem" --device-id gw-names-2 --model gw-1000
expect_output_contains -n ip-only-cert-other-ip-says-name \
  "TLS certificate does not match the name '127\\.0\\.0\\.1' in the verifier URL" "$GW_STDERR"
expect_output_not_contains -n ip-only-cert-other-ip-not-ca 'does not verify against the CA' "$GW_STDERR"

if $hosts_ok; then
  # The name resolves (in this command's own mount namespace) to 127.0.0.1: enrolled.
  expect_exit -n enroll-by-name 0 with_hosts "$GW_BIN/gwagent" --config "$conf" enroll \
    --verifier "https://$name:$port" --ca "$vdir/ca.pem" --device-id gw-names-1 --model gw-1000
  expect_output_contains -n enrolled-by-name 'enrolled as gw-names-1' "$GW_STDOUT"
  expect_exit -n attest-by-name 23 with_hosts "$GW_BIN/gwagent" --config "$conf" attest
  expect_output_not_contains -n attest-by-name-answered 'unreachable' "$GW_STDERR"

  # The daemon, pointed at a name the certificate lacks, logs the mismatch and waits
  # its interval: no "verifier unreachable: next try" backoff.
  python3 - "$state/enrollment.json" "https://localhost:$port" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d['url'] = sys.argv[2]
json.dump(d, open(sys.argv[1], 'w'))
PY
  expect_exit -n run-name-mismatch 3 ga run --rounds 2 --interval 2
  expect_output_contains -n run-logs-mismatch "does not match the name 'localhost'" "$GW_STDERR"
  expect_output_not_contains -n run-does-not-retry-as-unreachable 'verifier unreachable' "$GW_STDERR"
else
  skip enroll-by-name "needs root for unshare --mount and mount --bind /etc/hosts"
  skip run-name-mismatch "needs the enrollment by name above"
fi

# A name added on a running verifier: 'gwverifier server-cert' issues a new
# server certificate from the same CA, for the names given and the listen
# address. ca.pem does not change, so the enrolled gateway keeps its enrollment
# and reaches the restarted verifier by the new name; a new gateway enrolls by it.
ca_before=$(sha256sum <"$vdir/ca.pem")
key_before=$(sha256sum <"$vdir/server.key")
cp "$vdir/ca.pem" "$GW_TMP/ca-before.pem"
expect_exit -n server-cert 0 gwverifier server-cert --config "$vdir/verifier.conf" \
  --hostname "$name" --hostname localhost --hostname 192.0.2.10 --json
check server-cert-json python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
assert d['server_names']==[{'type':'dns','name':'$name'},{'type':'dns','name':'localhost'},
  {'type':'ip','name':'192.0.2.10'},{'type':'ip','name':'127.0.0.1'}], d['server_names']
assert d['cert']=='$vdir/server.pem' and d['new_key'] is False and d['restart_needed'] is True, d"
expect_eq server-cert-keeps-ca "$(sha256sum <"$vdir/ca.pem")" "$ca_before"
expect_eq server-cert-keeps-key "$(sha256sum <"$vdir/server.key")" "$key_before"
check server-cert-verifies-old-ca openssl verify -CAfile "$GW_TMP/ca-before.pem" -purpose sslserver \
  -verify_hostname localhost "$vdir/server.pem"
expect_exit -n server-cert-text 0 gwverifier server-cert --config "$vdir/verifier.conf" \
  --hostname "$name" --hostname localhost --days 30
expect_output_contains -n server-cert-says-names "^Server certificate names: $name, localhost, 127\\.0\\.0\\.1\$" "$GW_STDOUT"
expect_output_contains -n server-cert-says-restart "Restart 'gwverifier serve'" "$GW_STDOUT"
expect_exit -n server-cert-needs-hostname 2 gwverifier server-cert --config "$vdir/verifier.conf"
expect_exit -n server-cert-bad-hostname 2 gwverifier server-cert --config "$vdir/verifier.conf" \
  --hostname 'localhost,DNS:evil.example'
check server-cert-bad-changes-nothing openssl verify -CAfile "$GW_TMP/ca-before.pem" \
  -verify_hostname localhost "$vdir/server.pem"

bg_stop verifier
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
if wait_for_port "$port" 15; then
  pass verifier-restarted
else
  fail verifier-restarted "gwverifier serve did not listen on $port again"
fi
# The enrolled gateway (its URL now https://localhost:PORT) is answered, unchanged.
if $hosts_ok; then
  expect_exit -n attest-by-new-name 23 ga attest
  expect_output_not_contains -n attest-by-new-name-no-mismatch 'does not match|unreachable' "$GW_STDERR"
else
  skip attest-by-new-name "needs the enrollment by name above"
fi
# A new gateway (a TPM of its own) enrolls by the new name.
swtpm_start || exit 1
state2=$GW_TMP/state2
conf2=$GW_TMP/agent2.conf
gw_agent_config "$conf2" "$state2" "app=$GW_TMP/app.bin"
expect_exit -n provision-2 0 gwagent --config "$conf2" provision
expect_exit -n boot-2 0 gwagent --config "$conf2" boot
expect_exit -n enroll-by-new-name 0 gwagent --config "$conf2" enroll \
  --verifier "https://localhost:$port" --ca "$GW_TMP/ca-before.pem" --device-id gw-names-3 --model gw-1000
expect_output_contains -n enrolled-by-new-name 'enrolled as gw-names-3' "$GW_STDOUT"
