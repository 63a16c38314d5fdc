// SPDX-License-Identifier: Apache-2.0
// sd_notify(3) for the daemons, through libsystemd: no hand-written protocol.
#include "notify.h"

#include <stdio.h>

#include <systemd/sd-daemon.h>

void gw_notify_ready(const char *status)
{
	char msg[512];
	int n;

	if (!status) {
		(void)sd_notify(0, "READY=1");
		return;
	}
	n = snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	/* A status cut short is still a status; readiness must not be lost. */
	(void)sd_notify(0, n > 0 ? msg : "READY=1");
}

void gw_notify_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1");
}

void gw_notify_reloading(void)
{
	(void)sd_notify(0, "RELOADING=1");
}

void gw_notify_watchdog(void)
{
	(void)sd_notify(0, "WATCHDOG=1");
}

unsigned gw_notify_keepalive_ms(void)
{
	uint64_t usec = 0, ms;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	ms = usec / 2000u;
	if (ms == 0)
		return 1;
	return ms > GW_NOTIFY_KEEPALIVE_MAX_MS ? GW_NOTIFY_KEEPALIVE_MAX_MS : (unsigned)ms;
}
