#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages Gatewarden needs to build, test and demo, if missing.
# usage: scripts/deps.sh [--deb]   (--deb: also what `make deb` needs)
set -euo pipefail

pkgs=(
  build-essential pkg-config clang llvm lld libclang-rt-dev valgrind
  libtss2-dev libssl-dev libjson-c-dev libinih-dev libcmocka-dev
  libevent-dev libcurl4-openssl-dev libsqlite3-dev libarchive-dev libzstd-dev
  # sd_notify for the daemons (common/notify.c); man pages from --help (make man,
  # make install); systemd-analyze checks the installed units (t_systemd_units)
  libsystemd-dev help2man systemd
  swtpm swtpm-tools tpm2-tools openssl xxd bc python3 util-linux
  faketime time
  # the agent's maintenance windows name IANA zones (agent/consent.c tests)
  tzdata
  libubootenv-dev libubootenv-tool grub-common
  # make bench compares `gwagent update install` with RAUC (scripts/bench_update.sh)
  rauc squashfs-tools dbus-daemon
  # the gateway VM (swtpm-tests/vm): QEMU, OVMF, GRUB's EFI modules, the guest's
  # busybox and socat, and the image tools (the guest kernel is downloaded, not installed)
  qemu-system-x86 ovmf grub-efi-amd64-bin busybox-static socat mtools dosfstools
  e2fsprogs fdisk zstd
)

# make deb / make deb-check (scripts/mkdeb.sh, swtpm-tests/t_deb.sh)
if [ "${1:-}" = --deb ]; then
  pkgs+=(dpkg-dev debhelper fakeroot lintian adduser)
fi

# Node.js runs the tests' independent JWT check (jose); Debian's is enough.
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
# python3's jsonschema checks doc/policy.schema.json against the policy parser's
# fixtures (swtpm-tests/t_policy_schema.sh); Debian's (4.10, draft 2020-12) is enough.
python3 -c 'import jsonschema' >/dev/null 2>&1 || pkgs+=(python3-jsonschema)
# The verifier's metrics are parsed by Prometheus' own text-format parser
# (swtpm-tests/t_verifier_metrics.sh).
/usr/bin/python3 -c 'import prometheus_client.parser' >/dev/null 2>&1 || pkgs+=(python3-prometheus-client)

here=$(cd "$(dirname "$0")/.." && pwd)
node_deps() {
  local dir=$here/swtpm-tests/node
  [ -f "$dir/package-lock.json" ] || return 0
  [ -d "$dir/node_modules/jose" ] && return 0
  echo "deps: installing the tests' node packages (npm ci in swtpm-tests/node)" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  node_deps
  exit 0
fi

echo "deps: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo)
else
  echo "deps: these packages are missing: ${missing[*]}" >&2
  echo "deps: run as root, or give this user sudo rights, or install them with:" >&2
  echo "      apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq >&2
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
node_deps
