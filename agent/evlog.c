// SPDX-License-Identifier: Apache-2.0
// The agent's event log: reset-cycle binding, torn-tail repair, log-then-extend.
#define _GNU_SOURCE
#include "evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "util.h"

static int path_of(struct agent_ctx *ctx, const char *name, char *buf, gw_error *err)
{
	if (agent_path(ctx, name, buf, PATH_MAX))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	return 0;
}

static int meta_read(const char *path, struct evlog_meta *meta, bool *found, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	json_object *root = NULL, *rc_o, *b_o;
	int rc;

	*found = false;
	rc = gw_read_file(path, 4096, &buf, &len, err);
	if (rc == GW_E_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	root = json_tokener_parse((const char *)buf);
	if (!root || !json_object_object_get_ex(root, "reset_count", &rc_o) ||
	    !json_object_is_type(rc_o, json_type_int) ||
	    !json_object_object_get_ex(root, "booted", &b_o) ||
	    !json_object_is_type(b_o, json_type_boolean) || json_object_get_int64(rc_o) < 0 ||
	    json_object_get_int64(rc_o) > UINT32_MAX) {
		/* A damaged meta file cannot vouch for the log: start over. */
		rc = 0;
		goto out;
	}
	meta->reset_count = (uint32_t)json_object_get_int64(rc_o);
	meta->booted = json_object_get_boolean(b_o);
	*found = true;
out:
	json_object_put(root);
	free(buf);
	return rc;
}

static int meta_write(struct agent_ctx *ctx, const struct evlog_meta *meta, gw_error *err)
{
	char path[PATH_MAX], text[128];
	int rc;

	rc = path_of(ctx, EVLOG_META_FILE, path, err);
	if (rc)
		return rc;
	if (gw_snprintf(text, sizeof(text), "{\"reset_count\":%u,\"booted\":%s}\n",
			meta->reset_count, meta->booted ? "true" : "false"))
		return GW_E_TOOBIG;
	return gw_write_file_atomic(path, text, strlen(text), 0644, err);
}

int agent_lock_state(struct agent_ctx *ctx, gw_error *err)
{
	char path[PATH_MAX];
	int fd, rc;

	if (ctx->lock_fd >= 0)
		return 0;
	rc = gw_mkdir_p(ctx->state_dir, 0755, err);
	if (rc)
		return rc;
	rc = path_of(ctx, "lock", path, err);
	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			close(fd);
			return gw_fail(err, GW_E_IO, "%s: lock: %s", path, strerror(errno));
		}
	}
	ctx->lock_fd = fd;
	return 0;
}

int evlog_sync(struct agent_ctx *ctx, struct evlog_meta *meta, bool *fresh, gw_error *err)
{
	char mpath[PATH_MAX], lpath[PATH_MAX], ppath[PATH_MAX];
	TPMS_CLOCK_INFO clk;
	bool found = false;
	int rc;

	*fresh = false;
	rc = agent_lock_state(ctx, err);
	if (rc)
		return rc;
	if ((rc = path_of(ctx, EVLOG_META_FILE, mpath, err)) ||
	    (rc = path_of(ctx, EVLOG_FILE, lpath, err)) ||
	    (rc = path_of(ctx, EVLOG_PREV_FILE, ppath, err)))
		return rc;
	rc = tpm_clock(ctx->tpm, &clk, err);
	if (rc)
		return rc;
	rc = meta_read(mpath, meta, &found, err);
	if (rc)
		return rc;
	if (found && meta->reset_count == clk.resetCount)
		return 0;
	/* New reset cycle: PCRs are back at their initial values, so is the log. */
	if (rename(lpath, ppath) && errno != ENOENT)
		return gw_fail(err, GW_E_IO, "keeping the old log: %s", strerror(errno));
	meta->reset_count = clk.resetCount;
	meta->booted = false;
	rc = meta_write(ctx, meta, err);
	if (!rc)
		*fresh = true;
	return rc;
}

int evlog_mark_booted(struct agent_ctx *ctx, struct evlog_meta *meta, gw_error *err)
{
	meta->booted = true;
	return meta_write(ctx, meta, err);
}

int evlog_read(struct agent_ctx *ctx, uint8_t **raw, size_t *raw_len, struct cel_log **log,
	       gw_error *err)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct cel_log *l = NULL;
	int rc;

	rc = path_of(ctx, EVLOG_FILE, path, err);
	if (rc)
		return rc;
	rc = gw_read_file(path, EVLOG_MAX_SIZE, &buf, &len, err);
	if (rc == GW_E_NOTFOUND) {
		buf = calloc(1, 1);
		len = 0;
		rc = buf ? 0 : GW_E_NOMEM;
	}
	if (rc)
		return rc;
	if (log) {
		rc = cel_parse(buf, len, &l, err);
		if (rc) {
			gw_error_prefix(err, "%s: ", path);
			free(buf);
			return rc;
		}
		*log = l;
	}
	if (raw) {
		*raw = buf; /* transferred */
		*raw_len = len;
	} else {
		free(buf);
	}
	return 0;
}

/* Cut a torn last record (a crash mid-append) and count the complete ones. */
static int repair_and_count(const char *path, uint64_t *count, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, keep;
	struct cel_log *log = NULL;
	int rc;

	rc = gw_read_file(path, EVLOG_MAX_SIZE, &buf, &len, err);
	if (rc == GW_E_NOTFOUND) {
		*count = 0;
		return 0;
	}
	if (rc)
		return rc;
	keep = cel_complete_prefix(buf, len);
	if (keep != len && truncate(path, (off_t)keep)) {
		rc = gw_fail(err, GW_E_IO, "%s: cutting a torn record: %s", path, strerror(errno));
		goto out;
	}
	rc = cel_parse(buf, keep, &log, err);
	if (rc) {
		gw_error_prefix(err, "%s: ", path);
		goto out;
	}
	*count = log->n;
out:
	cel_free(log);
	free(buf);
	return rc;
}

int evlog_measure(struct agent_ctx *ctx, unsigned pcr, const uint16_t *algs,
		  const uint8_t digests[][GW_MAX_DIGEST], size_t n, const char *event_type,
		  const char *stage, const char *path, const char *string, uint64_t *recnum,
		  gw_error *err)
{
	char lpath[PATH_MAX];
	char *rec = NULL;
	size_t rec_len = 0;
	uint64_t count = 0;
	int rc;

	rc = path_of(ctx, EVLOG_FILE, lpath, err);
	if (rc)
		return rc;
	rc = repair_and_count(lpath, &count, err);
	if (rc)
		return rc;
	rc = cel_record_format(count, pcr, algs, digests, n, event_type, stage, path, string,
			       &rec, &rec_len);
	if (rc)
		return gw_fail(err, rc, "formatting the log record");
	rc = gw_append_durable(lpath, rec, rec_len, 0644, err);
	free(rec);
	if (rc)
		return rc;
	rc = tpm_pcr_extend(ctx->tpm, pcr, algs, digests, n, err);
	if (rc)
		return rc;
	if (recnum)
		*recnum = count;
	return 0;
}
