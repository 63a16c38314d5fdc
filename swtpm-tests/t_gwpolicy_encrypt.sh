#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Encrypted bundles end to end: gwpolicy bundle create --encrypt-for a release key
# made by gwpolicy keygen; inspect and verify (stored members, no key) show the
# encryption; bundle decrypt with the release key gives back the images, with
# another key is refused; chunks tampered, truncated, swapped within a payload,
# and whole payloads swapped between two bundles (re-signed, so only the
# encryption can catch it) are refused while streaming; then a real swtpm gateway
# with image-file slots (update_lib.sh): the encrypted bundle refused without a
# content key (exit 39, nothing written), installed with it (the slot holds the
# plaintext), and refused with the wrong content key.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 cmp

here=$(cd "$(dirname "$0")" && pwd)
uf_release "$GW_TMP/release"
R=$UF_REL
check keygen-release gwpolicy keygen --out "$R/rel"
check keygen-other gwpolicy keygen --out "$R/other"

for c in create decrypt; do
  expect_exit -n "$c-help" 0 gwpolicy bundle "$c" --help
done
expect_output_contains -n decrypt-help-usage '^usage: gwpolicy bundle decrypt' "$GW_STDOUT"
expect_exit -n bundle-help-lists-decrypt 0 gwpolicy bundle --help
expect_output_contains -n bundle-help-decrypt-line '^  decrypt ' "$GW_STDOUT"

# Images of 4 chunks and a bit, and a small second payload.
head -c 270000 /dev/urandom >"$R/rootfs.img"
printf 'application image\n' >"$R/app.img"
enc() {   # OUT VERSION [ARGS]: an encrypted bundle of rootfs and app for gw-1000
  local out=$1 v=$2
  shift 2
  gwpolicy bundle create --root "$R/root.json" --key "$R/t1.key" --model gw-1000 \
    --channel stable --version "$v" --security-version 1 --image "rootfs=$R/rootfs.img" \
    --image "app=$R/app.img" --encrypt-for "$R/rel.pub" "$@" -o "$out"
}
b=$R/enc.gwb
expect_exit -n create-encrypted 0 enc "$b" 2.0.0

# The members are ciphertext: neither image appears in the bundle.
check_py members-are-ciphertext "$b" "$R/rootfs.img" "$R/app.img" <<'PY'
import sys, tarfile
t = tarfile.open(sys.argv[1])
names = [m.name for m in t.getmembers()]
assert names == ["manifest.dsse", "payload/rootfs", "payload/app"], names
raw = open(sys.argv[1], "rb").read()
img = open(sys.argv[2], "rb").read()
assert img[1000:1064] not in raw and b"application image" not in raw
assert t.getmember("payload/rootfs").size == 270000 + 5 * 16
assert t.getmember("payload/app").size == 18 + 16
PY

expect_exit -n inspect 0 gwpolicy bundle inspect "$b"
expect_output_contains -n inspect-encryption '^encryption +A256GCM-CHUNKED, 65536-byte chunks, content key wrapped for release key [0-9a-f]{64}$' "$GW_STDOUT"
expect_exit -n inspect-json 0 gwpolicy bundle inspect --json "$b"
check inspect-json-fields python3 -c "
import json; r=json.load(open('$GW_STDOUT'))
e=r['encryption']
assert e['alg']=='A256GCM-CHUNKED' and e['chunk_size']==65536 and len(e['wrapped_for'])==64, e
p=r['payloads'][0]
assert p['size']==270000 and p['stored_size']==270080 and len(p['stored_sha256'])==64, p"
expect_exit -n verify-without-key 0 gwpolicy bundle verify --root "$R/root.json" "$b"
expect_output_contains -n verify-says-stored 'payloads match the manifest \(encrypted: the stored members' "$GW_STDOUT"

mkdir -p "$R/out" "$R/out2"
expect_exit -n decrypt 0 gwpolicy bundle decrypt --root "$R/root.json" --key "$R/rel.key" \
  --out "$R/out" --content-key-out "$R/cek" "$b"
expect_output_contains -n decrypt-lists-rootfs '^payload rootfs +decrypted +270000 bytes  sha256 ok' "$GW_STDOUT"
expect_output_contains -n decrypt-lists-app '^payload app +decrypted' "$GW_STDOUT"
check decrypt-rootfs-same cmp "$R/out/rootfs" "$R/rootfs.img"
check decrypt-app-same cmp "$R/out/app" "$R/app.img"
check content-key-file-0600 test "$(stat -c %a "$R/cek")" = 600
expect_exit -n decrypt-other-key 19 gwpolicy bundle decrypt --root "$R/root.json" \
  --key "$R/other.key" --out "$R/out2" "$b"
expect_output_contains -n decrypt-other-key-says "wrapped key: made for key .*not this one" "$GW_STDERR"
expect_eq decrypt-other-key-nothing-written "$(ls "$R/out2" | wc -l)" 0
bundle plain 1.0.0 1
expect_exit -n decrypt-not-encrypted 5 gwpolicy bundle decrypt --root "$R/root.json" \
  --key "$R/rel.key" --out "$R/out2" "$R/plain.gwb"
expect_output_contains -n decrypt-not-encrypted-says 'the bundle is not encrypted' "$GW_STDERR"

# Attacks on the stored chunks. edit writes NAME.d/ (the manifest document and
# the members of BUNDLE, one edit applied, stored sizes and digests fixed up) and
# mkbundle.py re-signs it with the targets key, so the manifest and the member
# digests agree and only the chunk authentication (chunk index, last flag,
# payload index, the bundle's key: all in the nonce or the key) can refuse it.
edit() {   # NAME BUNDLE KIND [OTHER_BUNDLE]
  local n=$1
  mkdir -p "$R/$n.d"
  python3 - "$2" "$R/$n.d" "$3" "${4:-}" <<'PY' || return 1
import base64, hashlib, json, sys, tarfile
src, out, kind, other = sys.argv[1:5]
def members(path):
    t = tarfile.open(path)
    env = json.load(t.extractfile("manifest.dsse"))
    return json.loads(base64.b64decode(env["payload"])), {
        m.name[8:]: bytearray(t.extractfile(m).read()) for m in t.getmembers()
        if m.name != "manifest.dsse"}
man, data = members(src)
S = 65536 + 16
r = data["rootfs"]
if kind == "swap":      # chunks 0 and 1 of rootfs change places
    r[0:S], r[S:2 * S] = r[S:2 * S], r[0:S]
elif kind == "drop":    # the final chunk left out: the member ends at a chunk boundary
    del r[4 * S:]
elif kind == "extend":  # a copy of the first chunk appended after the final one
    r += r[0:S]
elif kind == "splice":  # rootfs taken from another bundle of the same images
    data["rootfs"] = members(other)[1]["rootfs"]
for p in man["payloads"]:
    d = data[p["class"]]
    p["stored_sha256"] = hashlib.sha256(d).hexdigest()
    p["stored_size"] = len(d)
    if kind in ("drop", "extend") and p["class"] == "rootfs":
        # The image size the chunks now stand for (the manifest insists on it).
        p["size"] = len(d) - 16 * -(-len(d) // S)
    open("%s/%s" % (out, p["class"]), "wb").write(d)
json.dump(man, open(out + "/manifest.json", "w"), separators=(",", ":"))
PY
  python3 "$here/mkbundle.py" --key "$R/t1.key" --manifest "$R/$n.d/manifest.json" \
    --image "rootfs=$R/$n.d/rootfs" --image "app=$R/$n.d/app" -o "$R/$n.gwb"
}
decrypt_refused() {   # NAME CODE PATTERN: NAME.gwb verifies, does not decrypt, nothing kept
  rm -rf "$R/out2" && mkdir -p "$R/out2"
  expect_exit -n "$1-decrypt-refused" "$2" gwpolicy bundle decrypt --root "$R/root.json" \
    --key "$R/rel.key" --out "$R/out2" "$R/$1.gwb"
  expect_output_contains -n "$1-says-why" "$3" "$GW_STDERR"
  expect_eq "$1-nothing-written" "$(ls -A "$R/out2" | wc -l)" 0
}

# A bit flipped in chunk 1, no re-signing: verify (no key) already refuses it.
cp "$b" "$R/flipped-unsigned.gwb"
off=$(python3 -c "
import tarfile; t=tarfile.open('$b'); print(t.getmember('payload/rootfs').offset_data + 65552 + 100)")
flip_byte "$R/flipped-unsigned.gwb" "$off"
expect_exit -n flipped-verify-refused 18 gwpolicy bundle verify --root "$R/root.json" \
  "$R/flipped-unsigned.gwb"
# Decrypting, the chunk fails before the member's end where its digest would.
decrypt_refused flipped-unsigned 10 "chunk 1 does not authenticate"
# The same flip re-signed (an insider with the targets key but not the release key).
edit flipped "$R/flipped-unsigned.gwb" none
expect_exit -n flipped-resigned-verifies 0 gwpolicy bundle verify --root "$R/root.json" "$R/flipped.gwb"
decrypt_refused flipped 10 "chunk 1 does not authenticate"
# A member cut inside a chunk (not re-signed): the tar ends early.
head -c $((off + 5000)) "$b" >"$R/cut.gwb"
decrypt_refused cut 19 "truncated"
edit swapped "$b" swap
decrypt_refused swapped 10 "chunk 0 does not authenticate"
edit dropped "$b" drop
decrypt_refused dropped 10 "chunk 3 does not authenticate"
edit extended "$b" extend
decrypt_refused extended 10 "chunk 4 does not authenticate"
expect_exit -n create-second 0 enc "$R/second.gwb" 2.0.1
edit spliced "$b" splice "$R/second.gwb"
decrypt_refused spliced 10 "chunk 0 does not authenticate"
# The wrapped key moved into another bundle's manifest: its chunks do not open.
edit rewrapped "$R/second.gwb" none
python3 - "$b" "$R/rewrapped.d/manifest.json" <<'PY'
import base64, json, sys, tarfile
t = tarfile.open(sys.argv[1])
mine = json.loads(base64.b64decode(json.load(t.extractfile("manifest.dsse"))["payload"]))
m = json.load(open(sys.argv[2]))
m["encryption"]["wrapped_key"] = mine["encryption"]["wrapped_key"]
json.dump(m, open(sys.argv[2], "w"), separators=(",", ":"))
PY
python3 "$here/mkbundle.py" --key "$R/t1.key" --manifest "$R/rewrapped.d/manifest.json" \
  --image "rootfs=$R/rewrapped.d/rootfs" --image "app=$R/rewrapped.d/app" -o "$R/rewrapped.gwb"
decrypt_refused rewrapped 10 "chunk 0 does not authenticate"

# ---- a gateway: install refused without a key, done with it ----
swtpm_start || exit 1
dev=$GW_TMP/dev
bl_factory file "$dev/boot"
uf_device "$dev" file "$P" "$C" 0x01800300 0x01800301
# uf_device's one slot class is rootfs: a bundle of the rootfs image only.
expect_exit -n create-device-bundle 0 gwpolicy bundle create --root "$R/root.json" \
  --key "$R/t1.key" --model gw-1000 --channel stable --version 2.0.0 --security-version 1 \
  --image "rootfs=$R/rootfs.img" --encrypt-for "$R/rel.pub" -o "$R/dev.gwb"
mkdir -p "$R/devout"
expect_exit -n device-content-key 0 gwpolicy bundle decrypt --root "$R/root.json" \
  --key "$R/rel.key" --out "$R/devout" --content-key-out "$R/dev.cek" "$R/dev.gwb"
check provision ga provision
expect_eq factory-boots-A "$(power_on)" A
snap() { sha256sum "$dev/slotA.img" "$dev/slotB.img" "$P" 2>/dev/null; tpm_pcr sha256 14; }
before=$(snap)
expect_exit -n install-without-key-refused 39 ga update install --no-progress "$R/dev.gwb"
expect_output_contains -n install-without-key-says 'encrypted bundle: needs an authorized content key' "$GW_STDERR"
expect_eq install-without-key-nothing-written "$(snap)" "$before"
check install-without-key-no-slot-state test ! -e "$state/update/slots.json"
expect_exit -n install-without-key-json 39 ga update install --no-progress --json "$R/dev.gwb"
check install-without-key-json-refusal python3 -c "
import json; r=json.loads(open('$GW_STDOUT').read().splitlines()[-1])
assert r['refusal']=='encrypted' and r['exit_code']==39 and not r['target_touched'], r"
# The wrong content key: the first chunk does not authenticate (exit 31, as a
# tampered payload: the running group untouched).
openssl rand -hex 32 >"$R/wrong.cek"
expect_exit -n install-wrong-key-refused 31 ga update install --no-progress \
  --content-key-file "$R/wrong.cek" "$R/dev.gwb"
expect_output_contains -n install-wrong-key-says 'does not authenticate' "$GW_STDERR"
expect_eq install-wrong-key-A-untouched "$(sha256sum "$dev/slotA.img")" "$(echo "$before" | sed -n 1p)"
expect_exit -n bad-key-file 2 ga update install --content-key-file "$R/rel.pub" "$R/dev.gwb"
expect_exit -n install-with-key 0 ga update install --no-progress --content-key-file "$R/dev.cek" "$R/dev.gwb"
check slot-B-holds-plaintext cmp -n 270000 "$dev/slotB.img" "$R/rootfs.img"
expect_eq trial-boots-B "$(power_on)" B
