#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian packages (debian/) with `dpkg-buildpackage -us -uc -b` in a
# clean copy of the source tree (the files git tracks, plus new ones it does not
# ignore), so that neither the tree nor its parent directory gets build output.
# The .deb files and the .buildinfo/.changes end up in OUT_DIR (make deb:
# build/deb/).
#
# usage: scripts/mkdeb.sh OUT_DIR   (MKDEB_JOBS: parallel make jobs, default 2)
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
src=$out/src/gatewarden-$version

rm -rf "$out/src" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$root" && xargs -0 cp --parents -t "$src" --)
start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b -j"${MKDEB_JOBS:-2}") >"$out/build.log" 2>&1 || {
  tail -n 40 "$out/build.log" >&2
  echo "mkdeb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
  exit 1
}
mv "$out/src"/*.deb "$out/src"/*.buildinfo "$out/src"/*.changes "$out/"
rm -rf "$out/src"
echo "mkdeb: $(cd "$out" && ls ./*.deb | tr '\n' ' ')in $out ($(($(date +%s) - start)) s)"
