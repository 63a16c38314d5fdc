#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The verifier's release key and encrypted releases checked at add (doc/updates.md,
# "Releases on the verifier"): init creates release.key (0600) and names it in the
# config, keeps one that is there already, refuses one readable by others;
# release-key prints the public half and its kid (text and --json); an encrypted
# bundle made for that key is added and shown as encrypted; one made for another
# key (39), one whose content key does not decrypt a payload (re-signed, so only
# the decryption can tell; 39), and any encrypted bundle without a release key
# configured or with a key file of mode 0644 (3) are refused, audited, nothing
# kept; a plaintext bundle is still added. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 sha256sum sqlite3 openssl

here=$(cd "$(dirname "$0")" && pwd)
dir=$GW_TMP/verifier
db=$dir/verifier.db
conf=(--config "$dir/verifier.conf")
k=$GW_TMP/keys
mkdir -p "$k"

jq_py() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$GW_STDOUT" "$1"
}
audit_last() {   # the last audit record's action, outcome and refusal
  sqlite3 "$db" "SELECT action || ' ' || outcome || ' ' ||
    coalesce(json_extract(detail, '\$.refused'), '-') FROM audit_log ORDER BY seq DESC LIMIT 1"
}
bundles() { find "$dir/bundles" -name '*.gwb' -type f 2>/dev/null | wc -l; }

# ---- init: the release key
check init gwverifier init "$dir" --listen "127.0.0.1:$(random_port)" --id relkey-test
expect_file init-release-key "$dir/release.key"
expect_eq init-release-key-0600 "$(stat -c %a "$dir/release.key")" 600
expect_output_contains -n init-conf-names-it '^release_key = release.key$' "$dir/verifier.conf"
check release-key-is-p256 sh -c \
  "openssl pkey -in '$dir/release.key' -text -noout 2>/dev/null | grep -q 'NIST CURVE: P-256'"

# A release key that is there before init is kept; one others can read refuses init.
check keygen-pre gwpolicy keygen --out "$k/pre"
mkdir -p "$GW_TMP/v-pre" "$GW_TMP/v-open"
cp "$k/pre.key" "$GW_TMP/v-pre/release.key" && chmod 600 "$GW_TMP/v-pre/release.key"
check init-keeps-key gwverifier init "$GW_TMP/v-pre" --listen "127.0.0.1:$(random_port)"
check init-kept-same-key cmp -s "$k/pre.key" "$GW_TMP/v-pre/release.key"
cp "$k/pre.key" "$GW_TMP/v-open/release.key" && chmod 644 "$GW_TMP/v-open/release.key"
expect_exit -n init-open-key-refused 3 gwverifier init "$GW_TMP/v-open" \
  --listen "127.0.0.1:$(random_port)"
expect_output_contains -n init-open-key-says 'mode 0644 .* 0600 or stricter' "$GW_STDERR"
expect_eq init-open-key-no-conf "$(ls "$GW_TMP/v-open/verifier.conf" 2>/dev/null)" ""

# ---- release-key: the public half and its kid
expect_exit -n release-key-help 0 gwverifier release-key --help
expect_output_contains -n release-key-help-usage '^usage: gwverifier release-key' "$GW_STDOUT"
expect_exit -n release-key 0 gwverifier release-key "${conf[@]}"
cp "$GW_STDOUT" "$k/release.pub"
kid=$(openssl pkey -in "$dir/release.key" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
expect_output_contains -n release-key-kid "^# kid $kid\$" "$k/release.pub"
expect_output_contains -n release-key-pem '^-----BEGIN PUBLIC KEY-----$' "$k/release.pub"
check release-key-is-public-half cmp -s <(openssl pkey -pubin -in "$k/release.pub" 2>/dev/null) \
  <(openssl pkey -in "$dir/release.key" -pubout 2>/dev/null)
expect_exit -n release-key-json 0 gwverifier release-key --json "${conf[@]}"
expect_eq release-key-json-kid "$(jq_py 'j["kid"]')" "$kid"
expect_eq release-key-json-path "$(jq_py 'j["path"]')" "$dir/release.key"
expect_exit -n release-key-extra-arg 2 gwverifier release-key extra "${conf[@]}"

# ---- bundles: a root with targets key t1; release keys: ours and another
for n in r1 t1 other; do
  check "keygen-$n" gwpolicy keygen --out "$k/$n"
done
root=$GW_TMP/root.json
check root-init gwpolicy root init --root-key "$k/r1.pub" --root-threshold 1 \
  --targets-key "$k/t1.pub" --targets-threshold 1 --sign "$k/r1.key" -o "$root"
cp "$root" "$dir/release-root.json"
printf '\n[releases]\ntrust_root = release-root.json\n' >>"$dir/verifier.conf"
head -c 150000 /dev/urandom >"$GW_TMP/rootfs.img"
mk() {   # NAME VERSION [extra create args]
  local name=$1 ver=$2
  shift 2
  check "create-$name" gwpolicy bundle create --root "$root" --model gw-100 --channel stable \
    --version "$ver" --security-version 1 --image "rootfs=$GW_TMP/rootfs.img" \
    --key "$k/t1.key" -o "$GW_TMP/$name.gwb" "$@"
}
mk enc 2.0.0 --encrypt-for "$k/release.pub"
mk other 3.0.0 --encrypt-for "$k/other.pub"
mk plain 4.0.0
mk enc5 5.0.0 --encrypt-for "$k/release.pub"
# enc with a bit of chunk 1 flipped and re-signed with the targets key (an insider
# without the release key): envelope and member digests agree, only decrypting
# every chunk can tell.
mkdir -p "$GW_TMP/flip.d"
# (expect_exit runs commands with stdin from /dev/null: the script is a file.)
cat >"$GW_TMP/flip.py" <<'PY'
import base64, hashlib, json, sys, tarfile
src, out = sys.argv[1:3]
t = tarfile.open(src)
env = json.load(t.extractfile("manifest.dsse"))
man = json.loads(base64.b64decode(env["payload"]))
r = bytearray(t.extractfile("payload/rootfs").read())
r[65536 + 16 + 100] ^= 0x5a
p = man["payloads"][0]
p["stored_sha256"] = hashlib.sha256(r).hexdigest()
man["version"] = "6.0.0"
open(out + "/rootfs", "wb").write(r)
json.dump(man, open(out + "/manifest.json", "w"), separators=(",", ":"))
PY
check flip-edit python3 "$GW_TMP/flip.py" "$GW_TMP/enc.gwb" "$GW_TMP/flip.d"
check flip-resign python3 "$here/mkbundle.py" --key "$k/t1.key" \
  --manifest "$GW_TMP/flip.d/manifest.json" --image "rootfs=$GW_TMP/flip.d/rootfs" \
  -o "$GW_TMP/flip.gwb"
check flip-verifies gwpolicy bundle verify --root "$root" "$GW_TMP/flip.gwb"

# ---- refusals: nothing kept, each audited
expect_exit -n add-other-key 39 gwverifier release add "$GW_TMP/other.gwb" "${conf[@]}"
okid=$(openssl pkey -pubin -in "$k/other.pub" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
expect_output_contains -n add-other-key-says \
  "encrypted for another key \\(kid $okid\\), not this verifier's release key \\(kid $kid\\)" \
  "$GW_STDERR"
expect_eq add-other-key-audited "$(audit_last)" "release.add refused encryption"
expect_exit -n add-flipped 39 gwverifier release add "$GW_TMP/flip.gwb" "${conf[@]}"
expect_output_contains -n add-flipped-says \
  'the content key does not decrypt payload rootfs: .*chunk 1 does not authenticate' "$GW_STDERR"
expect_eq add-flipped-audited "$(audit_last)" "release.add refused encryption"
chmod 644 "$dir/release.key"
expect_exit -n add-key-0644 3 gwverifier release add "$GW_TMP/enc.gwb" "${conf[@]}"
expect_output_contains -n add-key-0644-says 'release key .*mode 0644' "$GW_STDERR"
expect_eq add-key-0644-audited "$(audit_last)" "release.add refused release-key"
chmod 600 "$dir/release.key"
grep -v '^release_key' "$dir/verifier.conf" >"$dir/nokey.conf"
expect_exit -n add-no-release-key 3 gwverifier release add "$GW_TMP/enc.gwb" \
  --config "$dir/nokey.conf"
expect_output_contains -n add-no-release-key-says 'encrypted and the config has no \[releases\] release_key' "$GW_STDERR"
expect_eq add-no-release-key-audited "$(audit_last)" "release.add refused release-key"
expect_exit -n release-key-unconfigured 3 gwverifier release-key --config "$dir/nokey.conf"
expect_output_contains -n release-key-unconfigured-says 'has no release_key' "$GW_STDERR"
expect_eq refused-nothing-kept "$(bundles)" 0
expect_eq refused-no-temporary "$(find "$dir/bundles" -name '*.tmp.*' | wc -l)" 0

# ---- added: the encrypted bundle for our key; a plaintext one, also without a key
expect_exit -n add-encrypted 0 gwverifier release add "$GW_TMP/enc.gwb" --json "${conf[@]}"
enc=$(jq_py 'j["id"]')
expect_eq add-encrypted-json "$(jq_py '(j["encrypted"], j["wrapped_for"])')" "(True, '$kid')"
expect_eq add-encrypted-audited "$(audit_last)" "release.add ok -"
expect_exit -n add-plain-no-key 0 gwverifier release add "$GW_TMP/plain.gwb" --json \
  --config "$dir/nokey.conf"
plain=$(jq_py 'j["id"]')
expect_eq add-plain-json "$(jq_py '(j["encrypted"], j["wrapped_for"])')" "(False, None)"
expect_exit -n show-encrypted 0 gwverifier release show "$enc" "${conf[@]}"
expect_output_contains -n show-encrypted-kid "^Encrypted +yes \\(kid $kid\\)\$" "$GW_STDOUT"
expect_exit -n show-encrypted-json 0 gwverifier release show "$enc" --json "${conf[@]}"
expect_eq show-encrypted-json-kid "$(jq_py 'j["wrapped_for"]')" "$kid"
expect_exit -n show-plain 0 gwverifier release show "$plain" "${conf[@]}"
expect_output_contains -n show-plain-no '^Encrypted +no$' "$GW_STDOUT"
expect_eq two-kept "$(bundles)" 2
# The release key as a symbolic link is refused: name the file itself.
mv "$dir/release.key" "$dir/release-real.key"
ln -s release-real.key "$dir/release.key"
expect_exit -n add-key-symlink 3 gwverifier release add "$GW_TMP/enc5.gwb" "${conf[@]}"
expect_output_contains -n add-key-symlink-says 'a symbolic link' "$GW_STDERR"
rm "$dir/release.key"
mv "$dir/release-real.key" "$dir/release.key"
expect_exit -n add-enc5 0 gwverifier release add "$GW_TMP/enc5.gwb" "${conf[@]}"
expect_exit -n audit-chain-intact 0 gwverifier audit verify "${conf[@]}"
