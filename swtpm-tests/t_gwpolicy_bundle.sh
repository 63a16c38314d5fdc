#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwpolicy bundle create, inspect and verify end to end: a bundle signed by a
# threshold of a real root's targets keys (made with gwpolicy root init), written
# to a file or standard output, read from a file, standard input or a pipe,
# reproducible with SOURCE_DATE_EPOCH and Ed25519 keys; refusals at creation
# (below threshold, a key twice, keys outside the targets role, bad names, a
# --new-root that does not follow) with nothing written; and bundles tampered with
# after signing (payload, manifest, member order, truncation, a pax path, another
# root, expiry) refused by verify with their exit codes. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 sha256sum cmp head

d=$GW_TMP/keys
mkdir -p "$d"
G=$GW_BIN/gwpolicy

expect_exit -n bundle-help 0 gwpolicy bundle --help
expect_output_contains -n bundle-help-lists-verify '^  verify ' "$GW_STDOUT"
expect_exit -n help-lists-bundle 0 gwpolicy --help
expect_output_contains -n help-bundle-line '^  bundle ' "$GW_STDOUT"
for c in create inspect verify; do
  expect_exit -n "$c-help" 0 gwpolicy bundle "$c" --help
  expect_output_contains -n "$c-help-usage" "^usage: gwpolicy bundle $c" "$GW_STDOUT"
done
expect_exit -n unknown-subcommand 2 gwpolicy bundle frobnicate

# Root key r1; targets keys t1 (P-256), t2 and t3 (Ed25519: deterministic
# signatures), threshold 2; x is no one's.
declare -A kid
for k in r1: t1: t2:ed25519 t3:ed25519 x:; do
  name=${k%%:*} type=${k#*:}
  expect_exit -n "keygen-$name" 0 gwpolicy keygen --out "$d/$name" --type "${type:-ecc-p256}"
  kid[$name]=$(cat "$GW_STDOUT")
done
root=$GW_TMP/root.json
expect_exit -n root-init 0 gwpolicy root init --root-key "$d/r1.pub" --root-threshold 1 \
  --targets-key "$d/t1.pub" --targets-key "$d/t2.pub" --targets-key "$d/t3.pub" \
  --targets-threshold 2 --sign "$d/r1.key" -o "$root"
other=$GW_TMP/other-root.json
expect_exit -n other-root-init 0 gwpolicy root init --root-key "$d/r1.pub" --root-threshold 1 \
  --targets-key "$d/x.pub" --targets-threshold 1 --sign "$d/r1.key" -o "$other"

head -c 3145728 /dev/urandom >"$GW_TMP/rootfs.img"
printf 'application image\n' >"$GW_TMP/app.img"
printf 'Fixes the \xc3\xa9t\xc3\xa9 bug.\nSecond line.\n' >"$GW_TMP/notes.txt"
b=$GW_TMP/b.gwb
base=(bundle create --root "$root" --model gw-100 --model gw-200 --channel stable
  --version 2.1.0 --security-version 5 --image "rootfs=$GW_TMP/rootfs.img"
  --image "app=$GW_TMP/app.img")

expect_exit -n create 0 gwpolicy "${base[@]}" --key "$d/t1.key" --key "$d/t2.key" \
  --notes "$GW_TMP/notes.txt" --reboot-required --expires 30 -o "$b"
expect_output_contains -n create-says-signed 'signed by 2 targets keys \(root version 1 requires 2\)' \
  "$GW_STDERR"
expect_eq no-temporary-left "$(find "$GW_TMP" -maxdepth 1 -name 'b.gwb.tmp.*' | wc -l)" 0

# The tar as any reader sees it: exactly the manifest's members, in order.
expect_exit -n tar-members 0 python3 -c '
import sys, tarfile
t = tarfile.open(sys.argv[1])
m = [(x.name, x.type, x.mode, x.uid, x.gid) for x in t.getmembers()]
assert [x[0] for x in m] == ["manifest.dsse", "payload/rootfs", "payload/app"], m
assert all(x[1] == tarfile.REGTYPE and x[2] == 0o644 and x[3] == 0 == x[4] for x in m), m
assert t.extractfile("payload/rootfs").read() == open(sys.argv[2], "rb").read()' "$b" "$GW_TMP/rootfs.img"

expect_exit -n verify 0 gwpolicy bundle verify --root "$root" "$b"
expect_output_contains -n verify-ok 'OK: 2 of required 2 targets signatures valid, 2 payloads match the manifest' \
  "$GW_STDOUT"
expect_output_contains -n verify-lists-t1 "^signatures +${kid[t1]}  valid$" "$GW_STDOUT"
expect_output_contains -n verify-notes 'Fixes the été bug.' "$GW_STDOUT"
expect_exit -n verify-json 0 gwpolicy bundle verify --root "$root" --json "$b"
rootfs_sha=$(sha256sum "$GW_TMP/rootfs.img" | cut -d' ' -f1)
expect_exit -n verify-json-fields 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "pass" and r["exit_code"] == 0 and r["verified"] is True, r
assert r["valid"] == 2 and r["threshold"] == 2, r
assert r["models"] == ["gw-100", "gw-200"] and r["channel"] == "stable", r
assert r["security_version"] == 5 and r["reboot_required"] is True, r
assert r["payloads"][0] == {"class": "rootfs", "member": "payload/rootfs", "size": 3145728,
                            "sha256": sys.argv[2]}, r
assert r["payloads"][1]["class"] == "app" and r["expires"], r' "$GW_STDOUT" "$rootfs_sha"

# Standard input, and a pipe.
expect_exit -n verify-stdin 0 sh -c '"$1" bundle verify --root "$2" - <"$3"' sh "$G" "$root" "$b"
expect_exit -n verify-pipe 0 sh -c 'cat "$3" | "$1" bundle verify --root "$2" -' sh "$G" "$root" "$b"

# inspect says it verified nothing, also in JSON.
expect_exit -n inspect 0 gwpolicy bundle inspect "$b"
expect_output_contains -n inspect-not-verified '^NOT VERIFIED: ' "$GW_STDOUT"
expect_output_contains -n inspect-sig-not-verified "${kid[t2]}  \\(not verified\\)" "$GW_STDOUT"
expect_exit -n inspect-json 0 gwpolicy bundle inspect --json "$b"
expect_exit -n inspect-json-unverified 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is False and r["payloads_checked"] is False, r
assert {s["status"] for s in r["signatures"]} == {"not-verified"}, r' "$GW_STDOUT"

# Standard output, reproducible: two Ed25519 signers, a fixed creation time.
expect_exit -n create-stdout-1 0 sh -c 'SOURCE_DATE_EPOCH=1796083200 "$@" >"$0"' "$GW_TMP/r1.gwb" \
  "$G" "${base[@]}" --key "$d/t2.key" --key "$d/t3.key"
expect_exit -n create-stdout-2 0 sh -c 'SOURCE_DATE_EPOCH=1796083200 "$@" >"$0"' "$GW_TMP/r2.gwb" \
  "$G" "${base[@]}" --key "$d/t2.key" --key "$d/t3.key"
expect_eq reproducible "$(cmp -s "$GW_TMP/r1.gwb" "$GW_TMP/r2.gwb"; echo $?)" 0
expect_exit -n verify-reproducible 0 gwpolicy bundle verify --root "$root" "$GW_TMP/r1.gwb"
expect_output_contains -n created-from-sde '^created +2026-12-01T00:00:00Z$' "$GW_STDOUT"

# Refused at creation, nothing written.
n=$GW_TMP/never.gwb
expect_exit -n below-threshold 10 gwpolicy "${base[@]}" --key "$d/t1.key" -o "$n"
expect_output_contains -n below-threshold-says '1 targets key given, root version 1 requires 2'
expect_exit -n same-key-twice 10 gwpolicy "${base[@]}" --key "$d/t1.key" --key "$d/t1.key" -o "$n"
expect_output_contains -n same-key-twice-says 'is the same key as --key .*: a key counts once'
expect_exit -n root-key-not-targets 10 gwpolicy "${base[@]}" --key "$d/t1.key" --key "$d/r1.key" -o "$n"
expect_output_contains -n root-key-says "keyid ${kid[r1]}\\) is not a targets key of root version 1"
expect_exit -n unknown-key 10 gwpolicy "${base[@]}" --key "$d/t1.key" --key "$d/x.key" -o "$n"
expect_exit -n class-dotdot 2 gwpolicy "${base[@]}" --image "..=$GW_TMP/app.img" \
  --key "$d/t1.key" --key "$d/t2.key" -o "$n"
expect_output_contains -n class-dotdot-says "class '\\.\\.' must be 1 to 64"
expect_exit -n class-twice 2 gwpolicy "${base[@]}" --image "app=$GW_TMP/app.img" \
  --key "$d/t1.key" --key "$d/t2.key" -o "$n"
expect_exit -n bad-model 2 gwpolicy "${base[@]}" --model 'gw 300' --key "$d/t1.key" \
  --key "$d/t2.key" -o "$n"
expect_exit -n missing-image-file 1 gwpolicy bundle create --root "$root" --model gw-100 \
  --channel stable --version 1 --security-version 1 --image "rootfs=$GW_TMP/nope.img" \
  --key "$d/t1.key" --key "$d/t2.key" -o "$n"
expect_exit -n expires-in-past 2 gwpolicy "${base[@]}" --expires 2020-01-01 --key "$d/t1.key" \
  --key "$d/t2.key" -o "$n"
printf 'bad \xff\n' >"$GW_TMP/bad-notes.txt"
expect_exit -n notes-not-utf8 2 gwpolicy "${base[@]}" --notes "$GW_TMP/bad-notes.txt" \
  --key "$d/t1.key" --key "$d/t2.key" -o "$n"
expect_exit -n json-needs-out 2 gwpolicy "${base[@]}" --json --key "$d/t1.key" --key "$d/t2.key"
expect_exit -n needs-image 2 gwpolicy bundle create --root "$root" --model gw-100 --channel s \
  --version 1 --security-version 1 --key "$d/t1.key" --key "$d/t2.key" -o "$n"
expect_exit -n new-root-not-successor 5 gwpolicy "${base[@]}" --new-root "$root" \
  --key "$d/t1.key" --key "$d/t2.key" -o "$n"
expect_output_contains -n new-root-says 'new-root .*cannot follow version 1'
expect_exit -n refusal-json 10 gwpolicy "${base[@]}" --json --key "$d/t1.key" -o "$n"
expect_exit -n refusal-json-fields 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "fail" and r["exit_code"] == 10 and "requires 2" in r["error"], r' "$GW_STDOUT"
expect_eq nothing-written "$(find "$GW_TMP" -maxdepth 1 -name 'never.gwb*' | wc -l)" 0

# A rotated root rides along.
v2=$GW_TMP/root-v2.json
expect_exit -n rotate 0 gwpolicy root rotate --from "$root" --sign "$d/r1.key" -o "$v2"
nr=$GW_TMP/nr.gwb
expect_exit -n create-new-root 0 gwpolicy "${base[@]}" --new-root "$v2" --key "$d/t1.key" \
  --key "$d/t3.key" -o "$nr" --json
expect_exit -n create-json-fields 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "pass" and r["new_root"]["version"] == 2, r
assert r["file"] == sys.argv[2] and r["valid"] == 2, r' "$GW_STDOUT" "$nr"
expect_exit -n verify-new-root 0 gwpolicy bundle verify --root "$root" "$nr"
expect_output_contains -n verify-shows-new-root '^new trust root +version 2, sha256:' "$GW_STDOUT"
# The same bundle read by a device that already pinned version 2: the riding root
# cannot follow it (replayed), and version 2's targets are the same keys.
expect_exit -n new-root-replayed 5 gwpolicy bundle verify --root "$v2" "$nr"

# Tampered after signing: each refused by verify with its exit code.
cat >"$GW_TMP/tamper.py" <<'PY'
import base64, copy, io, json, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
t = tarfile.open(src)
members = [(m, t.extractfile(m).read()) for m in t.getmembers()]

def write(name, ms, fmt=tarfile.USTAR_FORMAT):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=fmt) as w:
        for m, data in ms:
            w.addfile(m, io.BytesIO(data))
    open(f"{out}/{name}.gwb", "wb").write(bio.getvalue())

# One byte of the rootfs image (its data starts after two headers and the
# envelope padded to 512).
env_len = members[0][0].size
off = 512 + (env_len + 511) // 512 * 512 + 512 + 1000
open(f"{out}/payload.gwb", "wb").write(raw[:off] + bytes([raw[off] ^ 1]) + raw[off + 1:])
open(f"{out}/truncated.gwb", "wb").write(raw[:off])
env = json.loads(members[0][1])
doc = json.loads(base64.b64decode(env["payload"]))
doc["security_version"] = 99
env["payload"] = base64.b64encode(json.dumps(doc).encode()).decode()
text = json.dumps(env).encode()
m0 = copy.copy(members[0][0])
m0.size = len(text)
write("manifest", [(m0, text)] + members[1:])
write("reordered", [members[0], members[2], members[1]])
write("duplicated", [members[0], members[1], members[1], members[2]])
extra = tarfile.TarInfo("payload/kernel")
extra.size = 3
write("extra", members + [(extra, b"abc")])
link = tarfile.TarInfo("payload/app")
link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
write("symlink", [members[0], members[1], (link, b"")])
pax = copy.copy(members[2][0])
pax.pax_headers = {"path": "../../etc/cron.d/x"}
write("pax-path", [members[0], members[1], (pax, members[2][1])], tarfile.PAX_FORMAT)
PY
expect_exit -n make-tampered 0 python3 "$GW_TMP/tamper.py" "$b" "$GW_TMP"
expect_exit -n tampered-payload 18 gwpolicy bundle verify --root "$root" "$GW_TMP/payload.gwb"
expect_output_contains -n tampered-payload-says "'payload/rootfs': SHA-256 differs from the manifest's"
expect_exit -n tampered-manifest 10 gwpolicy bundle verify --root "$root" "$GW_TMP/manifest.gwb"
expect_output_contains -n tampered-manifest-says 'manifest signature: 0 of required 2 signatures valid'
expect_exit -n truncated 19 gwpolicy bundle verify --root "$root" "$GW_TMP/truncated.gwb"
expect_output_contains -n truncated-says 'truncated'
expect_exit -n truncated-pipe 19 sh -c 'cat "$3" | "$1" bundle verify --root "$2" -' sh "$G" \
  "$root" "$GW_TMP/truncated.gwb"
expect_exit -n reordered 19 gwpolicy bundle verify --root "$root" "$GW_TMP/reordered.gwb"
expect_output_contains -n reordered-says 'a member out of manifest order'
expect_exit -n duplicated 19 gwpolicy bundle verify --root "$root" "$GW_TMP/duplicated.gwb"
expect_output_contains -n duplicated-says "'payload/rootfs': a duplicated member"
expect_exit -n extra 19 gwpolicy bundle verify --root "$root" "$GW_TMP/extra.gwb"
expect_output_contains -n extra-says "'payload/kernel': an extra member after the last payload"
expect_exit -n symlink 19 gwpolicy bundle verify --root "$root" "$GW_TMP/symlink.gwb"
expect_output_contains -n symlink-says "a symbolic link \\(to '/etc/shadow'\\)"
expect_exit -n pax-path 19 gwpolicy bundle verify --root "$root" "$GW_TMP/pax-path.gwb"
expect_output_contains -n pax-path-says "'\\.\\.' in path '\\.\\./\\.\\./etc/cron.d/x'"
expect_exit -n other-root 10 gwpolicy bundle verify --root "$other" "$b"
expect_output_contains -n other-root-says '0 of required 1 signatures valid'
expect_exit -n other-root-json 10 gwpolicy bundle verify --root "$other" --json "$b"
expect_exit -n other-root-json-fields 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "fail" and r["exit_code"] == 10, r' "$GW_STDOUT"

# Expired: made with a creation time in the past and one day of validity.
old=$GW_TMP/old.gwb
expect_exit -n create-old 0 sh -c 'SOURCE_DATE_EPOCH=1700000000 "$@"' sh "$G" "${base[@]}" \
  --expires 1 --key "$d/t1.key" --key "$d/t2.key" -o "$old"
expect_exit -n expired 5 gwpolicy bundle verify --root "$root" "$old"
expect_output_contains -n expired-says 'the manifest expired at 2023-11-15T22:13:20Z'
expect_exit -n missing-bundle 1 gwpolicy bundle verify --root "$root" "$GW_TMP/nope.gwb"
expect_exit -n inspect-not-a-bundle 19 gwpolicy bundle inspect "$GW_TMP/app.img"
