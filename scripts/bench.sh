#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make bench`: Gatewarden's speed figures, each against a baseline measured in the
# same run on the same machine. One line per figure:
#   bench NAME: VALUE UNIT ratio=R vs BASELINE
set -euo pipefail

B=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $B in /*) ;; *) B=$ROOT/$B ;; esac
work=$(mktemp -d /tmp/gatewarden-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# best_time CMD...: fastest wall time in seconds of 5 runs.
best_time() {
  local best=999999 t s e
  for _ in 1 2 3 4 5; do
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

start_swtpm() { # BANKS -> sets GW_TCTI
  local dir=$work/tpm-${1//,/-} port
  mkdir -p "$dir"
  swtpm_setup --tpm2 --tpmstate "$dir" --create-ek-cert --pcr-banks "$1" --overwrite >/dev/null 2>&1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close(); print(p)')
  swtpm socket --tpm2 --tpmstate dir="$dir" --server type=tcp,port="$port" \
    --ctrl type=tcp,port=$((port + 1)) --flags not-need-init,startup-clear \
    --pid file="$dir/pid" --daemon
  for _ in $(seq 50); do [ -s "$dir/pid" ] && break; sleep 0.1; done
  pids+=("$(cat "$dir/pid")")
  export GW_TCTI="swtpm:host=127.0.0.1,port=$port"
}

echo "# Gatewarden benchmarks on $(nproc) core(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# 1. Measuring a 256 MiB file (page-cached), the whole `gwagent measure` command
#    (hash in every active bank, log, extend), against `openssl dgst -sha256`.
file=$work/image.bin
head -c 268435456 /dev/urandom >"$file"
cat "$file" >/dev/null
base=$(best_time openssl dgst -sha256 "$file")
base_mibs=$(echo "256 / $base" | bc -l)
for banks in sha256 sha1,sha256; do
  start_swtpm "$banks"
  "$B/gwagent" --state-dir "$work/state-${banks//,/-}" provision >/dev/null
  t=$(best_time "$B/gwagent" --state-dir "$work/state-${banks//,/-}" measure --stage bench "$file")
  mibs=$(echo "256 / $t" | bc -l)
  printf 'bench measure-256MiB-%s: %.0f MiB/s ratio=%.2f vs openssl dgst -sha256 (%.0f MiB/s) target>=0.9\n' \
    "${banks/,/+}" "$mibs" "$(echo "$mibs / $base_mibs" | bc -l)" "$base_mibs"
done

# 1b. Installing an update: `gwagent update install` of a 256 MiB image against
#     `cat; sync; sha256sum` and against RAUC 1.8, and its peak RSS (256 MiB, 1 GiB).
"$ROOT/scripts/bench_update.sh" "$B" || echo "bench update-install: FAILED (scripts/bench_update.sh exit $?)"

# 2. Offline appraisal (evidence parse, signature, quote checks, CEL replay) of an
#    evidence file with 24 quoted PCRs and a 64-record CEL log, on one core, against
#    OpenSSL's ECDSA P-256 verify rate on the same core.
speed=$(taskset -c 0 openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $NF}')
rate=$(taskset -c 0 "$B/bench/bench_appraise" 3)
printf 'bench appraise-24pcr-64cel: %.0f appraisals/s ratio=%.2f vs openssl speed ecdsap256 verify (%.0f verify/s) target>=0.7\n' \
  "$rate" "$(echo "$rate / $speed" | bc -l)" "$speed"

# 2b. The unattended audit archiving (doc/verifier.md, "Retention"): one batch of
#     AUDIT_EXPORT_BATCH attest records (read, checked, written, fsynced, moved into
#     place, deleted and committed) holds the store's write lock for lock_ms, the
#     best of three; records/s against result pruning's rows/s on the same store.
mkdir "$work/audit-export"
if ae=$("$B/bench/bench_audit_export" "$work/audit-export"); then
  read -r ae_rate ae_ms ae_prune ae_batch <<<"$ae"
  printf 'bench audit_export: %s records/s ratio=%.2f vs result pruning (%s rows/s) batch=%s lock_ms=%s target: lock_ms<=200\n' \
    "$ae_rate" "$(echo "$ae_rate / $ae_prune" | bc -l)" "$ae_prune" "$ae_batch" "$ae_ms"
else
  echo "bench audit_export: FAILED"
fi
rm -rf "$work/audit-export"

# 3. End to end over HTTPS: software devices enrolled through the real protocol
#    (software EK under a throwaway EK CA, software ActivateCredential), then rounds
#    of challenge + quote + attest (appraisal, storage, signed EAR) on keep-alive
#    connections, from a load generator on the same machine. Baseline: the one-core
#    `openssl speed ecdsap256` verify rate measured above (each round verifies a
#    quote and signs a result).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ekca=$work/ekca
mkdir -p "$ekca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$ekca/ca.key" -out "$ekca/ca.pem" -subj "/CN=Gatewarden bench EK CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  >/dev/null 2>&1

# The load generator's model has a signed policy listing its three stage digests, so
# that every round below is appraised with it (each worker verifies it once).
"$B/gwpolicy" keygen --out "$work/policy-release" >/dev/null
python3 - >"$work/policy.json" <<'PY'
import hashlib, json
h = lambda s: [hashlib.sha256(s.encode()).hexdigest()]
print(json.dumps({"model": "loadgen-1", "version": 1,
                  "stages": {"kernel": h("/boot/vmlinuz"), "rootfs": h("/boot/rootfs.img"),
                             "application": h("/opt/app/bin/app")}}))
PY
"$B/gwpolicy" sign --key "$work/policy-release.key" "$work/policy.json" >"$work/policy.signed.json"

start_verifier() { # DIR -> sets vport, vpid
  vport=$(free_port)
  "$B/gwverifier" init "$1" --listen "127.0.0.1:$vport" --ek-ca "$ekca/ca.pem" --id bench >/dev/null
  # Every software device enrolls from 127.0.0.1, thousands a minute.
  sed -i -e 's/^auto_approve = none$/auto_approve = all/' \
    -e 's|^rate_per_source = .*|rate_per_source = off|' \
    -e 's|^rate_global = .*|rate_global = off|' "$1/verifier.conf"
  printf '\n[policy]\nkey = %s\n' "$work/policy-release.pub" >>"$1/verifier.conf"
  "$B/gwverifier" policy add --config "$1/verifier.conf" "$work/policy.signed.json" >/dev/null
  "$B/gwverifier" serve --config "$1/verifier.conf" 2>"$1/serve.log" &
  vpid=$!
  pids+=("$vpid")
  for _ in $(seq 100); do
    curl -sf --cacert "$1/ca.pem" "https://127.0.0.1:$vport/v1/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench: the verifier did not start:" >&2
  cat "$1/serve.log" >&2
  return 1
}
field() { sed -n "s/.*\\<$1=\\([^ ]*\\).*/\\1/p"; }

start_verifier "$work/v1"
lg=("$B/bench/loadgen" --verifier "https://127.0.0.1:$vport" --ca "$work/v1/ca.pem"
    --ek-ca-key "$ekca/ca.key" --ek-ca-cert "$ekca/ca.pem" --state "$work/devices")
"${lg[@]}" --devices 64 --concurrency 16 --seconds 120 --enroll-only >/dev/null
for run in "1 1 5" "64 64 10"; do
  set -- $run
  out=$("${lg[@]}" --devices "$1" --concurrency "$2" --seconds "$3" 2>"$work/lg.err") || true
  rate=$(echo "$out" | field rate)
  if [ -z "$rate" ]; then
    echo "bench attest-https-c$2: FAILED ($(head -c 400 "$work/lg.err"))"
    continue
  fi
  printf 'bench attest-https-c%s: %.0f attestations/s ratio=%.3f vs openssl speed ecdsap256 verify, one core (%.0f/s) p50=%sms p99=%sms errors=%s devices=%s target>=1000\n' \
    "$2" "$rate" "$(echo "$rate / $speed" | bc -l)" "$speed" "$(echo "$out" | field p50_ms)" \
    "$(echo "$out" | field p99_ms)" "$(echo "$out" | field errors)" "$1"
  if [ -s "$work/lg.err" ]; then sed 's/^/  # /' "$work/lg.err" | head -5; fi
done

# 4. Verifier memory with 100,000 enrolled devices: a fresh verifier, its RSS when
#    idle, then as many enrollments (ECC P-256 software EKs, 32 at a time) as fit in
#    BENCH_ENROLL_SECONDS (default 420); when fewer than 100,000 fit, the RSS growth
#    and the SQLite size (db + WAL) are extrapolated linearly, and labelled so.
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
start_verifier "$work/v2"
idle=$(rss_mib "$vpid")
out=$("$B/bench/loadgen" --verifier "https://127.0.0.1:$vport" --ca "$work/v2/ca.pem" \
  --ek-ca-key "$ekca/ca.key" --ek-ca-cert "$ekca/ca.pem" --devices 100000 --concurrency 32 \
  --seconds "${BENCH_ENROLL_SECONDS:-420}" --enroll-only 2>"$work/lg.err") || true
n=$(echo "$out" | field enrolled)
rss=$(rss_mib "$vpid")
db=$(stat -c %s "$work/v2"/verifier.db* 2>/dev/null | awk '{t += $1} END {printf "%.1f", t / 1048576}')
if [ -z "$n" ] || [ "$n" = 0 ]; then
  echo "bench verifier-memory-100k-devices: FAILED ($(head -c 400 "$work/lg.err"))"
else
  printf 'bench verifier-memory-%s-devices-measured: %s MiB ratio=%.2f vs idle verifier (%s MiB) sqlite=%s MiB enroll-rate=%s/s\n' \
    "$n" "$rss" "$(echo "$rss / $idle" | bc -l)" "$idle" "$db" "$(echo "$out" | field rate)"
  if [ "$n" -lt 100000 ]; then
    x=$(echo "$idle + ($rss - $idle) * 100000 / $n" | bc -l)
    xdb=$(echo "$db * 100000 / $n" | bc -l)
    printf 'bench verifier-memory-100k-devices: %.1f MiB ratio=%.2f vs idle verifier (%s MiB) EXTRAPOLATED linearly from %s devices; sqlite~%.0f MiB\n' \
      "$x" "$(echo "$x / $idle" | bc -l)" "$idle" "$n" "$xdb"
  else
    printf 'bench verifier-memory-100k-devices: %s MiB ratio=%.2f vs idle verifier (%s MiB) sqlite=%s MiB\n' \
      "$rss" "$(echo "$rss / $idle" | bc -l)" "$idle" "$db"
  fi
fi
