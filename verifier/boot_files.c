// SPDX-License-Identifier: Apache-2.0
// The boot files of a model's releases as the store keeps them (read once from the
// bundles of releases stored before schema 13), the running release's allowed on
// the PCR, and the running release checked against the bootloader's authentic
// measurements.
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

_Static_assert(STORE_BOOT_FILES_MAX == MANIFEST_MAX_BOOT_FILES &&
		       STORE_BOOT_PATH_MAX == MANIFEST_BOOT_PATH_MAX,
	       "the store keeps what a manifest lists");

void boot_files_of_manifest(const struct manifest *m, struct store_boot_file *out, size_t *n)
{
	*n = m->nboot_files;
	for (size_t i = 0; i < m->nboot_files; i++) {
		memcpy(out[i].path, m->boot_files[i].path, sizeof(out[i].path));
		memcpy(out[i].sha256, m->boot_files[i].sha256, sizeof(out[i].sha256));
	}
}

int boot_files_add(struct boot_files *bf, const struct store_release_boot *b, gw_error *err)
{
	struct boot_release *grown, *r;

	if (bf->n == BOOT_FILES_MAX_RELEASES)
		return gw_fail(err, GW_E_TOOBIG, "more than %d releases for the model",
			       BOOT_FILES_MAX_RELEASES);
	if (b->n > STORE_BOOT_FILES_MAX)
		return gw_fail(err, GW_E_INVAL, "release %s: too many boot files", b->id);
	grown = realloc(bf->rel, (bf->n + 1) * sizeof(*bf->rel));
	if (!grown)
		return GW_E_NOMEM;
	bf->rel = grown;
	r = &bf->rel[bf->n];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, b->id, sizeof(r->id));
	memcpy(r->version, b->version, sizeof(r->version));
	memcpy(r->manifest_sha256, b->manifest_sha256, sizeof(r->manifest_sha256));
	r->n = b->n;
	memcpy(r->files, b->files, b->n * sizeof(b->files[0]));
	bf->n++;
	return 0;
}

/* A release stored before schema 13, its boot files not read yet. */
struct unread {
	size_t at;		/* its place in bf->rel */
	char *bundle_path;
};

struct load_ctx {
	struct boot_files *bf;
	struct unread *unread;
	size_t nunread;
	gw_error *err;
};

static int load_one(const struct store_release_boot *b, void *arg)
{
	struct load_ctx *c = arg;
	struct unread *grown;
	int rc = boot_files_add(c->bf, b, c->err);

	if (rc || b->known)
		return rc;
	grown = realloc(c->unread, (c->nunread + 1) * sizeof(*c->unread));
	if (!grown)
		return GW_E_NOMEM;
	c->unread = grown;
	c->unread[c->nunread].at = c->bf->n - 1;
	c->unread[c->nunread].bundle_path = strdup(b->bundle_path);
	if (!c->unread[c->nunread].bundle_path)
		return GW_E_NOMEM;
	c->nunread++;
	return 0;
}

/* The boot files of r, stored before schema 13, from the verifier's copy of its
 * bundle, which release add verified against the trust root; the manifest's
 * digest binds the file to the row. */
static int read_bundle(struct boot_release *r, const char *path, gw_error *err)
{
	struct bundle_reader *br = NULL;
	const struct manifest *m;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO,
			       "release %s: %s: %s", r->id, path, strerror(errno));
	rc = bundle_open_unverified(fd, &br, err);
	if (rc) {
		gw_error_prefix(err, "release %s: ", r->id);
		goto out;
	}
	m = bundle_manifest(br);
	if (strcmp(m->digest_hex, r->manifest_sha256)) {
		rc = gw_fail(err, GW_E_REFERENCE, "release %s: the bundle's manifest is "
			     "sha256:%.16s..., not the release's", r->id, m->digest_hex);
		goto out;
	}
	boot_files_of_manifest(m, r->files, &r->n);
out:
	bundle_reader_free(br);
	close(fd);
	return rc;
}

/* Read each unread release's boot files and store them, once: a failure to
 * store is not the round's (the files were read), only noted. */
static int fill(struct store *st, struct load_ctx *c)
{
	struct boot_files *bf = c->bf;
	gw_error serr = { { 0 } };
	int rc = 0, src;

	for (size_t i = 0; !rc && i < c->nunread; i++) {
		struct boot_release *r = &bf->rel[c->unread[i].at];

		rc = read_bundle(r, c->unread[i].bundle_path, c->err);
		if (rc)
			break;
		bf->filled++;
		src = store_release_boot_put(st, r->id, r->files, r->n, &serr);
		if (src && !bf->fill_rc) {
			bf->fill_rc = src;
			(void)snprintf(bf->fill_why, sizeof(bf->fill_why), "release %s: %s",
				       r->id, gw_error_msg(&serr, src));
		}
	}
	return rc;
}

int boot_files_load(struct store *st, const char *model, struct boot_files *bf, gw_error *err)
{
	struct load_ctx c = { .bf = bf, .err = err };
	int rc = store_release_boot_list(st, model, load_one, &c, err);

	/* After the query is done: storing takes the write lock. */
	if (!rc)
		rc = fill(st, &c);
	for (size_t i = 0; i < c.nunread; i++)
		free(c.unread[i].bundle_path);
	free(c.unread);
	return rc;
}

void boot_files_fini(struct boot_files *bf)
{
	if (!bf)
		return;
	free(bf->rel);
	memset(bf, 0, sizeof(*bf));
}

int boot_files_allowed(const struct boot_release *running, struct gwpol_digests *out)
{
	memset(out, 0, sizeof(*out));
	out->size = 32;
	if (!running || !running->n)
		return 0;
	out->d = calloc(running->n, sizeof(*out->d));
	if (!out->d)
		return GW_E_NOMEM;
	for (size_t i = 0; i < running->n; i++)
		memcpy(out->d[i], running->files[i].sha256, 32);
	out->n = running->n;
	return 0;
}

const struct boot_release *boot_files_release(const struct boot_files *bf, const char hex[65])
{
	for (size_t i = 0; i < bf->n; i++)
		if (!strcmp(bf->rel[i].manifest_sha256, hex))
			return &bf->rel[i];
	return NULL;
}

static const struct store_boot_file *file_of(const struct boot_release *r, const uint8_t *d)
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
		const struct store_boot_file *f = file_of(&bf->rel[i], d);

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
		const struct store_boot_file *f = &running->files[k];
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
