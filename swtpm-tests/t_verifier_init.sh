#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwverifier init: the set-up it writes (key modes, a server certificate that
# verifies against its CA with the listen address in its SAN, a loadable config),
# and its refusals (existing set-up, bad --listen or --id, unreadable --ek-ca),
# before anything is written. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl sha256sum stat

# An EK CA to trust: swtpm's local CA once swtpm_setup has made one, else our own.
ekca=/var/lib/swtpm-localca/swtpm-localca-rootca-cert.pem
if [ ! -r "$ekca" ]; then
  note "no swtpm local CA yet: using a throwaway CA"
  ekca=$GW_TMP/throwaway-ek-ca.pem
  check make-throwaway-ek-ca openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -keyout "$GW_TMP/throwaway-ek-ca.key" -out "$ekca" -days 2 \
    -subj "/CN=throwaway EK CA" -addext basicConstraints=critical,CA:TRUE
fi
port=$(random_port)
dir=$GW_TMP/verifier
# The config loader's own reader, when the unit tests are built.
vconfig_load=$GW_BIN/verifier/tests/test_vconfig

expect_exit -n init-help 0 gwverifier init --help
expect_output_contains -n init-help-usage '^usage: gwverifier init \[DIR\]' "$GW_STDOUT"

expect_exit -n init 0 gwverifier init "$dir" --listen "127.0.0.1:$port" --ek-ca "$ekca" \
  --id verifier-test
for f in ca.key ca.pem server.key server.pem gate.key gate.pub ek-ca-1.pem verifier.conf; do
  expect_file "init-writes-$f" "$dir/$f"
done
expect_eq dir-mode-0700 "$(stat -c %a "$dir")" 700
for f in ca.key server.key gate.key; do
  expect_eq "$f-mode-0600" "$(stat -c %a "$dir/$f")" 600
done
expect_eq ca.pem-mode-0644 "$(stat -c %a "$dir/ca.pem")" 644
expect_file store-created "$dir/verifier.db"
expect_eq store-mode-0600 "$(stat -c %a "$dir/verifier.db")" 600
expect_exit -n store-usable-before-serve 0 gwverifier device list --config "$dir/verifier.conf" --json
expect_output_contains -n store-empty '^\[\]'

check server-cert-verifies openssl verify -CAfile "$dir/ca.pem" -purpose sslserver \
  "$dir/server.pem"
expect_exit -n server-cert-san 0 openssl x509 -in "$dir/server.pem" -noout -ext subjectAltName
expect_output_contains -n server-cert-san-ip '(^|[ ,])IP Address:127\.0\.0\.1($|,)' "$GW_STDOUT"
expect_exit -n server-cert-subject 0 openssl x509 -in "$dir/server.pem" -noout -subject
expect_output_contains -n server-cert-cn 'CN ?= ?verifier-test' "$GW_STDOUT"
expect_exit -n ca-cert-is-ca 0 openssl x509 -in "$dir/ca.pem" -noout -ext basicConstraints
expect_output_contains -n ca-cert-ca-true 'CA:TRUE' "$GW_STDOUT"
# The server key is the one in the server certificate, the gate.pub the gate key's.
expect_eq server-key-matches-cert \
  "$(openssl pkey -in "$dir/server.key" -pubout 2>/dev/null | sha256sum)" \
  "$(openssl x509 -in "$dir/server.pem" -noout -pubkey | sha256sum)"
expect_eq gate-pub-matches-key \
  "$(openssl pkey -in "$dir/gate.key" -pubout 2>/dev/null | sha256sum)" \
  "$(sha256sum <"$dir/gate.pub")"
expect_eq ek-ca-copied \
  "$(openssl x509 -in "$dir/ek-ca-1.pem" -noout -fingerprint -sha256)" \
  "$(openssl x509 -in "$ekca" -noout -fingerprint -sha256)"

conf=$dir/verifier.conf
expect_output_contains -n conf-listen "^listen = 127\.0\.0\.1:$port\$" "$conf"
expect_output_contains -n conf-id '^id = verifier-test$' "$conf"
expect_output_contains -n conf-ek-ca '^ek_ca = ek-ca-1\.pem$' "$conf"
expect_output_contains -n conf-auto-none '^auto_approve = none$' "$conf"
expect_output_contains -n conf-enroll-rate '^rate_per_source = 10/60$' "$conf"
expect_output_contains -n conf-policy-hint '^#\[policy\]$' "$conf"
if [ -x "$vconfig_load" ]; then
  expect_exit -n conf-loads 0 "$vconfig_load" --load "$conf"
  expect_output_contains -n conf-tls-cert-resolved "^tls_cert=$dir/server\.pem\$" "$GW_STDOUT"
  expect_output_contains -n conf-store-resolved "^store=sqlite:$dir/verifier\.db\$" "$GW_STDOUT"
  expect_output_contains -n conf-ek-ca-resolved "^ek_ca=$dir/ek-ca-1\.pem\$" "$GW_STDOUT"
  expect_output_contains -n conf-no-policy-keys '^policy_threshold=0$' "$GW_STDOUT"
else
  skip conf-loads "$vconfig_load not built (make tests)"
fi

# A second init into the same directory is refused and changes nothing.
before=$(cd "$dir" && sha256sum -- * | sort)
expect_exit -n second-init-refused 5 gwverifier init "$dir" --listen "127.0.0.1:$port"
expect_output_contains -n second-init-says-exists 'already holds a verifier set-up' "$GW_STDERR"
expect_eq second-init-changes-nothing "$(cd "$dir" && sha256sum -- * | sort)" "$before"
# Even with verifier.conf gone, the keys are not overwritten.
rm -f "$dir/verifier.conf"
before=$(cd "$dir" && sha256sum -- *.key | sort)
expect_exit -n init-over-keys-refused 5 gwverifier init "$dir"
expect_eq init-over-keys-keeps-keys "$(cd "$dir" && sha256sum -- *.key | sort)" "$before"

expect_exit -n listen-nonsense-usage 2 gwverifier init "$GW_TMP/v-nonsense" --listen nonsense
expect_output_contains -n listen-nonsense-message "--listen" "$GW_STDERR"
expect_eq listen-nonsense-writes-nothing "$(ls -A "$GW_TMP/v-nonsense" 2>/dev/null)" ""
# Only what serve can bind, checked before anything is written: a host name, a
# port out of range, and a value that would add lines to verifier.conf.
i=0
for bad in 'verifier.example:8443' '127.0.0.1:99999' '127.0.0.1:0' '[127.0.0.1]:8443' \
  '127.1:8443' $'127.0.0.1:1\nauto_approve = all' '127.0.0.1:1 ' '[::1]'; do
  i=$((i + 1))
  expect_exit -n "listen-bad-$i-usage" 2 gwverifier init "$GW_TMP/v-bad-$i" --listen "$bad"
  expect_output_contains -n "listen-bad-$i-message" '^gwverifier: --listen: expected IPV4:PORT or \[IPV6\]:PORT' "$GW_STDERR"
  check "listen-bad-$i-writes-nothing" test ! -e "$GW_TMP/v-bad-$i"
done
# The id goes into verifier.conf too: one line of printable text.
expect_exit -n id-newline-usage 2 gwverifier init "$GW_TMP/v-bad-id" --id $'v\nauto_approve = all'
expect_output_contains -n id-newline-message '^gwverifier: --id: ' "$GW_STDERR"
check id-newline-writes-nothing test ! -e "$GW_TMP/v-bad-id"

expect_exit -n ek-ca-missing-fails nonzero gwverifier init "$GW_TMP/v-noek" --ek-ca /nonexistent
expect_output_contains -n ek-ca-missing-named '/nonexistent' "$GW_STDERR"
expect_eq ek-ca-missing-no-conf "$(ls "$GW_TMP/v-noek/verifier.conf" 2>/dev/null)" ""
expect_eq ek-ca-missing-no-keys "$(ls "$GW_TMP"/v-noek/*.key 2>/dev/null)" ""

printf 'not a certificate\n' >"$GW_TMP/garbage.pem"
expect_exit -n ek-ca-garbage-fails nonzero gwverifier init "$GW_TMP/v-garbage" \
  --ek-ca "$GW_TMP/garbage.pem"
expect_eq ek-ca-garbage-no-conf "$(ls "$GW_TMP/v-garbage/verifier.conf" 2>/dev/null)" ""

# A DER EK CA is accepted and copied as PEM; a host name goes into a DNS entry.
openssl x509 -in "$ekca" -outform der -out "$GW_TMP/ek-ca.der"
expect_exit -n init-der-ek-ca 0 gwverifier init "$GW_TMP/v-der" --listen "127.0.0.1:$port" \
  --hostname localhost --ek-ca "$GW_TMP/ek-ca.der"
expect_output_contains -n der-ek-ca-copied-as-pem '^-----BEGIN CERTIFICATE-----$' \
  "$GW_TMP/v-der/ek-ca-1.pem"
expect_exit -n localhost-san 0 openssl x509 -in "$GW_TMP/v-der/server.pem" -noout \
  -ext subjectAltName
expect_output_contains -n localhost-san-dns 'DNS:localhost' "$GW_STDOUT"
check localhost-server-cert-verifies openssl verify -CAfile "$GW_TMP/v-der/ca.pem" \
  "$GW_TMP/v-der/server.pem"

# --version on every tool: the same version, as text and as JSON; other words after
# it are a usage error (2).
for tool in gwagent gwverifier gwpolicy; do
  expect_exit -n "$tool-version" 0 "$tool" --version
  expect_output_contains -n "$tool-version-text" "^$tool [0-9]+\\.[0-9]+\\.[0-9]+\$" "$GW_STDOUT"
  cp "$GW_STDOUT" "$GW_TMP/$tool.version"
  expect_exit -n "$tool-version-json" 0 "$tool" --version --json
  check_py "$tool-version-json-same" "$GW_STDOUT" "$GW_TMP/$tool.version" "$tool" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
name, version = open(sys.argv[2]).read().split()
assert j == {"name": sys.argv[3], "version": version} and name == sys.argv[3], j
PY
  expect_exit -n "$tool-version-extra-word" 2 "$tool" --version now
done
