// SPDX-License-Identifier: Apache-2.0
// The serving process's pid file and signal loop (serve_run.h).
#include "serve_run.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The signals the main thread takes (serve_wait) rather than a handler. */
static const int serve_sigs[] = { SIGHUP, SIGINT, SIGTERM };

static void serve_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < GW_ARRAY_SIZE(serve_sigs); i++)
		sigaddset(set, serve_sigs[i]);
}

void serve_block_signals(void)
{
	sigset_t set;

	serve_sigset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

bool serve_signal_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending))
		return false;
	for (size_t i = 0; i < GW_ARRAY_SIZE(serve_sigs); i++)
		if (sigismember(&pending, serve_sigs[i]) == 1)
			return true;
	return false;
}

int serve_wait(unsigned tick_s)
{
	sigset_t set;
	struct timespec ts = { .tv_sec = tick_s, .tv_nsec = 0 };
	int sig;

	serve_sigset(&set);
	for (;;) {
		sig = tick_s ? sigtimedwait(&set, NULL, &ts) : sigwaitinfo(&set, NULL);
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			return 0;
		/* EINTR: another signal's handler ran; wait again. */
	}
}

/* The pid in fd's file (at most 20 digits and a newline). */
static int read_pid(int fd, const char *path, pid_t *pid, gw_error *err)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	uint64_t v;

	if (n < 0)
		return gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (gw_parse_u64(buf, INT32_MAX, &v) || v < 2)
		return gw_fail(err, GW_E_PARSE, "%s: holds no process id", path);
	*pid = (pid_t)v;
	return 0;
}

int serve_pidfile_open(const char *path, int *fd, gw_error *err)
{
	char line[32];
	pid_t other;
	int f, rc, len;

	f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (f < 0)
		return gw_fail(err, GW_E_IO, "pid file %s: %s", path, strerror(errno));
	if (flock(f, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? GW_E_STATE : GW_E_IO;
		if (rc == GW_E_STATE && read_pid(f, path, &other, NULL) == 0)
			gw_fail(err, rc, "pid file %s: gwverifier serve %ld holds it", path,
				(long)other);
		else
			gw_fail(err, rc, "pid file %s: locked by another process", path);
		close(f);
		return rc;
	}
	len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(f, 0) || pwrite(f, line, (size_t)len, 0) != len || fsync(f)) {
		rc = gw_fail(err, GW_E_IO, "pid file %s: %s", path, strerror(errno));
		close(f);
		return rc;
	}
	*fd = f;
	return 0;
}

void serve_pidfile_close(const char *path, int fd)
{
	if (fd < 0)
		return;
	/* Unlinked while still locked: a new server's file is never the one removed. */
	unlink(path);
	close(fd);
}

int serve_pidfile_read(const char *path, pid_t *pid, gw_error *err)
{
	int f = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;

	if (f < 0 && errno == ENOENT)
		return gw_fail(err, GW_E_NOTFOUND, "no gwverifier serve is running (no %s)", path);
	if (f < 0)
		return gw_fail(err, GW_E_IO, "pid file %s: %s", path, strerror(errno));
	/* Free to lock: whoever wrote it is gone, and its pid may be another's now. */
	if (flock(f, LOCK_SH | LOCK_NB) == 0) {
		rc = gw_fail(err, GW_E_NOTFOUND,
			     "no gwverifier serve is running (%s is left over, not locked)", path);
	} else if (errno != EWOULDBLOCK) {
		rc = gw_fail(err, GW_E_IO, "pid file %s: %s", path, strerror(errno));
	} else {
		rc = read_pid(f, path, pid, err);
	}
	close(f);
	return rc;
}
