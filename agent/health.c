// SPDX-License-Identifier: Apache-2.0
// Running a trial boot's health checks: fork/execvp without a shell, one process
// group per check killed at its timeout, every descendant (the agent is their
// subreaper while a check runs) killed when it ends, output captured bounded.
#define _GNU_SOURCE /* pipe2 */
#include "health.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define KILL_GRACE_MS 2000 /* between TERM and KILL of a check that timed out */
#define EXEC_FAILED 127
#define MAX_CHILDREN 256 /* listed per round of the descendants' kill */
#define KILL_ROUNDS 64	 /* rounds: each kills one more generation */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: never returns. Only async-signal-safe calls after fork. */
static void child_exec(char *const argv[], int out_fd)
{
	int null_fd = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(EXEC_FAILED);
	/* The agent's own descriptors (TPM connection, state lock) are not the
	 * check's business. */
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	{
		static const char msg[] = "health check: cannot execute the command\n";
		ssize_t w = write(2, msg, sizeof(msg) - 1);

		(void)w;
	}
	_exit(EXEC_FAILED);
}

/* Keep what fits, printable: control bytes and non-ASCII become '.', newlines
 * and tabs a space, so a check cannot forge lines of the agent's output. */
static void keep_output(struct health_result *r, size_t *used, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (*used >= HEALTH_OUTPUT_MAX) {
			r->output_truncated = true;
			return;
		}
		if (c == '\n' || c == '\t' || c == '\r')
			c = ' ';
		else if (c < 0x20 || c > 0x7e)
			c = '.';
		r->output[(*used)++] = (char)c;
	}
}

/* Read the check's output until it exits (or its time is up). */
static void collect(pid_t pid, int fd, long deadline, struct health_result *r, int *wstatus,
		    bool *exited)
{
	size_t used = 0;
	bool open_fd = true;
	char buf[1024];

	while (!*exited) {
		long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		if (left <= 0)
			break;
		if (open_fd) {
			n = poll(&p, 1, left > 100 ? 100 : (int)left);
			if (n > 0) {
				ssize_t got = read(fd, buf, sizeof(buf));

				if (got > 0)
					keep_output(r, &used, buf, (size_t)got);
				else if (got == 0 || (errno != EINTR && errno != EAGAIN))
					open_fd = false;
			}
		} else {
			struct timespec ts = { 0, 20 * 1000000L };

			nanosleep(&ts, NULL);
		}
		if (waitpid(pid, wstatus, WNOHANG) == pid)
			*exited = true;
	}
	/* What it wrote just before exiting. */
	while (open_fd) {
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got <= 0)
			break;
		keep_output(r, &used, buf, (size_t)got);
	}
	r->output[used] = '\0';
}

static void kill_group(pid_t pid, int *wstatus, bool *exited)
{
	long until = now_ms() + KILL_GRACE_MS;

	kill(-pid, SIGTERM);
	while (!*exited && now_ms() < until) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (waitpid(pid, wstatus, WNOHANG) == pid)
			*exited = true;
		else
			nanosleep(&ts, NULL);
	}
	kill(-pid, SIGKILL);
	if (!*exited && waitpid(pid, wstatus, 0) == pid)
		*exited = true;
}

/* The agent's children now, from /proc/PID/stat's parent field; at most max. */
static size_t list_children(pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	pid_t self = getpid();
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		char path[64], buf[512], *p;
		int fd, ppid = 0;
		ssize_t got;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		got = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (got <= 0)
			continue;
		buf[got] = '\0';
		/* pid (comm) state ppid ...: comm may hold anything, so after the last ')'. */
		p = strrchr(buf, ')');
		if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == self)
			out[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return n;
}

static bool listed(pid_t pid, const pid_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == pid)
			return true;
	return false;
}

/* Kill and reap every child the agent did not have before the check: what the
 * check left (in another session too) was reparented to the agent, its subreaper;
 * killing one generation hands the next to the agent, so go round again. */
static void kill_descendants(const pid_t *before, size_t nbefore)
{
	pid_t now[MAX_CHILDREN];

	for (int round = 0; round < KILL_ROUNDS; round++) {
		size_t n = list_children(now, GW_ARRAY_SIZE(now)), killed = 0;

		for (size_t i = 0; i < n; i++)
			if (!listed(now[i], before, nbefore) && !kill(now[i], SIGKILL))
				now[killed++] = now[i];
		if (!killed)
			break;
		for (size_t i = 0; i < killed; i++)
			(void)waitpid(now[i], NULL, 0);
	}
}

int health_exec(char *const argv[], unsigned timeout, struct health_result *r, gw_error *err)
{
	int fds[2] = { -1, -1 }, wstatus = 0, rc = 0, reaper = 0;
	pid_t before[MAX_CHILDREN];
	size_t nbefore = 0;
	bool exited = false;
	long start;
	pid_t pid;

	r->ok = r->timed_out = r->exec_failed = r->output_truncated = false;
	r->status = -1;
	r->output[0] = '\0';
	/* A check that calls setsid or daemonizes leaves its process group: as the
	 * subreaper, the agent gets what it leaves behind and kills it. */
	if (prctl(PR_GET_CHILD_SUBREAPER, &reaper, 0, 0, 0) ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		return gw_fail(err, GW_E_IO, "health check %s: PR_SET_CHILD_SUBREAPER: %s",
			       r->name, strerror(errno));
	nbefore = list_children(before, GW_ARRAY_SIZE(before));
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK)) {
		rc = gw_fail(err, GW_E_IO, "health check %s: pipe: %s", r->name, strerror(errno));
		goto out;
	}
	start = now_ms();
	pid = fork();
	if (pid < 0) {
		rc = gw_fail(err, GW_E_IO, "health check %s: fork: %s", r->name, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* The child's end must block: a check writing faster than we read waits. */
		int fl = fcntl(fds[1], F_GETFL);

		if (fl >= 0)
			fcntl(fds[1], F_SETFL, fl & ~O_NONBLOCK);
		child_exec(argv, fds[1]);
	}
	setpgid(pid, pid); /* also in the child: whichever runs first */
	close(fds[1]);
	fds[1] = -1;
	collect(pid, fds[0], start + (long)timeout * 1000, r, &wstatus, &exited);
	if (!exited) {
		r->timed_out = true;
		kill_group(pid, &wstatus, &exited);
	} else {
		/* Whatever it left running in its group goes with it. */
		kill(-pid, SIGKILL);
	}
	kill_descendants(before, nbefore);
	r->millis = now_ms() - start;
	if (exited && WIFEXITED(wstatus))
		r->status = WEXITSTATUS(wstatus);
	else if (exited && WIFSIGNALED(wstatus))
		r->status = 128 + WTERMSIG(wstatus);
	r->exec_failed = !r->timed_out && r->status == EXEC_FAILED;
	r->ok = !r->timed_out && r->status == 0;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	(void)prctl(PR_SET_CHILD_SUBREAPER, reaper, 0, 0, 0);
	return rc;
}

int health_run(const struct agent_health *h, struct health_result *r, gw_error *err)
{
	char buf[1024], *argv[HEALTH_MAX_ARGS + 1];
	char *unit_argv[] = { HEALTH_SYSTEMCTL, "is-active", "--quiet", "--", h->unit, NULL };
	int rc;

	memset(r, 0, sizeof(*r));
	rc = gw_snprintf(r->name, sizeof(r->name), "%s", h->name);
	if (rc)
		return gw_fail(err, rc, "health check name too long");
	if (h->unit)
		return health_exec(unit_argv, h->timeout, r, err);
	rc = health_split_argv(h->command, buf, sizeof(buf), argv, GW_ARRAY_SIZE(argv), err);
	if (rc) {
		gw_error_prefix(err, "[health %s]: ", h->name);
		return rc;
	}
	return health_exec(argv, h->timeout, r, err);
}
