// SPDX-License-Identifier: Apache-2.0
// gwagent update status: what is installed in each slot group, what the bootloader
// will boot, the anti-rollback counters and how the last update ended, as text or
// JSON.
#include "update_status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "counter.h"
#include "update_state.h"
#include "jsonobj.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent update status [--json]\n\n"
		   "Shows each slot group (classes and devices, state, version, security\n"
		   "version, manifest digest, whether it runs, is the primary, is on trial\n"
		   "and its tries left), the anti-rollback counters, the last update's\n"
		   "outcome and the release notes of the installed manifests.\n");
}

static json_object *root_json(struct agent_ctx *ctx, struct root **root)
{
	json_object *o = json_object_new_object();
	char when[GW_TIME_LEN];
	gw_error err = { { 0 } };
	int rc = update_root_load(ctx, time(NULL), root, &err);

	if (rc) {
		gw_json_add_str(o, "error", gw_error_msg(&err, rc));
		return o;
	}
	gw_time_format_utc((int64_t)(*root)->expires, when);
	json_object_object_add(o, "version", json_object_new_int64((int64_t)(*root)->version));
	gw_json_add_str(o, "expires", when);
	gw_json_add_str(o, "sha256", (*root)->digest_hex);
	return o;
}

static json_object *classes_json(const struct agent_update_config *u, enum bl_group g)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < u->nslots; i++) {
		json_object *c;

		if (u->slots[i].group != g)
			continue;
		c = json_object_new_object();
		gw_json_add_str(c, "class", u->slots[i].class_name);
		gw_json_add_str(c, "device", u->slots[i].device);
		json_object_array_add(a, c);
	}
	return a;
}

/* The stored manifest's release notes, verified against the pinned root. */
static void manifest_json(struct agent_ctx *ctx, const struct root *root, enum bl_group g,
			  json_object *o)
{
	struct manifest *m = NULL;
	gw_error err = { { 0 } };
	int rc;

	if (!root)
		return;
	rc = update_manifest_load(ctx, root, g, &m, &err);
	if (rc) {
		gw_json_add_str(o, "manifest_error", gw_error_msg(&err, rc));
		return;
	}
	gw_json_add_str(o, "notes", m->notes);
	json_object_object_add(o, "reboot_required", json_object_new_boolean(m->reboot_required));
	manifest_free(m);
}

static json_object *group_json(struct agent_ctx *ctx, const struct update_state *st,
			       const struct root *root, const struct bl_status *bs, int booted,
			       enum bl_group g)
{
	const struct slot_group_state *s = &st->group[g];
	json_object *o = json_object_new_object();
	char name[2] = { bl_group_char(g), 0 }, hex[65] = "", when[GW_TIME_LEN];

	gw_json_add_str(o, "group", name);
	json_object_object_add(o, "classes", classes_json(&ctx->cfg.update, g));
	gw_json_add_str(o, "state", slot_state_name(s->state));
	gw_json_add_str(o, "version", s->version[0] ? s->version : NULL);
	json_object_object_add(o, "security_version",
			       s->has_manifest ? json_object_new_int64((int64_t)s->security_version)
					       : NULL);
	if (s->has_manifest)
		gw_hex_encode(s->manifest_digest, 32, hex);
	gw_json_add_str(o, "manifest_sha256", s->has_manifest ? hex : NULL);
	gw_time_format_utc((int64_t)s->installed, when);
	gw_json_add_str(o, "installed", s->installed ? when : NULL);
	json_object_object_add(o, "booted", json_object_new_boolean(booted == (int)g));
	if (bs) {
		json_object_object_add(o, "primary", json_object_new_boolean(bs->primary == g));
		json_object_object_add(o, "bootable", json_object_new_boolean(bs->bootable[g]));
		json_object_object_add(o, "trial", json_object_new_boolean(bs->trial[g]));
		json_object_object_add(o, "tries_left", json_object_new_int((int)bs->tries_left[g]));
	}
	if (s->has_manifest)
		manifest_json(ctx, root, g, o);
	return o;
}

static json_object *counters_json(struct agent_ctx *ctx)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ctx->cfg.nchannels; i++) {
		const struct agent_channel *c = &ctx->cfg.channels[i];
		struct counter_channel ch = { c->name, c->counter_index, c->baseline_index };
		json_object *o = json_object_new_object();
		struct counter_state cs;
		gw_error err = { { 0 } };
		int rc = counter_read(ctx->tpm, &ch, &cs, &err);

		gw_json_add_str(o, "channel", c->name);
		if (rc) {
			gw_json_add_str(o, "error", gw_error_msg(&err, rc));
		} else {
			json_object_object_add(o, "value", json_object_new_int64((int64_t)cs.value));
			json_object_object_add(o, "baseline",
					       json_object_new_int64((int64_t)cs.baseline));
			json_object_object_add(o, "security_version",
					       json_object_new_int64((int64_t)cs.security_version));
		}
		json_object_array_add(a, o);
	}
	return a;
}

/* The bootloader's view; its failure is shown, not fatal. */
static json_object *bootloader_json(struct agent_ctx *ctx, struct bl_status *bs, bool *have,
				    int *booted)
{
	const struct agent_update_config *u = &ctx->cfg.update;
	struct bl_config blc = { .kind = u->bootloader, .path = u->bootloader_path,
				 .cmdline_path = u->cmdline };
	json_object *o = json_object_new_object();
	struct bootloader *bl = NULL;
	gw_error err = { { 0 } };
	enum bl_group g;
	int rc;

	*have = false;
	*booted = -1;
	gw_json_add_str(o, "kind", bl_kind_name(u->bootloader));
	gw_json_add_str(o, "path", u->bootloader_path);
	rc = bl_open(&blc, &bl, &err);
	if (!rc)
		rc = bl_get_status(bl, bs, &err);
	if (!rc) {
		*have = true;
		rc = bl_booted(bl, &g, &err);
		if (!rc)
			*booted = (int)g;
	}
	if (rc)
		gw_json_add_str(o, "error", gw_error_msg(&err, rc));
	bl_close(bl);
	return o;
}

static bool jbool(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static void print_group(json_object *g)
{
	json_object *classes = json_object_object_get(g, "classes");
	const char *v = gw_json_str(g, "version"), *notes = gw_json_str(g, "notes"), *e;
	const char *sv = gw_json_str(g, "security_version");

	printf("group %s: %s", gw_json_str(g, "group"), gw_json_str(g, "state"));
	/* An install cut short has the version but no manifest yet: no security
	 * version (null in the JSON). */
	if (v)
		printf(", version %s", v);
	if (v && sv)
		printf(", security version %s", sv);
	if (jbool(g, "booted"))
		printf(", running");
	if (jbool(g, "primary"))
		printf(", primary");
	if (json_object_object_get(g, "bootable") && !jbool(g, "bootable"))
		printf(", not bootable");
	if (jbool(g, "trial"))
		printf(", on trial (tries left: %s)", gw_json_str(g, "tries_left"));
	putchar('\n');
	for (size_t i = 0; i < json_object_array_length(classes); i++) {
		json_object *c = json_object_array_get_idx(classes, i);

		printf("  %-10s %s\n", gw_json_str(c, "class"), gw_json_str(c, "device"));
	}
	if ((v = gw_json_str(g, "manifest_sha256")))
		printf("  manifest sha256:%s, installed %s\n", v, gw_json_str(g, "installed"));
	if ((e = gw_json_str(g, "manifest_error")))
		printf("  manifest: %s\n", e);
	if (notes)
		printf("  release notes:\n    %s\n", notes);
}

void update_status_print(json_object *o)
{
	json_object *root = json_object_object_get(o, "trust_root");
	json_object *bl = json_object_object_get(o, "bootloader");
	json_object *a;
	const char *e;

	if ((e = gw_json_str(root, "error")))
		printf("trust root: %s\n", e);
	else
		printf("trust root: version %s, expires %s, sha256:%s\n", gw_json_str(root, "version"),
		       gw_json_str(root, "expires"), gw_json_str(root, "sha256"));
	e = gw_json_str(bl, "error");
	printf("bootloader: %s (%s)%s%s\n", gw_json_str(bl, "kind"), gw_json_str(bl, "path"), e ? ": " : "",
	       e ? e : "");
	a = json_object_object_get(o, "slots");
	for (size_t i = 0; i < json_object_array_length(a); i++)
		print_group(json_object_array_get_idx(a, i));
	a = json_object_object_get(o, "counters");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *c = json_object_array_get_idx(a, i);

		if ((e = gw_json_str(c, "error")))
			printf("counter %s: %s\n", gw_json_str(c, "channel"), e);
		else
			printf("counter %s: security version %s (value %s, baseline %s)\n",
			       gw_json_str(c, "channel"), gw_json_str(c, "security_version"), gw_json_str(c, "value"),
			       gw_json_str(c, "baseline"));
	}
	printf("last outcome: %s%s%s%s\n", gw_json_str(o, "last_outcome"),
	       *gw_json_str(o, "last_detail") ? " (" : "", gw_json_str(o, "last_detail"),
	       *gw_json_str(o, "last_detail") ? ")" : "");
}

json_object *update_status_json(struct agent_ctx *ctx, gw_error *err, int *rc)
{
	struct update_state st;
	struct root *root = NULL;
	struct bl_status bs;
	json_object *o, *slots;
	bool have_bs;
	int booted;

	*rc = update_state_load(ctx, &st, err);
	if (*rc)
		return NULL;
	o = json_object_new_object();
	if (!o) {
		*rc = gw_fail(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	json_object_object_add(o, "trust_root", root_json(ctx, &root));
	json_object_object_add(o, "bootloader", bootloader_json(ctx, &bs, &have_bs, &booted));
	slots = json_object_new_array();
	for (int g = 0; g < BL_NGROUPS; g++)
		json_object_array_add(slots, group_json(ctx, &st, root, have_bs ? &bs : NULL, booted,
							(enum bl_group)g));
	json_object_object_add(o, "slots", slots);
	json_object_object_add(o, "counters", counters_json(ctx));
	gw_json_add_str(o, "last_outcome", update_outcome_name(st.last_outcome));
	gw_json_add_str(o, "last_detail", st.last_detail);
	root_free(root);
	return o;
}

int update_status_main(struct agent_ctx *ctx, int argc, char **argv)
{
	json_object *o;
	gw_error err = { { 0 } };
	bool json = false;
	int rc;

	rc = agent_json_args(argc, argv, 0, 0, &json, usage);
	if (rc != AGENT_ARGS_RUN)
		return rc;
	if (!ctx->cfg.update.configured) {
		agent_errorf(ctx, "update status: the configuration has no [update] section");
		return GW_EXIT_CONFIG;
	}
	o = update_status_json(ctx, &err, &rc);
	if (!o)
		return agent_report(ctx, rc, &err, "update state");
	if (json)
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		update_status_print(o);
	json_object_put(o);
	return GW_EXIT_OK;
}
