// SPDX-License-Identifier: Apache-2.0
// Loading and saving enrollment.json in the state directory.
#include "enroll_state.h"

#include <limits.h>
#include <stdlib.h>

#include "util.h"

#define ENROLL_STATE_MAX (16u * 1024)

int enroll_state_load(const struct agent_ctx *ctx, struct enroll_state *st, gw_error *err)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (agent_path(ctx, ENROLL_STATE_FILE, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(path, ENROLL_STATE_MAX, &buf, &len, err);
	if (rc)
		return rc;
	rc = answers_parse_enroll_state((const char *)buf, len, st, err);
	gw_wipe(buf, len);
	free(buf);
	return rc;
}

int enroll_state_save(const struct agent_ctx *ctx, const struct enroll_state *st,
		      gw_error *err)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (agent_path(ctx, ENROLL_STATE_FILE, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = answers_format_enroll_state(st, &text, &len);
	if (rc)
		return gw_fail(err, rc, "formatting %s", ENROLL_STATE_FILE);
	rc = gw_write_file_atomic(path, text, len, 0600, err);
	gw_wipe(text, len);
	free(text);
	return rc;
}
