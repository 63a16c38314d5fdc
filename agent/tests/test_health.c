// SPDX-License-Identifier: Apache-2.0
// Unit tests for the trial boot's health checks: the [health NAME] config sections
// (good and bad fixtures) and running real commands (exit status, output cap,
// timeout with its process group killed, the systemd unit check's command line).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "health.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/health"

static int load(const char *path, struct agent_config *cfg, gw_error *err)
{
	agent_config_defaults(cfg);
	return agent_config_load(path, cfg, err);
}

static void test_good(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/checks.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(cfg.nhealth, 3);
	assert_string_equal(cfg.health[0].name, "app");
	assert_string_equal(cfg.health[0].command, "/usr/bin/app-selftest --quick  -v");
	assert_null(cfg.health[0].unit);
	assert_int_equal(cfg.health[0].timeout, 5);
	assert_string_equal(cfg.health[1].name, "net");
	assert_string_equal(cfg.health[1].unit, "systemd-networkd.service");
	assert_int_equal(cfg.health[1].timeout, HEALTH_DEFAULT_TIMEOUT);
	assert_int_equal(cfg.health[2].timeout, 3600);
	assert_string_equal(cfg.model, "gw-1000");
	agent_config_fini(&cfg);
	assert_null(cfg.health);

	rc = load(FIXTURES "/good/max-checks.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(cfg.nhealth, HEALTH_MAX_CHECKS);
	agent_config_fini(&cfg);
	rc = load(FIXTURES "/good/max-words.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	agent_config_fini(&cfg);
}

static const struct bad_case {
	const char *file;
	int line;
	const char *detail;
} bad_cases[] = {
	{ "command-twice.conf", 3, "[health a]: 'command' given twice" },
	{ "no-command.conf", 2, "[health a]: give exactly one of 'command' and 'unit'" },
	{ "both.conf", 2, "[health a]: give exactly one of 'command' and 'unit'" },
	{ "command-empty.conf", 2, "[health a]: bad value for 'command': ''" },
	{ "unit-option.conf", 2, "[health a]: bad value for 'unit': '-app.service'" },
	{ "unit-no-type.conf", 2, "[health a]: bad value for 'unit': 'app'" },
	{ "unit-space.conf", 2, "[health a]: bad value for 'unit': 'app service.service'" },
	{ "timeout-zero.conf", 3, "[health a]: bad value for 'timeout': '0'" },
	{ "timeout-high.conf", 3, "[health a]: bad value for 'timeout': '3601'" },
	{ "timeout-unit.conf", 3, "[health a]: bad value for 'timeout': '5s'" },
	{ "unknown-key.conf", 3, "[health a]: unknown key 'shell'" },
	{ "name-slash.conf", 2, "health check name 'a/b'" },
	{ "name-empty.conf", 2, "health check name ''" },
	{ "repeated.conf", 6, "[health a]: check defined twice" },
	{ "too-many.conf", 66, "[health c32]: more than 32 health checks" },
	{ "too-many-words.conf", 2, "[health a]: bad value for 'command'" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct agent_config cfg;
		gw_error err = { { 0 } };
		char path[256], where[300];
		int rc;

		assert_true(snprintf(path, sizeof(path), FIXTURES "/bad/%s", c->file) <
			    (int)sizeof(path));
		rc = load(path, &cfg, &err);
		if (rc != GW_E_CONFIG)
			fail_msg("%s: rc %d (%s)", c->file, rc, gw_error_msg(&err, rc));
		assert_true(snprintf(where, sizeof(where), "%s:%d: ", path, c->line) <
			    (int)sizeof(where));
		if (strncmp(err.msg, where, strlen(where)) || !strstr(err.msg, c->detail))
			fail_msg("%s: want '%s%s', got '%s'", c->file, where, c->detail, err.msg);
		agent_config_fini(&cfg);
	}
}

static void test_split(void **state)
{
	char buf[64], *argv[4];

	(void)state;
	assert_int_equal(health_split_argv(" a  b\tc ", buf, sizeof(buf), argv, 4, NULL), 0);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[1], "b");
	assert_string_equal(argv[2], "c");
	assert_null(argv[3]);
	assert_int_equal(health_split_argv("a b c d", buf, sizeof(buf), argv, 4, NULL), GW_E_INVAL);
	assert_int_equal(health_split_argv(" \t ", buf, sizeof(buf), argv, 4, NULL), GW_E_INVAL);
	assert_int_equal(health_split_argv("", buf, sizeof(buf), argv, 4, NULL), GW_E_INVAL);
	{
		char line[sizeof(buf) + 1];

		memset(line, 'x', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\0';
		assert_int_equal(health_split_argv(line, buf, sizeof(buf), argv, 4, NULL),
				 GW_E_INVAL);
		line[sizeof(line) - 2] = '\0';
		assert_int_equal(health_split_argv(line, buf, sizeof(buf), argv, 4, NULL), 0);
	}
}

static void run(char *const argv[], unsigned timeout, struct health_result *r)
{
	gw_error err = { { 0 } };
	int rc;

	memset(r, 0, sizeof(*r));
	strcpy(r->name, "t");
	rc = health_exec(argv, timeout, r, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
}

static void test_exit_status(void **state)
{
	char *ok[] = { "true", NULL };
	char *bad[] = { "sh", "-c", "echo 'line one'; echo oops >&2; exit 3", NULL };
	char *missing[] = { "/nonexistent/gw-check", NULL };
	char *sig[] = { "sh", "-c", "kill -SEGV $$", NULL };
	struct health_result r;

	(void)state;
	run(ok, 5, &r);
	assert_true(r.ok);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.output, "");
	run(bad, 5, &r);
	assert_false(r.ok);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.output, "line one oops ");
	run(missing, 5, &r);
	assert_false(r.ok);
	assert_true(r.exec_failed);
	assert_non_null(strstr(r.output, "cannot execute"));
	run(sig, 5, &r);
	assert_false(r.ok);
	assert_int_equal(r.status, 128 + 11);
}

/* A check cannot forge lines of the agent's output, nor make it buffer without
 * bound. */
static void test_output_bounded(void **state)
{
	char *big[] = { "sh", "-c", "printf 'a\\033[2Jb\\n'; head -c 100000 /dev/zero", NULL };
	struct health_result r;

	(void)state;
	run(big, 10, &r);
	assert_true(r.ok);
	assert_true(r.output_truncated);
	assert_int_equal(strlen(r.output), HEALTH_OUTPUT_MAX);
	assert_memory_equal(r.output, "a.[2Jb ...", 10);
}

static bool pid_gone(const char *pidfile)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	uint64_t pid;
	char path[64], *stat = NULL, *p;
	bool gone = false;

	if (gw_read_file(pidfile, 64, &buf, &len, NULL))
		fail_msg("no pid file %s", pidfile);
	while (len && (buf[len - 1] == '\n'))
		buf[--len] = '\0';
	if (gw_parse_u64((char *)buf, 1u << 30, &pid))
		fail_msg("bad pid file %s", pidfile);
	free(buf);
	snprintf(path, sizeof(path), "/proc/%llu/stat", (unsigned long long)pid);
	/* Gone, or a zombie nobody reaped yet: either way it is not running. */
	for (int i = 0; i < 100 && !gone; i++) {
		if (gw_read_file(path, 4096, (uint8_t **)&stat, &len, NULL)) {
			gone = true;
			break;
		}
		p = strrchr(stat, ')');
		gone = p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
		free(stat);
		stat = NULL;
		if (!gone)
			usleep(20000);
	}
	return gone;
}

/* A hung check is killed at its timeout with everything it started, even when it
 * ignores SIGTERM. */
static void test_timeout_kills_group(void **state)
{
	char dir[] = "/tmp/gw-test-health.XXXXXX", pidfile[128], script[512];
	char *argv[] = { "sh", "-c", script, NULL };
	struct health_result r;
	long t0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", dir);
	snprintf(script, sizeof(script),
		 "trap '' TERM; sleep 120 & echo $! > %s; echo started; sleep 120", pidfile);
	t0 = (long)time(NULL);
	run(argv, 1, &r);
	assert_false(r.ok);
	assert_true(r.timed_out);
	assert_int_equal(r.status, 128 + 9);
	assert_string_equal(r.output, "started ");
	assert_true((long)time(NULL) - t0 < 30);
	assert_true(pid_gone(pidfile));
	unlink(pidfile);
	rmdir(dir);
}

/* A check that exits leaves nothing behind in its process group. */
static void test_exit_kills_leftovers(void **state)
{
	char dir[] = "/tmp/gw-test-health.XXXXXX", pidfile[128], script[512];
	char *argv[] = { "sh", "-c", script, NULL };
	struct health_result r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", dir);
	snprintf(script, sizeof(script), "sleep 120 >/dev/null 2>&1 & echo $! > %s", pidfile);
	run(argv, 30, &r);
	assert_true(r.ok);
	assert_true(r.millis < 20000);
	assert_true(pid_gone(pidfile));
	unlink(pidfile);
	rmdir(dir);
}

/* A check that double-forks into a session of its own (setsid) leaves its process
 * group: still killed, when the check exits and when it times out. */
static void test_setsid_descendant_killed(void **state)
{
	char dir[] = "/tmp/gw-test-health.XXXXXX", pidfile[128], script[768];
	char *argv[] = { "sh", "-c", script, NULL };
	struct health_result r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/daemon.pid", dir);
	for (int timed_out = 0; timed_out < 2; timed_out++) {
		unlink(pidfile);
		snprintf(script, sizeof(script),
			 "setsid sh -c 'echo $$ > %s; exec sleep 120' >/dev/null 2>&1 </dev/null & "
			 "i=0; while [ ! -s %s ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done%s",
			 pidfile, pidfile, timed_out ? "; sleep 120" : "");
		run(argv, timed_out ? 3 : 60, &r);
		assert_int_equal(r.timed_out, timed_out);
		assert_true(pid_gone(pidfile));
	}
	unlink(pidfile);
	rmdir(dir);
}

/* A unit check runs `systemctl is-active --quiet -- UNIT` from PATH, no shell; a
 * stand-in systemctl records its arguments. */
static void test_unit_check(void **state)
{
	char dir[] = "/tmp/gw-test-health.XXXXXX", path[256], args[300], *oldpath;
	struct agent_health h = { .name = "net", .unit = "app@x.service", .timeout = 10 };
	struct health_result r;
	gw_error err = { { 0 } };
	uint8_t *got = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/systemctl", dir);
	snprintf(args, sizeof(args), "%s/args", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"$*\" > %s\nexit 3\n", args);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
	oldpath = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	assert_int_equal(setenv("PATH", dir, 1), 0);
	assert_int_equal(health_run(&h, &r, &err), 0);
	assert_int_equal(setenv("PATH", oldpath, 1), 0);
	free(oldpath);
	assert_false(r.ok);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.name, "net");
	assert_int_equal(gw_read_file(args, 300, &got, &len, NULL), 0);
	assert_memory_equal(got, "is-active --quiet -- app@x.service\n", len);
	free(got);
	unlink(args);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_output_bounded),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_exit_kills_leftovers),
		cmocka_unit_test(test_setsid_descendant_killed),
		cmocka_unit_test(test_unit_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
