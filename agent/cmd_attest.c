// SPDX-License-Identifier: Apache-2.0
// gwagent attest and gwagent run: one attestation round with the verifier, and the
// daemon that repeats it.
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent.h"
#include "attest_round.h"
#include "ear_time.h"
#include "enroll_state.h"
#include "evidence_build.h"
#include "jwt.h"
#include "notify.h"
#include "renew.h"
#include "run_update.h"
#include "tpmdata.h"
#include "update_offer.h"
#include "util.h"
#include "vclient.h"

#define RUN_FIRST_BACKOFF 5
#define RUN_MAX_ROUNDS 1000000000ull

/* What happened to the certificate, for the output of attest and the daemon's log;
 * empty when nothing did. */
static void renew_line(const struct renew_outcome *r, char *buf, size_t len)
{
	char until[32];

	buf[0] = '\0';
	if (r->action != RENEW_NONE) {
		certinfo_time(r->cert.not_after, until, sizeof(until));
		snprintf(buf, len, "device certificate %s (%s): serial %s, valid until %s%s",
			 renew_action_name(r->action), r->reason, r->cert.serial, until,
			 r->action == RENEW_RECOVERED ? ", the TPM proved itself again" : "");
	} else if (r->renewal_failed) {
		snprintf(buf, len, "device certificate: renewal failed (%s), trying again next "
				   "round: %s", r->reason, r->failure);
	}
}

static void result_line(const struct round_result *res, char *buf, size_t len)
{
	size_t off;

	if (gw_snprintf(buf, len, "attest: %s: %s", res->device_id,
			answers_status_name(res->ear.status)))
		return;
	off = strlen(buf);
	for (size_t i = 0; i < res->ear.nfailed && off + 1 < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "; failed: ",
				 res->ear.failed[i]);

		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

static void print_json(const struct round_result *res)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return;
	}
	json_object_object_add(o, "device_id", json_object_new_string(res->device_id));
	json_object_object_add(o, "status",
			       json_object_new_string(answers_status_name(res->ear.status)));
	for (size_t i = 0; i < res->ear.nfailed; i++)
		json_object_array_add(a, json_object_new_string(res->ear.failed[i]));
	json_object_object_add(o, "failed_claims", a);
	if (res->ear.exp)
		json_object_object_add(o, "expires_at", json_object_new_int64(res->ear.exp));
	json_object_object_add(o, "cel_offset", json_object_new_int64(res->cel_offset));
	if (res->renew.action != RENEW_NONE) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "action", json_object_new_string(
							    renew_action_name(res->renew.action)));
		json_object_object_add(c, "serial", json_object_new_string(res->renew.cert.serial));
		json_object_object_add(c, "not_after", json_object_new_int64(res->renew.cert.not_after));
		json_object_object_add(o, "certificate", c);
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void attest_usage(FILE *f)
{
	fprintf(f, "usage: gwagent attest [--json]\n\n"
		   "One attestation round: asks the verifier for a nonce and a PCR selection,\n"
		   "quotes them with the AK (the evidence of 'gwagent quote'), sends the evidence,\n"
		   "checks the attestation result (EAR) with the pinned gate key and saves it as\n"
		   "STATE_DIR/last-result.jwt. First the device certificate is renewed when it\n"
		   "is in the last third of its lifetime (POST /v1/renew, a new key), or\n"
		   "recovered by credential activation when it has expired or is lost.\n\n"
		   "Exit status: 0 affirming, 23 warning, 24 contraindicated, 21 refused by the\n"
		   "verifier, 22 verifier unreachable, 25 an answer or EAR that does not verify,\n"
		   "5 not enrolled (doc/exit-codes.md).\n");
}

int cmd_attest(struct agent_ctx *ctx, int argc, char **argv)
{
	struct round_result res;
	gw_error err = { { 0 } };
	char line[1024];
	bool json = false;
	int rc;

	rc = agent_json_args(argc, argv, 0, 0, &json, attest_usage);
	if (rc != AGENT_ARGS_RUN)
		return rc;
	rc = attest_round(ctx, NULL, &res, &err);
	attest_round_fini(&res);
	if (res.renew.discarded[0])
		agent_errorf(ctx, "device certificate: removed an unreadable leftover of an "
				  "earlier renewal: %s", res.renew.discarded);
	renew_line(&res.renew, line, sizeof(line));
	if (line[0] && res.renew.renewal_failed)
		agent_errorf(ctx, "%s", line);
	else if (line[0])
		fprintf(json ? stderr : stdout, "%s\n", line);
	if (rc) {
		agent_errorf(ctx, "attest: %s", gw_error_msg(&err, rc));
		return res.exit_code;
	}
	if (json) {
		print_json(&res);
	} else {
		/* One line per failed claim; the daemon logs them all on one line. */
		printf("attest: %s: %s\n", res.device_id, answers_status_name(res.ear.status));
		for (size_t i = 0; i < res.ear.nfailed; i++)
			printf("  failed claim: %s\n", res.ear.failed[i]);
	}
	return res.exit_code;
}

/* ---- the daemon ---- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static bool use_syslog;

static void logf_(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int prio, const char *fmt, ...)
{
	char msg[2048], ts[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!gmtime_r(&now, &tm) || !strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm))
		ts[0] = '\0';
	fprintf(stderr, "%s gwagent[%ld]: %s\n", ts, (long)getpid(), msg);
	if (use_syslog)
		syslog(prio, "%s", msg);
}

/* interval ±10%, from the kernel's random numbers. */
static unsigned jittered(unsigned interval)
{
	uint32_t r = 0;
	unsigned spread = interval / 10;

	if (spread == 0 || getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		return interval;
	return interval - spread + (unsigned)(r % (2u * spread + 1));
}

/* Sleep up to seconds, a second at a time, until a stop signal; with systemd's
 * watchdog set, a keep-alive every keepalive_ms (or every second, if sooner). */
static void nap(unsigned seconds, unsigned keepalive_ms)
{
	uint64_t left = (uint64_t)seconds * 1000u;
	unsigned step = keepalive_ms && keepalive_ms < 1000u ? keepalive_ms : 1000u;

	while (left > 0 && !stop_signal) {
		unsigned ms = left < step ? (unsigned)left : step;
		struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };

		if (keepalive_ms)
			gw_notify_watchdog();
		nanosleep(&ts, NULL);
		left -= ms;
	}
}

/* After an affirming round: an offer the consent rules let install now is applied
 * and the reboot command run (run_update.h); the round's exit status, or the
 * apply's when it failed. Windows, deferrals and deadlines are judged by the time
 * expiry is (ear_time.h): the later of the system clock and the latest verified
 * result's, so a clock set back does not hold a critical deadline off. */
static int update_step(struct agent_ctx *ctx, int last)
{
	struct run_update_outcome u = { 0 };
	gw_error err = { { 0 } };
	enum ear_time_source src;
	int64_t now = 0;
	int rc = ear_time_now(ctx, &now, &src, &err);

	if (rc)
		gw_error_prefix(&err, "the time: ");
	else
		rc = run_update_step(ctx, now, &u, &err);

	if (u.what == RUN_UPDATE_WAITING && u.line[0])
		logf_(LOG_INFO, "update: %s", u.line);
	else if (u.what == RUN_UPDATE_APPLIED)
		logf_(LOG_NOTICE, "update: %s; reboot command run", u.line);
	if (rc) {
		logf_(LOG_ERR, "update: %s", gw_error_msg(&err, rc));
		return u.exit_code ? u.exit_code : gw_exit_for(rc);
	}
	return last;
}

static void run_usage(FILE *f)
{
	fprintf(f, "usage: gwagent run [--syslog] [--once | --rounds N] [--interval SECONDS]\n\n"
		   "The agent daemon: an attestation round (as 'gwagent attest', renewing the\n"
		   "device certificate when due) every attest_interval seconds of the config\n"
		   "(default %d) with +-10%% jitter.\n"
		   "When the verifier cannot be reached it tries again after 5 s, doubling up to\n"
		   "the interval. After an affirming round on a gateway with [update], the first\n"
		   "offered release the [consent] rules let install now (window, deferral,\n"
		   "security-only, critical deadline) is applied as 'gwagent update apply' does,\n"
		   "then the [update] reboot_command is run.\n"
		   "SIGTERM or SIGINT ends it after the current round, with exit\n"
		   "status 0. Log lines go to stderr with a UTC timestamp.\n\n"
		   "  --syslog            also log to syslog (facility daemon)\n"
		   "  --once, --rounds N  stop after 1 or N rounds (tests); the exit status is\n"
		   "                      then that of the last round, as for 'attest'\n"
		   "  --interval SECONDS  override attest_interval (%d-%d)\n",
		AGENT_DEFAULT_ATTEST_INTERVAL, AGENT_MIN_ATTEST_INTERVAL, AGENT_MAX_ATTEST_INTERVAL);
}

/* One round of the daemon, logged: attestation, then the update step after an
 * affirming one. *last gets the round's exit status. The delay before the next:
 * a backoff (doubling from RUN_FIRST_BACKOFF up to interval) while the verifier
 * is unreachable, else the jittered interval. */
static unsigned run_round(struct agent_ctx *ctx, unsigned interval, unsigned *backoff,
			  int *last)
{
	struct round_result res;
	gw_error err = { { 0 } };
	char line[2048];
	int rc;

	rc = attest_round(ctx, NULL, &res, &err);
	attest_round_fini(&res);
	*last = res.exit_code;
	if (res.renew.discarded[0])
		logf_(LOG_WARNING, "device certificate: removed an unreadable leftover of "
				   "an earlier renewal: %s", res.renew.discarded);
	renew_line(&res.renew, line, sizeof(line));
	if (line[0])
		logf_(res.renew.renewal_failed ? LOG_WARNING : LOG_NOTICE, "%s", line);
	if (rc) {
		logf_(LOG_ERR, "attest: %s", gw_error_msg(&err, rc));
	} else {
		result_line(&res, line, sizeof(line));
		logf_(res.ear.status == ANSWER_AFFIRMING ? LOG_INFO : LOG_WARNING, "%s", line);
		if (res.ear.status == ANSWER_AFFIRMING)
			*last = update_step(ctx, *last);
	}
	if (rc && vclient_retryable(&res.f) && (res.f.transport_failed || res.f.http_status)) {
		*backoff = *backoff ? *backoff * 2 : RUN_FIRST_BACKOFF;
		if (*backoff > interval)
			*backoff = interval;
		logf_(LOG_WARNING, "verifier unreachable: next try in %u s", *backoff);
		return *backoff;
	}
	*backoff = 0;
	return jittered(interval);
}

int cmd_run(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "syslog", no_argument, NULL, 's' },
		{ "once", no_argument, NULL, '1' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	uint64_t rounds = 0, v;
	unsigned interval = ctx->cfg.attest_interval, backoff = 0, keepalive;
	int c, last = GW_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			use_syslog = true;
			break;
		case '1':
			rounds = 1;
			break;
		case 'r':
			if (gw_parse_u64(optarg, RUN_MAX_ROUNDS, &rounds) || rounds == 0) {
				agent_errorf(ctx, "--rounds: 1 to %llu", RUN_MAX_ROUNDS);
				return GW_EXIT_USAGE;
			}
			break;
		case 'i':
			if (gw_parse_u64(optarg, AGENT_MAX_ATTEST_INTERVAL, &v) || v < 1) {
				agent_errorf(ctx, "--interval: 1 to %d seconds", AGENT_MAX_ATTEST_INTERVAL);
				return GW_EXIT_USAGE;
			}
			interval = (unsigned)v;
			break;
		case 'h':
			run_usage(stdout);
			return GW_EXIT_OK;
		default:
			run_usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		run_usage(stderr);
		return GW_EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal cuts a nap short. */
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL)) {
		agent_errorf(ctx, "sigaction: %s", strerror(errno));
		return GW_EXIT_ERROR;
	}
	if (use_syslog)
		openlog("gwagent", LOG_PID, LOG_DAEMON);
	logf_(LOG_INFO, "started: verifier rounds every %u s (+-10%%), state %s", interval,
	      ctx->state_dir);
	/* Ready once set up (configuration, TPM, signals), not after the first round:
	 * that round may install an update, longer than any start timeout. */
	gw_notify_ready("attesting");
	keepalive = gw_notify_keepalive_ms();
	for (uint64_t n = 0; !stop_signal && n < (rounds ? rounds : RUN_MAX_ROUNDS); n++) {
		unsigned delay = run_round(ctx, interval, &backoff, &last);

		if (rounds && n + 1 >= rounds)
			break;
		nap(delay, keepalive);
	}
	gw_notify_stopping();
	if (stop_signal) {
		logf_(LOG_INFO, "stopping on signal %d", (int)stop_signal);
		last = GW_EXIT_OK;
	}
	if (use_syslog)
		closelog();
	return rounds ? last : GW_EXIT_OK;
}
