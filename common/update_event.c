// SPDX-License-Identifier: Apache-2.0
// The text of the agent's `update` records in the trust PCR: format and strict parse.
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "update_event.h"
#include "util.h"

static const char *const kind_names[UPDATE_EV_NKINDS] = {
	"running", "staged", "committed", "rolled-back", "fell-back",
};

const char *update_event_kind_name(enum update_event_kind kind)
{
	return (unsigned)kind < UPDATE_EV_NKINDS ? kind_names[kind] : "unknown";
}

static bool version_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > UPDATE_EVENT_VERSION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return false;
	return true;
}

int update_event_format(const struct update_event *ev, char *buf, size_t len)
{
	char hex[65];

	if (!ev || !buf || (unsigned)ev->kind >= UPDATE_EV_NKINDS ||
	    (ev->group != 'A' && ev->group != 'B') || !version_ok(ev->version) ||
	    (ev->below_counter && ev->kind != UPDATE_EV_RUNNING))
		return GW_E_INVAL;
	gw_hex_encode(ev->manifest_digest, sizeof(ev->manifest_digest), hex);
	return gw_snprintf(buf, len, "update %s %c version %s manifest sha256:%s%s",
			   kind_names[ev->kind], ev->group, ev->version, hex,
			   ev->below_counter ? " below-counter" : "");
}

/* Consume the literal word w followed by one blank (or the end when last). */
static bool take(const char **p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(*p, w, n))
		return false;
	*p += n;
	return true;
}

static int parse_kind(const char **p, enum update_event_kind *kind)
{
	for (int k = 0; k < UPDATE_EV_NKINDS; k++) {
		size_t n = strlen(kind_names[k]);

		if (!strncmp(*p, kind_names[k], n) && (*p)[n] == ' ') {
			*kind = (enum update_event_kind)k;
			*p += n + 1;
			return 0;
		}
	}
	return GW_E_PARSE;
}

int update_event_parse(const char *text, struct update_event *out, gw_error *err)
{
	struct update_event ev;
	const char *p = text, *sp;
	size_t vlen;

	memset(&ev, 0, sizeof(ev));
	if (!text || !out)
		return GW_E_INVAL;
	if (!take(&p, "update "))
		return gw_fail(err, GW_E_PARSE, "update record: does not start with 'update '");
	if (parse_kind(&p, &ev.kind))
		return gw_fail(err, GW_E_PARSE, "update record: unknown kind");
	if ((p[0] != 'A' && p[0] != 'B') || p[1] != ' ')
		return gw_fail(err, GW_E_PARSE, "update record: group is not A or B");
	ev.group = p[0];
	p += 2;
	if (!take(&p, "version "))
		return gw_fail(err, GW_E_PARSE, "update record: no version");
	sp = strchr(p, ' ');
	vlen = sp ? (size_t)(sp - p) : 0;
	if (!sp || vlen == 0 || vlen > UPDATE_EVENT_VERSION_MAX)
		return gw_fail(err, GW_E_PARSE, "update record: bad version");
	memcpy(ev.version, p, vlen);
	if (!version_ok(ev.version))
		return gw_fail(err, GW_E_PARSE, "update record: bad version");
	p = sp + 1;
	if (!take(&p, "manifest sha256:"))
		return gw_fail(err, GW_E_PARSE, "update record: no manifest digest");
	if (strlen(p) < 64 || (p[64] != '\0' && p[64] != ' '))
		return gw_fail(err, GW_E_PARSE, "update record: bad manifest digest");
	{
		char hex[65];

		memcpy(hex, p, 64);
		hex[64] = '\0';
		for (size_t i = 0; i < 64; i++)
			if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
				return gw_fail(err, GW_E_PARSE,
					       "update record: manifest digest is not lower-case hex");
		if (gw_hex_decode_fixed(hex, ev.manifest_digest, 32, NULL))
			return gw_fail(err, GW_E_PARSE, "update record: bad manifest digest");
	}
	p += 64;
	if (!strcmp(p, " below-counter") && ev.kind == UPDATE_EV_RUNNING)
		ev.below_counter = true;
	else if (*p)
		return gw_fail(err, GW_E_PARSE, "update record: unexpected text after the digest");
	*out = ev;
	return 0;
}

int update_event_digest(uint16_t alg, const char *text, uint8_t *out)
{
	if (!text || !out)
		return GW_E_INVAL;
	return gw_hash(alg, text, strlen(text), out);
}

int update_event_from_record(const struct cel_record *r, struct update_event *out,
			     gw_error *err)
{
	struct update_event ev;
	uint8_t d[GW_MAX_DIGEST];
	int rc;

	if (!r || !out)
		return GW_E_INVAL;
	if (!r->string)
		return gw_fail(err, GW_E_PARSE, "update record: no text");
	rc = update_event_parse(r->string, &ev, err);
	if (rc)
		return rc;
	if (!cel_record_digest(r, TPM2_ALG_SHA256))
		return gw_fail(err, GW_E_REFERENCE, "update record: no sha256 digest");
	for (size_t i = 0; i < r->ndigests; i++) {
		const struct gw_alg *a = gw_alg_by_id(r->digests[i].alg);

		/* A bank we cannot hash cannot vouch for the text. */
		if (!a || update_event_digest(a->id, r->string, d))
			return gw_fail(err, GW_E_REFERENCE, "update record: cannot hash its text in "
				       "bank 0x%04x", r->digests[i].alg);
		if (memcmp(d, r->digests[i].d, a->size))
			return gw_fail(err, GW_E_REFERENCE, "update record: its %s digest is not the "
				       "hash of its text", a->name);
	}
	*out = ev;
	return 0;
}
