/* SPDX-License-Identifier: Apache-2.0 */
/* The running verifier's process: its pid file (held locked while it serves, read
 * by `gwverifier reload`) and its signal loop (SIGHUP reloads, SIGTERM/SIGINT stop,
 * a periodic tick for housekeeping). */
#ifndef GW_VERIFIER_SERVE_RUN_H
#define GW_VERIFIER_SERVE_RUN_H

#include <stdbool.h>
#include <sys/types.h>

#include "gw_error.h"

/* Block SIGHUP, SIGINT and SIGTERM in the calling thread (and the threads it
 * starts afterwards), so that serve_wait() takes them. */
void serve_block_signals(void);

/* Create or open path, lock it (another holder: GW_E_STATE naming its pid) and
 * write this process's pid into it. *fd holds the lock until serve_pidfile_close.
 * Errors: GW_E_IO, GW_E_STATE. */
int serve_pidfile_open(const char *path, int *fd, gw_error *err) GW_WUR;
/* Remove path and release the lock; fd < 0 is a no-op. */
void serve_pidfile_close(const char *path, int fd);
/* The pid of the verifier that holds path locked. GW_E_NOTFOUND when no process
 * holds it (none serves), GW_E_PARSE when it holds no pid, GW_E_IO. */
int serve_pidfile_read(const char *path, pid_t *pid, gw_error *err) GW_WUR;

/* Is a signal serve_block_signals() blocked pending (not taken: serve_wait()
 * returns it)? Long work on the main thread asks between its steps. */
bool serve_signal_pending(void);

/* Wait for a signal serve_block_signals() blocked, at most tick_s seconds (0:
 * without a limit). Returns the signal, or 0 when the time ran out. */
int serve_wait(unsigned tick_s);

/* serve_loop.c: the main thread's loop until SIGTERM or SIGINT, which it
 * returns: SIGHUP reloads config (service_reload, logged), and with [retention]
 * set results are pruned and audit records archived at start and every
 * prune_interval, a round that left work (a rule's round_budget_ms used, or a
 * signal pending) followed by the next one a second later (the results rule
 * in it only when due: at its interval, or when it was what was left). */
struct service;
int serve_loop(struct service *svc, const char *config);

#endif
