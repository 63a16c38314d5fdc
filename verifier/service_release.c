// SPDX-License-Identifier: Apache-2.0
// GET /v1/releases/ID/bundle: a release's bundle file, only to an enrolled device
// (by its client certificate) that is eligible for it now (release_rules.h), with
// one byte range so that an interrupted download resumes.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gwpol.h"
#include "release_range.h"
#include "release_rules.h"
#include "service.h"
#include "service_updates.h"
#include "util.h"

#define PREFIX "/v1/releases/"
#define SUFFIX "/bundle"

/* The release id of path PREFIX "<16 lower-case hex>" SUFFIX, else false. */
static bool path_release_id(const char *path, char id[STORE_RELEASE_ID_LEN + 1])
{
	const char *p = path + strlen(PREFIX);

	for (size_t i = 0; i < STORE_RELEASE_ID_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	if (strcmp(p + STORE_RELEASE_ID_LEN, SUFFIX))
		return false;
	memcpy(id, p, STORE_RELEASE_ID_LEN);
	id[STORE_RELEASE_ID_LEN] = '\0';
	return true;
}

static int eol_cb(const struct store_result *r, void *arg)
{
	*(bool *)arg = verdict_result_is_eol(r->status, r->claims);
	return 0;
}

/* The device's latest result (stored with its last status) warns of nothing but
 * its end of support. A store failure says no. */
static bool latest_is_eol(struct service_worker *w, const char *device_id)
{
	bool eol = false;

	if (store_result_history(w->st, device_id, 1, eol_cb, &eol, NULL))
		return false;
	return eol;
}

/* May dev have r now? 0, or the reply (403) has been sent and audited. */
static int check_eligible(struct service_worker *w, struct httpd_req *req,
			  const struct store_device *dev, const struct store_release *r)
{
	const struct vconfig *cfg = &w->svc->cfg;
	const struct gwpol *pol = NULL;
	struct release_device d;
	struct store_release running;
	gw_error err = { { 0 } };
	enum release_verdict v;
	char pol_id[192], why[1200];
	int prc;

	prc = service_current_policy(w, dev->model, &pol, pol_id, sizeof(pol_id), why,
				     sizeof(why));
	if (prc && prc != GW_E_NOTFOUND) {
		service_audit(w, dev->id, "release.download", "refused",
			      "release %s: the model's policy cannot be used: %s", r->id, why);
		httpd_reply_error(req, 403, "not_eligible", "release %s: the model's policy "
							    "cannot be used", r->id);
		return -1;
	}
	release_device_from_store(dev, cfg->default_channel, &d);
	memset(&running, 0, sizeof(running));
	if (service_updates_running(w->st, dev->id, &d, &running, &err))
		service_log("release download: update state of %s: %s", dev->id,
			    gw_error_msg(&err, GW_E_IO));
	if (dev->attested && !strcmp(dev->last_status, "warning"))
		d.warning_is_eol = latest_is_eol(w, dev->id);
	v = release_eligible(r, &d, pol ? &pol->update : NULL, service_now(),
			     cfg->release_max_attest_age);
	store_release_fini(&running);
	if (v == RELEASE_ELIGIBLE)
		return 0;
	service_audit(w, dev->id, "release.download", "refused", "release %s: %s", r->id,
		      release_verdict_name(v));
	httpd_reply_error(req, 403, "not_eligible", "release %s is not for this device now: %s",
			  r->id, release_verdict_name(v));
	return -1;
}

/* The bundle file, checked to be the one recorded (a regular file of the size
 * stored). -1 when it is not. */
static int open_bundle(const struct store_release *r)
{
	struct stat sb;
	int fd = open(r->bundle_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != r->size) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Range, If-Range, the headers and the streamed answer. */
static void send_bundle(struct service_worker *w, struct httpd_req *req,
			const struct store_device *dev, const struct store_release *r, int fd)
{
	char etag[2 * STORE_HASH_LEN + 3], crange[80];
	uint64_t start = 0, len = r->size;
	enum release_range kind;
	int status = 200;

	snprintf(etag, sizeof(etag), "\"%s\"", r->sha256);
	kind = release_range_parse(httpd_req_header(req, "Range"),
				   httpd_req_header(req, "If-Range"), etag, r->size, &start, &len);
	if (kind == RELEASE_RANGE_UNSATISFIABLE || kind == RELEASE_RANGE_INVALID) {
		close(fd);
		snprintf(crange, sizeof(crange), "bytes */%" PRIu64, r->size);
		if (httpd_reply_header(req, "Content-Range", crange) == 0)
			httpd_reply_error(req, 416, "range_not_satisfiable",
					  "one byte range within %" PRIu64 " bytes, please",
					  r->size);
		return;
	}
	if (kind == RELEASE_RANGE_PARTIAL) {
		status = 206;
		snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start,
			 start + len - 1, r->size);
	} else {
		start = 0;
		len = r->size;
	}
	if (httpd_reply_header(req, "ETag", etag) ||
	    httpd_reply_header(req, "Accept-Ranges", "bytes") ||
	    (status == 206 && httpd_reply_header(req, "Content-Range", crange))) {
		close(fd);
		httpd_reply_error(req, 500, "internal_error", "headers");
		return;
	}
	/* Once per download start: a resumed download is a new start. */
	service_audit(w, dev->id, "release.download", "ok",
		      "release %s: bytes %" PRIu64 "-%" PRIu64 " of %" PRIu64, r->id, start,
		      start + len - 1, r->size);
	if (httpd_reply_file(req, status, fd, start, len, "application/octet-stream"))
		service_log("release %s: cannot stream the bundle to %s", r->id, dev->id);
}

void service_release_bundle(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	struct store_device dev;
	struct store_release r;
	char id[STORE_RELEASE_ID_LEN + 1];
	gw_error err = { { 0 } };
	int fd, rc;

	memset(&r, 0, sizeof(r));
	if (!path_release_id(req->path, id)) {
		httpd_reply_error(req, 404, "not_found", "no such resource: %s", req->path);
		return;
	}
	if (service_device_for_request(req, &dev))
		return;
	rc = store_release_get(w->st, id, &r, &err);
	if (rc == GW_E_NOTFOUND) {
		httpd_reply_error(req, 404, "unknown_release", "no release %s", id);
		goto out;
	}
	if (rc) {
		service_log("release %s: store: %s", id, gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	if (check_eligible(w, req, &dev, &r))
		goto out;
	fd = open_bundle(&r);
	if (fd < 0) {
		service_log("release %s: bundle file %s is missing or not the one stored (%s)",
			    id, r.bundle_path, strerror(errno));
		httpd_reply_error(req, 500, "internal_error", "the bundle file is unavailable");
		goto out;
	}
	send_bundle(w, req, &dev, &r, fd);
out:
	store_release_fini(&r);
	store_device_fini(&dev);
}
