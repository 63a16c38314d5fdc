/* SPDX-License-Identifier: Apache-2.0 */
/* The service manager's notification protocol (sd_notify(3)) for the daemons:
 * readiness, watchdog keep-alives and shutdown. Every call is a no-op when
 * $NOTIFY_SOCKET is unset (not started by systemd as Type=notify); failures to
 * notify are not errors of the daemon and are not reported. */
#ifndef GW_NOTIFY_H
#define GW_NOTIFY_H


/* READY=1, with STATUS=status when status is not NULL. */
void gw_notify_ready(const char *status);

/* STOPPING=1: the daemon is shutting down. */
void gw_notify_stopping(void);

/* RELOADING=1: the daemon reads its configuration again; gw_notify_ready() when
 * it is done (whether the new one was taken or refused). */
void gw_notify_reloading(void);
/* WATCHDOG=1: the daemon's main loop is alive. */
void gw_notify_watchdog(void);

/* How often to send WATCHDOG=1: half the service manager's watchdog timeout
 * ($WATCHDOG_USEC for this process, sd_watchdog_enabled(3)) in milliseconds, at
 * least 1 and at most GW_NOTIFY_KEEPALIVE_MAX_MS; 0 when no watchdog is set. */
#define GW_NOTIFY_KEEPALIVE_MAX_MS 3600000u
unsigned gw_notify_keepalive_ms(void);

#endif
