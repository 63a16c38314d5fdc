#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes the man pages from their one source each, so they cannot drift:
#   gwagent(8), gwverifier(8), gwpolicy(1): help2man from the built binary's
#     `--help` and `--version`, every command's `COMMAND --help` as a section of
#     its own, plus man/PROGRAM.h2m (description, files, environment, see also);
#   gatewarden-agent.conf(5), gatewarden-verifier.conf(5): man/NAME.5.head (roff)
#     followed by the sample configuration dist/config/*.conf as shipped.
#
# usage: scripts/mkman.sh BUILD_DIR OUT_DIR
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
out=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v help2man >/dev/null 2>&1 || {
  echo "mkman: help2man is missing (Debian package help2man; scripts/deps.sh --man)" >&2
  exit 1
}
mkdir -p "$out"
# Pages are made in a directory beside OUT_DIR and renamed into it, so that a
# second run at the same time (two scenarios' `make install`) never lets the
# other read a page half written.
work=$(mktemp -d "$out/.mkman.XXXXXX")
trap 'rm -rf "$work"' EXIT
final=$out
out=$work/pages
mkdir "$out"

# help2man runs PROGRAM --help; this wrapper answers with the binary's help and
# then each command's, under a heading help2man turns into a section.
wrapper() {
  local prog=$1
  cat >"$work/$prog" <<WRAP
#!/bin/sh
bin='$build/$prog'
case "\$1" in
--version) exec "\$bin" --version ;;
--help)
  "\$bin" --help || exit 1
  for c in \$("\$bin" --help | sed -n 's/^  \\([a-z][a-z-]*\\)  .*/\\1/p'); do
    printf '\\nCommand %s:\\n' "\$c"
    "\$bin" "\$c" --help | sed "s/^/  /" || exit 1
  done ;;
*) exit 2 ;;
esac
WRAP
  chmod +x "$work/$prog"
}

page() { # PROGRAM SECTION NAME-LINE
  local prog=$1 sec=$2 name=$3 version
  wrapper "$prog"
  version=$("$build/$prog" --version | sed -n "1s/^$prog //p")
  help2man --no-info --section "$sec" --name "$name" --source "Gatewarden $version" \
    --manual Gatewarden --include "$root/man/$prog.h2m" \
    --output "$out/$prog.$sec" "$work/$prog"
  # help2man names the page after the wrapper's path; nothing of the build
  # directory may end up in an installed page.
  if grep -q -- "$work\|$build" "$out/$prog.$sec"; then
    echo "mkman: $out/$prog.$sec names a build path" >&2
    exit 1
  fi
}

page gwagent 8 "Gatewarden agent: TPM measurements, attestation and updates on a gateway"
page gwverifier 8 "Gatewarden verifier: enrollment, appraisal, update gate and operator commands"
page gwpolicy 1 "Gatewarden release tools: keys, trust roots, signed policies and bundles"

# The configuration pages: the roff head, then the shipped sample verbatim
# (backslashes doubled, a leading dot or quote kept from being a request).
version=$("$build/gwagent" --version | sed -n '1s/^gwagent //p')
for conf in agent verifier; do
  name=gatewarden-$conf.conf
  {
    sed "s/@VERSION@/$version/" "$root/man/$name.5.head"
    printf '.SH THE SHIPPED FILE\n.nf\n'
    sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" "$root/dist/config/$conf.conf"
    printf '.fi\n'
  } >"$out/$name.5"
done
for f in "$out"/*; do
  mv -f "$f" "$final/"
done
