#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# doc/policy.schema.json agrees with the policy parser (policy/gwpol_parse.c): the
# schema is a valid draft 2020-12 schema, every good fixture of the parser's unit
# test validates against it, and every bad fixture the schema can express is
# refused by it. Needs python3 with jsonschema (Debian: python3-jsonschema). No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3

schema=$GW_ROOT/doc/policy.schema.json
fx=$GW_ROOT/policy/tests/fixtures/gwpol

# Bad fixtures the schema must refuse.
expressible=(
  not-object unknown-key missing-model missing-version model-space model-newline
  digest-newline comment-newline model-long version-zero version-2p32
  version-string description-null description-control description-c1
  description-long description-empty pcr-selection-bank freshness-low
  freshness-high firmware-no-bank firmware-no-pcrs firmware-bank-md5
  pcr-leading-zero pcr-24 pcr-two-modes pcr-no-mode unchecked-false
  sequence-object digest-upper digest-sha256-in-sha1 digest-duplicate
  digests-empty digests-too-many type-unknown-name type-known-hex type-short-hex
  type-upper-hex event-missing-type event-unknown-key allow-types-named
  allow-types-duplicate required-text-and-data required-data-odd
  required-data-long required-pcr-24 required-too-many secure-boot-no-enabled
  secure-boot-enabled-string stages-empty stage-bad-name stage-string
  stage-bad-claim stage-sha1-digest stages-too-many trust-unknown-key
  date-feb29-2029 date-short date-1999 date-month-13 min-security-negative
  channels-duplicate channels-bad-name comment-long logs-pcr-24 logs-duplicate-pcr
  logs-empty logs-unknown-key logs-not-list boot-files-pcr-24 boot-files-pcr-string
)
# Bad fixtures beyond JSON Schema: not JSON (a single-quoted name too), data after
# it, a NUL byte or \u0000,
# repeated keys (a JSON parser keeps one), nesting depth, 3.0 (an integer to JSON
# Schema), bytes that are not UTF-8.
not_expressible=(
  not-json single-quoted-key trailing nul-byte escaped-nul too-deep duplicate-key
  duplicate-key-nested duplicate-key-escaped duplicate-pcr version-double
  description-overlong-utf8
)

if ! python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>"$GW_TMP/import.err"; then
  fail jsonschema "python3 cannot use jsonschema (Debian: python3-jsonschema): $(tail -1 "$GW_TMP/import.err")"
  exit 1
fi

# Every bad fixture is in exactly one list, so that a new one needs a decision.
declare -A listed=()
for n in "${expressible[@]}" "${not_expressible[@]}"; do
  [ -z "${listed[$n]:-}" ] || fail "listed-twice-$n" "$n is in both lists (or twice)"
  listed[$n]=1
  [ -f "$fx/bad/$n.json" ] || fail "missing-$n" "listed but no $fx/bad/$n.json"
done
unlisted=()
for f in "$fx"/bad/*.json; do
  n=$(basename "$f" .json)
  [ -n "${listed[$n]:-}" ] || unlisted+=("$n")
done
if [ ${#unlisted[@]} -eq 0 ]; then
  pass every-bad-fixture-listed
else
  fail every-bad-fixture-listed "not in this script: ${unlisted[*]}"
fi

# One python3 run checks them all and prints "ok NAME" or "no NAME WHY" per file.
args=()
for f in "$fx"/good/*.json; do args+=("good:$f"); done
for n in "${expressible[@]}"; do args+=("bad:$fx/bad/$n.json"); done
python3 - "$schema" "${args[@]}" >"$GW_TMP/results" 2>"$GW_TMP/python.err" <<'PY'
import json
import os
import sys

import jsonschema

with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
try:
    jsonschema.Draft202012Validator.check_schema(schema)
    print("ok schema-is-draft-2020-12")
except jsonschema.SchemaError as e:
    print("no schema-is-draft-2020-12", e.message)
    sys.exit(0)
v = jsonschema.Draft202012Validator(schema)
for arg in sys.argv[2:]:
    kind, path = arg.split(":", 1)
    name = kind + "-" + os.path.basename(path)[: -len(".json")]
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if kind == "good" and errs:
        where = "/".join(str(p) for p in errs[0].absolute_path)
        print("no", name, "refused at /" + where + ":", errs[0].message[:200])
    elif kind == "bad" and not errs:
        print("no", name, "the schema accepts it")
    else:
        print("ok", name)
PY
rc=$?
[ "$rc" -eq 0 ] || fail python "python3 exited $rc: $(tail -3 "$GW_TMP/python.err")"
n=0
while read -r verdict name why; do
  n=$((n + 1))
  if [ "$verdict" = ok ]; then pass "$name"; else fail "$name" "$why"; fi
done <"$GW_TMP/results"
good=("$fx"/good/*.json)
expect_eq checked-every-fixture "$n" $((1 + ${#good[@]} + ${#expressible[@]}))
