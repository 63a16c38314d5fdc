#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The systemd units `make install` installs: paths substituted, ordered as
# systemd's Automatic Boot Assessment expects (gwagent-boot.service a oneshot that
# stays active, before and required by boot-complete.target), and accepted by
# `systemd-analyze verify` when systemd is installed (a broken copy is not).
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"

prefix=$GW_TMP/prefix
units=$prefix/lib/systemd/system
check make-install make -s -C "$GW_ROOT" install "PREFIX=$prefix" "B=$GW_BIN"
expect_file boot-unit-installed "$units/gwagent-boot.service"
expect_file daemon-unit-installed "$units/gwagent.service"
boot=$units/gwagent-boot.service daemon=$units/gwagent.service
expect_output_not_contains -n placeholders-substituted '@[A-Z]+@' "$boot" "$daemon"
expect_output_contains -n boot-execstart "^ExecStart=$prefix/bin/gwagent boot\$" "$boot"
expect_output_contains -n boot-oneshot '^Type=oneshot$' "$boot"
expect_output_contains -n boot-remains '^RemainAfterExit=yes$' "$boot"
expect_output_contains -n boot-before-boot-complete '^Before=boot-complete\.target$' "$boot"
expect_output_contains -n boot-required-by-boot-complete '^RequiredBy=boot-complete\.target$' "$boot"
expect_output_contains -n boot-after-default '^After=default\.target' "$boot"
expect_output_contains -n daemon-execstart "^ExecStart=$prefix/bin/gwagent run\$" "$daemon"
expect_output_contains -n daemon-after-boot '^After=.*gwagent-boot\.service' "$daemon"
expect_file gwagent-installed "$prefix/bin/gwagent"

if command -v systemd-analyze >/dev/null 2>&1; then
  check verify-units systemd-analyze verify "$boot" "$daemon"
  mkdir -p "$GW_TMP/broken"
  sed 's|^ExecStart=.*|ExecStart=/nonexistent/gwagent boot|' "$boot" \
    >"$GW_TMP/broken/gwagent-boot.service"
  expect_exit -n verify-refuses-broken nonzero systemd-analyze verify \
    "$GW_TMP/broken/gwagent-boot.service"
else
  skip verify-units "systemd-analyze is not installed (Debian package systemd)"
fi
