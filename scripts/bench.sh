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

# 2. Offline appraisal (evidence parse, signature, quote checks, CEL replay) of an
#    evidence file with 24 quoted PCRs and a 64-record CEL log, on one core, against
#    OpenSSL's ECDSA P-256 verify rate on the same core.
speed=$(taskset -c 0 openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $NF}')
rate=$(taskset -c 0 "$B/bench/bench_appraise" 3)
printf 'bench appraise-24pcr-64cel: %.0f appraisals/s ratio=%.2f vs openssl speed ecdsap256 verify (%.0f verify/s) target>=0.7\n' \
  "$rate" "$(echo "$rate / $speed" | bc -l)" "$speed"
