// SPDX-License-Identifier: Apache-2.0
// The boot service on a group the update state calls bad (the bootloader's
// environment lost or rewritten): said, the bootloader told again, a reboot into
// the committed group, and no second reboot when the redirect did not hold.
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "update_boot.h"
#include "util.h"

#define REDIRECT_FILE "redirect" /* in STATE_DIR/update */
#define REDIRECT_MAX 64		 /* bytes: "RESET_COUNT COUNT\n" */

/* The marker: the TPM reset cycle of the last boot that redirected away from a
 * bad group, and how many boots in a row did. A missing file: none. */
static int redirect_load(struct agent_ctx *ctx, bool *found, unsigned long *cycle,
			 unsigned long *count, gw_error *err)
{
	char path[PATH_MAX], *s, *end;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*found = false;
	if (update_path(ctx, REDIRECT_FILE, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(path, REDIRECT_MAX, &buf, &len, err);
	if (rc == GW_E_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	/* Two decimal numbers, one blank, one newline, nothing else. */
	s = (char *)buf;
	errno = 0;
	if (*s >= '0' && *s <= '9') {
		*cycle = strtoul(s, &end, 10);
		s = end + 1;
		if (!errno && *end == ' ' && *s >= '0' && *s <= '9') {
			*count = strtoul(s, &end, 10);
			*found = !errno && *end == '\n' && (size_t)(end + 1 - (char *)buf) == len;
		}
	}
	if (!*found)
		rc = gw_fail(err, GW_E_PARSE, "%s: not \"RESET_COUNT COUNT\"", path);
	free(buf);
	return rc;
}

static int redirect_save(struct agent_ctx *ctx, unsigned long cycle, unsigned long count,
			 gw_error *err)
{
	char path[PATH_MAX], text[REDIRECT_MAX];
	int rc = update_dir_ensure(ctx, err);

	if (rc)
		return rc;
	if (update_path(ctx, REDIRECT_FILE, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_snprintf(text, sizeof(text), "%lu %lu\n", cycle, count);
	if (rc)
		return gw_fail(err, rc, "redirect marker too long");
	return gw_write_file_atomic(path, text, strlen(text), 0600, err);
}

int update_redirect_clear(struct agent_ctx *ctx, gw_error *err)
{
	char path[PATH_MAX], dir[PATH_MAX];

	if (update_path(ctx, REDIRECT_FILE, path, sizeof(path)) ||
	    update_path(ctx, "", dir, sizeof(dir)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	if (unlink(path)) {
		if (errno == ENOENT)
			return 0;
		return gw_fail(err, GW_E_IO, "removing %s: %s", path, strerror(errno));
	}
	return gw_fsync_dir(dir, err);
}

/* Best effort, like the other history lines of the boot service: the outcome
 * itself is printed and returned. */
static void history(struct update_run *run, const char *action, enum bl_group g,
		    const char *detail)
{
	struct update_history_entry e = {
		.time = time(NULL), .action = action, .group = (int)g,
		.version = run->st.group[g].version[0] ? run->st.group[g].version : NULL,
		.security_version = run->st.group[g].security_version,
		.outcome = run->st.last_outcome, .detail = detail,
	};

	(void)!update_history_append(run->ctx, &e, NULL);
}

/* The committed group o is told to the bootloader again, g bad, and the reboot
 * command run, once the marker (this cycle, count) is on disk. */
static int redirect(struct update_run *run, enum bl_group g, unsigned long cycle,
		    unsigned long count, gw_error *err)
{
	enum bl_group o = g == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;
	int rc;

	rc = bl_mark_good(run->bl, o, err);
	if (!rc)
		rc = bl_mark_bad(run->bl, g, err);
	if (!rc)
		rc = redirect_save(run->ctx, cycle, count, err);
	if (rc)
		return rc;
	update_say(run, "bad-group-redirect",
		   "group %c marked bad again and committed group %c made the primary in the "
		   "bootloader: rebooting into group %c", bl_group_char(g), bl_group_char(o),
		   bl_group_char(o));
	history(run, "bad-group-redirect", g, "booted a group the update state calls bad: "
					      "rebooting into the committed group");
	return update_reboot(run, err);
}

int update_boot_bad_group(struct update_run *run, uint32_t cycle, bool *rebooted,
			  gw_error *err)
{
	enum bl_group g = run->booted, o = g == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;
	unsigned long mcycle = 0, mcount = 0;
	bool found = false;
	int rc;

	update_say(run, "bad-group",
		   "group %c booted, but the update state calls it bad (version %s): the "
		   "bootloader's environment was probably lost, reset or rewritten",
		   bl_group_char(g), run->st.group[g].version[0] ? run->st.group[g].version
								 : "unknown, the factory image");
	if (run->st.group[o].state != SLOT_GOOD) {
		update_say(run, "bad-group",
			   "warning: group %c is %s, not committed: no group to reboot into, "
			   "staying on group %c", bl_group_char(o),
			   slot_state_name(run->st.group[o].state), bl_group_char(g));
		history(run, "bad-group-booted", g, "booted a group the update state calls bad; "
						    "the other group is not committed");
		return 0;
	}
	rc = redirect_load(run->ctx, &found, &mcycle, &mcount, err);
	if (rc)
		return rc;
	if (found && mcycle != cycle) {
		history(run, "bad-group-loop", g, "booted a group the update state calls bad "
						  "after a redirect: not rebooting again");
		return gw_fail(err, GW_E_STATE,
			       "group %c booted, which the update state calls bad, although the "
			       "previous boot (TPM reset cycle %lu, redirect %lu) told the "
			       "bootloader to boot group %c and rebooted: not rebooting again; "
			       "check the bootloader's environment (does it keep what is "
			       "written to it?)", bl_group_char(g), mcycle, mcount,
			       bl_group_char(o));
	}
	/* A rerun in the cycle that redirected: the reboot did not happen yet. */
	*rebooted = true;
	return redirect(run, g, cycle, found ? mcount : mcount + 1, err);
}
