// SPDX-License-Identifier: Apache-2.0
// The boot files of a model's releases, read from the verifier's own bundles, and
// the running release checked against the bootloader's authentic measurements.
#include "boot_files.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "gwpol_event.h"
#include "util.h"

static int add_digest(struct gwpol_digests *all, const uint8_t d[32])
{
	uint8_t (*grown)[GW_MAX_DIGEST];

	if (gwpol_digests_have(all, d))
		return 0;
	/* Grown one release's worth at a time: at most 8 files a release. */
	if (all->n % MANIFEST_MAX_BOOT_FILES == 0) {
		grown = realloc(all->d, (all->n + MANIFEST_MAX_BOOT_FILES) * sizeof(*all->d));
		if (!grown)
			return GW_E_NOMEM;
		all->d = grown;
	}
	memset(all->d[all->n], 0, GW_MAX_DIGEST);
	memcpy(all->d[all->n], d, 32);
	all->n++;
	return 0;
}

int boot_files_add(struct boot_files *bf, const char *id, const char *version,
		   const struct manifest *m, gw_error *err)
{
	struct boot_release *grown, *r;
	int rc = 0;

	if (bf->n == BOOT_FILES_MAX_RELEASES)
		return gw_fail(err, GW_E_TOOBIG, "more than %d releases for the model",
			       BOOT_FILES_MAX_RELEASES);
	grown = realloc(bf->rel, (bf->n + 1) * sizeof(*bf->rel));
	if (!grown)
		return GW_E_NOMEM;
	bf->rel = grown;
	r = &bf->rel[bf->n];
	memset(r, 0, sizeof(*r));
	bf->all.size = 32;
	if (gw_snprintf(r->id, sizeof(r->id), "%s", id) ||
	    gw_snprintf(r->version, sizeof(r->version), "%s", version))
		return gw_fail(err, GW_E_INVAL, "release id or version too long");
	memcpy(r->manifest_sha256, m->digest_hex, sizeof(r->manifest_sha256));
	r->n = m->nboot_files;
	memcpy(r->files, m->boot_files, m->nboot_files * sizeof(m->boot_files[0]));
	for (size_t i = 0; !rc && i < r->n; i++)
		rc = add_digest(&bf->all, r->files[i].sha256);
	if (!rc)
		bf->n++;
	return rc;
}

struct load_ctx {
	struct boot_files *bf;
	gw_error *err;
};

/* One stored release: its manifest from the verifier's copy of its bundle, which
 * release add verified against the trust root; the digest binds it to the row. */
static int load_one(const struct store_release *r, void *arg)
{
	struct load_ctx *c = arg;
	struct bundle_reader *br = NULL;
	const struct manifest *m;
	int fd = open(r->bundle_path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return gw_fail(c->err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO,
			       "release %s: %s: %s", r->id, r->bundle_path, strerror(errno));
	rc = bundle_open_unverified(fd, &br, c->err);
	if (rc) {
		gw_error_prefix(c->err, "release %s: ", r->id);
		goto out;
	}
	m = bundle_manifest(br);
	if (strcmp(m->digest_hex, r->manifest_sha256)) {
		rc = gw_fail(c->err, GW_E_REFERENCE, "release %s: the bundle's manifest is "
			     "sha256:%.16s..., not the release's", r->id, m->digest_hex);
		goto out;
	}
	rc = boot_files_add(c->bf, r->id, r->version, m, c->err);
out:
	bundle_reader_free(br);
	close(fd);
	return rc;
}

int boot_files_load(struct store *st, const char *model, struct boot_files *bf, gw_error *err)
{
	struct load_ctx c = { .bf = bf, .err = err };

	return store_release_list(st, model, load_one, &c, err);
}

void boot_files_fini(struct boot_files *bf)
{
	if (!bf)
		return;
	free(bf->rel);
	free(bf->all.d);
	memset(bf, 0, sizeof(*bf));
}

const struct boot_release *boot_files_release(const struct boot_files *bf, const char hex[65])
{
	for (size_t i = 0; i < bf->n; i++)
		if (!strcmp(bf->rel[i].manifest_sha256, hex))
			return &bf->rel[i];
	return NULL;
}

static const struct manifest_boot_file *file_of(const struct boot_release *r, const uint8_t *d)
{
	for (size_t i = 0; i < r->n; i++)
		if (!memcmp(r->files[i].sha256, d, 32))
			return &r->files[i];
	return NULL;
}

struct judge {
	struct gwpol_report *rep;
	size_t reported, more;
};

static void finding(struct judge *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void finding(struct judge *j, const char *fmt, ...)
{
	char msg[sizeof(j->rep->f[0].msg)];
	va_list ap;

	if (j->reported == BOOT_FILES_MAX_FINDINGS) {
		j->more++;
		return;
	}
	j->reported++;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gwpol_report_add(j->rep, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
			 BOOT_FILES_RULE, "%s", msg);
}

/* The sha256 digest of an event that extends pcr, or NULL. */
static const uint8_t *pcr_digest(const struct eventlog_event *e, unsigned pcr)
{
	if (e->pcr != pcr || !gwpol_event_extends(e))
		return NULL;
	return gwpol_event_digest(e, TPM2_ALG_SHA256);
}

/* An event carrying a boot file of another release, not one of running's. */
static void other_release(struct judge *j, const struct boot_files *bf,
			  const struct boot_release *running, const struct eventlog_event *e,
			  const uint8_t *d, unsigned pcr)
{
	char hex[65];

	if (file_of(running, d))
		return;
	for (size_t i = 0; i < bf->n; i++) {
		const struct manifest_boot_file *f = file_of(&bf->rel[i], d);

		if (!f)
			continue;
		gw_hex_encode(d, 32, hex);
		finding(j, "PCR %u event %u: sha256 %s is boot file %s of release %s (version "
			"%s), not of the running release %s (version %s): the bootloader "
			"loaded another release's file", pcr, e->num, hex, f->path, bf->rel[i].id,
			bf->rel[i].version, running->id, running->version);
		return;
	}
}

void boot_files_judge(const struct boot_files *bf, const struct boot_release *running,
		      const struct eventlog *fwlog, unsigned pcr, struct gwpol_report *rep)
{
	struct judge j = { .rep = rep };
	char hex[65];

	for (size_t k = 0; k < running->n; k++) {
		const struct manifest_boot_file *f = &running->files[k];
		size_t seen = 0;

		for (size_t i = 0; i < fwlog->nevents; i++) {
			const uint8_t *d = pcr_digest(&fwlog->events[i], pcr);

			seen += d && !memcmp(d, f->sha256, 32);
		}
		if (seen == 1)
			continue;
		gw_hex_encode(f->sha256, 32, hex);
		finding(&j, "boot file %s of the running release %s (version %s): sha256 %s "
			"measured %zu times in PCR %u, expected once", f->path, running->id,
			running->version, hex, seen, pcr);
	}
	for (size_t i = 0; i < fwlog->nevents; i++) {
		const uint8_t *d = pcr_digest(&fwlog->events[i], pcr);

		if (d)
			other_release(&j, bf, running, &fwlog->events[i], d, pcr);
	}
	if (j.more)
		gwpol_report_add(rep, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
				 BOOT_FILES_RULE, "%zu more boot file problems in PCR %u", j.more,
				 pcr);
	rep->appraised[GWPOL_CLAIM_EXECUTABLES] = true;
}
