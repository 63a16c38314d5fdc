// SPDX-License-Identifier: Apache-2.0
// gwagent update pending, defer and accept: what the verifier offers this device,
// what the [consent] rules decide for each offer, and the owner's answers.
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent.h"
#include "ear_time.h"
#include "update_offer.h"
#include "update_state.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent update pending [--json]\n"
		   "       gwagent update defer ID [--until TIME|DURATION] [--json]\n"
		   "       gwagent update accept ID [--json]\n\n"
		   "pending  the releases the verifier offered in the latest verified\n"
		   "         attestation result: version, security version, size, notes,\n"
		   "         reboot requirement, deadline, and what the [consent] rules decide\n"
		   "         now (install, wait for a window, wait for consent, deferred).\n"
		   "defer    do not install release ID before TIME (YYYY-MM-DDTHH:MM:SSZ) or\n"
		   "         for DURATION (N, Ns, Nm, Nh, Nd); default: as long as allowed.\n"
		   "         A deferral never reaches past the release's deadline (a critical\n"
		   "         release's, else first offered + max_deferral).\n"
		   "accept   consent to install release ID at the next opportunity, inside a\n"
		   "         maintenance window or not.\n");
}

static const char *action_name(enum consent_action a)
{
	switch (a) {
	case CONSENT_INSTALL:
		return "install";
	case CONSENT_WAIT_WINDOW:
		return "wait-window";
	case CONSENT_WAIT_CONSENT:
		return "wait-consent";
	case CONSENT_DEFERRED:
		return "deferred";
	}
	return "?";
}

static void add_time(json_object *o, const char *key, int64_t t)
{
	char buf[GW_TIME_LEN];

	if (!t) {
		json_object_object_add(o, key, NULL);
		return;
	}
	gw_time_format_utc(t, buf);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static json_object *offer_json(const struct update_offer *f, const struct consent_decision *d)
{
	json_object *o = json_object_new_object(), *dj = json_object_new_object();
	char hex[65];

	gw_hex_encode(f->sha256, 32, hex);
	json_object_object_add(o, "id", json_object_new_string(f->id));
	json_object_object_add(o, "version", json_object_new_string(f->version));
	json_object_object_add(o, "security_version",
			       json_object_new_int64((int64_t)f->security_version));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
	json_object_object_add(o, "sha256", json_object_new_string(hex));
	json_object_object_add(o, "reboot_required", json_object_new_boolean(f->reboot_required));
	json_object_object_add(o, "critical", json_object_new_boolean(f->critical));
	add_time(o, "deadline", f->deadline);
	json_object_object_add(o, "notes", f->notes ? json_object_new_string(f->notes) : NULL);
	add_time(o, "offered_at", f->offered_at);
	json_object_object_add(o, "accepted", json_object_new_boolean(f->accepted));
	add_time(o, "defer_until", f->defer_until);
	json_object_object_add(dj, "action", json_object_new_string(action_name(d->action)));
	add_time(dj, "not_before", d->action == CONSENT_INSTALL ? 0 : d->not_before);
	json_object_object_add(dj, "reason", json_object_new_string(d->reason));
	json_object_object_add(o, "decision", dj);
	return o;
}

static void print_offer(const struct update_offer *f, const struct consent_decision *d)
{
	char t[GW_TIME_LEN];

	printf("release %s (version %s): security version %llu, %llu bytes%s\n", f->id,
	       f->version, (unsigned long long)f->security_version,
	       (unsigned long long)f->size, f->reboot_required ? ", reboot required" : "");
	gw_time_format_utc(f->offered_at, t);
	printf("  offered   %s%s\n", t, f->accepted ? ", accepted" : "");
	if (f->critical && f->deadline) {
		gw_time_format_utc(f->deadline, t);
		printf("  critical  deadline %s\n", t);
	}
	printf("  decision  %s", action_name(d->action));
	if (d->action != CONSENT_INSTALL && d->not_before) {
		gw_time_format_utc(d->not_before, t);
		printf(" until %s", t);
	}
	printf(": %s\n", d->reason);
	if (f->notes) {
		const char *p = f->notes;

		printf("  notes\n");
		while (*p) {
			const char *nl = strchr(p, '\n');
			int n = nl ? (int)(nl - p) : (int)strlen(p);

			printf("    %.*s\n", n, p);
			p += n + (nl ? 1 : 0);
		}
	}
}

/* 0: go on; -1: --help was printed; else the exit code. */
static int parse_opts(int argc, char **argv, bool *json, const char **until)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "until", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			*json = true;
		} else if (c == 'u' && until) {
			*until = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return -1;
		} else {
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	return 0;
}

/* The time the consent rules judge by: as expiry's (ear_time.h), the later of the
 * system clock and the latest verified result's, so a clock set back neither
 * holds off a deadline nor stretches a deferral (doc/consent.md). */
static int consent_now(struct agent_ctx *ctx, int64_t *now, gw_error *err)
{
	enum ear_time_source src;
	int rc = ear_time_now(ctx, now, &src, err);

	if (rc)
		gw_error_prefix(err, "the time: ");
	return rc;
}

int update_pending_main(struct agent_ctx *ctx, int argc, char **argv)
{
	struct update_offers offers;
	gw_error err = { { 0 } };
	json_object *arr = NULL;
	int64_t now = 0;
	uint64_t sv = 0;
	bool json = false;
	int rc = parse_opts(argc, argv, &json, NULL);

	if (rc)
		return rc < 0 ? GW_EXIT_OK : rc;
	if (optind != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	update_offers_init(&offers);
	rc = consent_now(ctx, &now, &err);
	if (!rc)
		rc = update_offers_load(ctx, &offers, &err);
	if (!rc)
		rc = update_committed_sv(ctx, &sv, &err);
	if (rc)
		goto out;
	arr = json_object_new_array();
	if (!json && !offers.n)
		printf("no release offered (as of the latest verified attestation result)\n");
	for (size_t i = 0; i < offers.n && !rc; i++) {
		const struct update_offer *f = &offers.offer[i];
		struct consent_offer co = update_offer_consent(f, sv);
		struct consent_answer a = { f->accepted, f->defer_until };
		struct consent_decision d;

		rc = consent_decide(&ctx->cfg.consent, &co, &a, now, &d, &err);
		if (!rc && json)
			json_object_array_add(arr, offer_json(f, &d));
		else if (!rc)
			print_offer(f, &d);
	}
	if (!rc && json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "auto_install", json_object_new_string(
				       consent_mode_name(ctx->cfg.consent.mode)));
		json_object_object_add(o, "committed_security_version",
				       json_object_new_int64((int64_t)sv));
		json_object_object_add(o, "offers", arr);
		arr = NULL;
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
out:
	json_object_put(arr);
	update_offers_fini(&offers);
	return rc ? agent_report(ctx, rc, &err, "update pending") : GW_EXIT_OK;
}

/* TIME or DURATION from now. */
static int parse_until(const char *s, int64_t now, int64_t *out)
{
	int64_t d;

	if (!gw_time_parse_utc(s, out))
		return 0;
	if (consent_duration_parse(s, &d) || !d)
		return GW_E_PARSE;
	*out = now + d;
	return 0;
}

/* defer (until_arg may be NULL) or accept ID. */
static int answer(struct agent_ctx *ctx, int argc, char **argv, bool accept)
{
	struct update_offers offers;
	struct update_offer *f;
	gw_error err = { { 0 } };
	const char *until_arg = NULL;
	int64_t now = 0, until = 0, granted = 0;
	uint64_t sv = 0;
	bool json = false;
	int rc = parse_opts(argc, argv, &json, accept ? NULL : &until_arg);

	if (rc)
		return rc < 0 ? GW_EXIT_OK : rc;
	if (optind + 1 != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!accept) {
		rc = consent_now(ctx, &now, &err);
		if (rc)
			return agent_report(ctx, rc, &err, "update defer");
	}
	if (until_arg && parse_until(until_arg, now, &until)) {
		agent_errorf(ctx, "update defer: --until '%s': a time YYYY-MM-DDTHH:MM:SSZ or a "
				  "duration N[smhd]", until_arg);
		return GW_EXIT_USAGE;
	}
	update_offers_init(&offers);
	rc = agent_lock_state(ctx, &err);
	if (!rc)
		rc = update_offers_load(ctx, &offers, &err);
	if (!rc)
		rc = update_committed_sv(ctx, &sv, &err);
	if (rc)
		goto out;
	f = update_offers_find(&offers, argv[optind]);
	if (!f) {
		rc = gw_fail(&err, GW_E_STATE, "release '%s' is not offered to this device",
			     argv[optind]);
		goto out;
	}
	if (accept) {
		f->accepted = true;
		f->defer_until = 0;
	} else {
		struct consent_offer co = update_offer_consent(f, sv);

		rc = consent_defer(&ctx->cfg.consent, &co, now, until, &granted, &err);
		if (rc)
			goto out;
		f->accepted = false;
		f->defer_until = granted;
	}
	rc = update_offers_save(ctx, &offers, &err);
	if (rc)
		goto out;
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(f->id));
		json_object_object_add(o, "result", json_object_new_string(accept ? "accepted"
										  : "deferred"));
		add_time(o, "defer_until", f->defer_until);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else if (accept) {
		printf("release %s accepted: it installs at the next opportunity\n", f->id);
	} else {
		char t[GW_TIME_LEN];

		gw_time_format_utc(granted, t);
		printf("release %s deferred until %s\n", f->id, t);
	}
out:
	update_offers_fini(&offers);
	return rc ? agent_report(ctx, rc, &err, accept ? "update accept" : "update defer")
		  : GW_EXIT_OK;
}

int update_defer_main(struct agent_ctx *ctx, int argc, char **argv)
{
	return answer(ctx, argc, argv, false);
}

int update_accept_main(struct agent_ctx *ctx, int argc, char **argv)
{
	return answer(ctx, argc, argv, true);
}
