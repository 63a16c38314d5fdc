#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The systemd units `make install` installs: paths substituted, ordered as
# systemd's Automatic Boot Assessment expects (gwagent-boot.service a oneshot that
# stays active, before and required by boot-complete.target), the daemons
# Type=notify with a watchdog and sandboxed, the verifier as the gatewarden user
# with its state directory and a raised descriptor limit; every unit accepted by
# `systemd-analyze verify` (a broken copy is not), both installed under a PREFIX
# and into a DESTDIR with PREFIX=/usr checked with --root, their man: pages
# found among the installed ones.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"

prefix=$GW_TMP/prefix
units=$prefix/lib/systemd/system
check make-install make -s -C "$GW_ROOT" install "PREFIX=$prefix" "B=$GW_BIN"
expect_file boot-unit-installed "$units/gwagent-boot.service"
expect_file daemon-unit-installed "$units/gwagent.service"
expect_file verifier-unit-installed "$units/gwverifier.service"
boot=$units/gwagent-boot.service daemon=$units/gwagent.service verifier=$units/gwverifier.service
expect_output_not_contains -n placeholders-substituted '@[A-Z]+@' "$boot" "$daemon" "$verifier"
aconf=$prefix/etc/gatewarden/agent.conf
expect_output_contains -n boot-execstart "^ExecStart=$prefix/bin/gwagent --config $aconf boot\$" "$boot"
expect_output_contains -n boot-oneshot '^Type=oneshot$' "$boot"
expect_output_contains -n boot-remains '^RemainAfterExit=yes$' "$boot"
expect_output_contains -n boot-before-boot-complete '^Before=boot-complete\.target$' "$boot"
expect_output_contains -n boot-required-by-boot-complete '^RequiredBy=boot-complete\.target$' "$boot"
expect_output_contains -n boot-after-default '^After=default\.target' "$boot"
expect_output_contains -n daemon-execstart "^ExecStart=$prefix/bin/gwagent --config $aconf run\$" "$daemon"
expect_output_contains -n daemon-after-boot '^After=.*gwagent-boot\.service' "$daemon"
expect_output_contains -n verifier-execstart \
  "^ExecStart=$prefix/bin/gwverifier serve --config $prefix/etc/gatewarden/verifier.conf\$" "$verifier"
for u in "$daemon" "$verifier"; do
  n=$(basename "$u" .service)
  expect_output_contains -n "$n-notify" '^Type=notify$' "$u"
  expect_output_contains -n "$n-watchdog" '^WatchdogSec=[0-9]+' "$u"
  expect_output_contains -n "$n-notify-main" '^NotifyAccess=main$' "$u"
done
for u in "$boot" "$daemon" "$verifier"; do
  n=$(basename "$u" .service)
  expect_output_contains -n "$n-protect-system" '^ProtectSystem=strict$' "$u"
  expect_output_contains -n "$n-no-new-privileges" '^NoNewPrivileges=yes$' "$u"
  expect_output_contains -n "$n-private-tmp" '^PrivateTmp=yes$' "$u"
  expect_output_contains -n "$n-state-directory" '^StateDirectory=gatewarden$' "$u"
  expect_output_contains -n "$n-documentation" "^Documentation=man:gw(agent|verifier)\\(8\\)" "$u"
done
expect_output_contains -n verifier-user '^User=gatewarden$' "$verifier"
expect_output_contains -n verifier-group '^Group=gatewarden$' "$verifier"
expect_output_contains -n verifier-nofile '^LimitNOFILE=65536$' "$verifier"
# The agent needs the TPM's device: nothing may hide /dev from it.
expect_output_not_contains -n agent-sees-devices '^(PrivateDevices=yes|DevicePolicy=)' "$boot" "$daemon"
expect_file gwagent-installed "$prefix/bin/gwagent"

if command -v systemd-analyze >/dev/null 2>&1; then
  # The Documentation= man: pages must be the installed ones.
  check verify-units env MANPATH="$prefix/share/man" systemd-analyze verify "$boot" "$daemon" "$verifier"
  mkdir -p "$GW_TMP/broken"
  sed 's|^ExecStart=.*|ExecStart=/nonexistent/gwagent boot|' "$boot" \
    >"$GW_TMP/broken/gwagent-boot.service"
  expect_exit -n verify-refuses-broken nonzero env MANPATH="$prefix/share/man" \
    systemd-analyze verify "$GW_TMP/broken/gwagent-boot.service"
  sed 's|^Documentation=man:gwverifier(8)|Documentation=man:gwverifier-missing(8)|' "$verifier" \
    >"$GW_TMP/broken/gwverifier.service"
  expect_exit -n verify-refuses-missing-man-page nonzero env MANPATH="$prefix/share/man" \
    systemd-analyze verify "$GW_TMP/broken/gwverifier.service"

  # As a package installs them: PREFIX=/usr into a DESTDIR, verified with --root
  # (the system's own units copied in, for the targets they name).
  root=$GW_TMP/root
  mkdir -p "$root/lib/systemd"
  cp -a /lib/systemd/system "$root/lib/systemd/"
  check make-install-destdir make -s -C "$GW_ROOT" install "DESTDIR=$root" PREFIX=/usr \
    SYSTEMDUNITDIR=/lib/systemd/system "B=$GW_BIN"
  expect_output_contains -n destdir-execstart '^ExecStart=/usr/bin/gwverifier serve --config /etc/gatewarden/verifier.conf$' \
    "$root/lib/systemd/system/gwverifier.service"
  check verify-units-destdir env MANPATH="$root/usr/share/man" systemd-analyze --root="$root" \
    verify "$root"/lib/systemd/system/gwagent-boot.service \
    "$root"/lib/systemd/system/gwagent.service "$root"/lib/systemd/system/gwverifier.service
  rm "$root/usr/bin/gwverifier"
  expect_exit -n verify-destdir-refuses-missing-binary nonzero env MANPATH="$root/usr/share/man" \
    systemd-analyze --root="$root" verify "$root"/lib/systemd/system/gwverifier.service
else
  skip verify-units "systemd-analyze is not installed (Debian package systemd)"
fi
