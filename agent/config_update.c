// SPDX-License-Identifier: Apache-2.0
// The agent configuration's [update] and [slot GROUP.CLASS] sections: parsing each
// key, and the checks that need the whole file (classes in both groups, no device
// twice, [update] complete).
#include "config_update.h"

#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "util.h"

static bool valid_class(const char *s, size_t n)
{
	if (n == 0 || n > AGENT_SLOT_CLASS_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

/* "slot A.rootfs" -> group A, class "rootfs". */
static bool slot_name(const char *section, enum bl_group *g, const char **cls)
{
	if (strncmp(section, "slot ", 5) || (section[5] != 'A' && section[5] != 'B') ||
	    section[6] != '.' || !valid_class(section + 7, strlen(section + 7)))
		return false;
	*g = section[5] == 'A' ? BL_GROUP_A : BL_GROUP_B;
	*cls = section + 7;
	return true;
}

bool config_update_section(const char *name, int *rc, gw_error *err)
{
	enum bl_group g;
	const char *cls;

	*rc = 0;
	if (!strcmp(name, "update") || slot_name(name, &g, &cls))
		return true;
	if (!strncmp(name, "slot ", 5) || !strcmp(name, "slot")) {
		*rc = gw_fail(err, GW_E_CONFIG,
			      "[%s]: a slot section is [slot A.CLASS] or [slot B.CLASS], CLASS "
			      "1-%d of A-Z a-z 0-9 - _ .",
			      name, AGENT_SLOT_CLASS_MAX);
		return true;
	}
	return false;
}

/* bl_kind_parse()'s names; here too so that the configuration parser (and its
 * fuzz target) does not pull in the backends. */
static int kind_parse(const char *s, enum bl_kind *out)
{
	static const struct {
		const char *name;
		enum bl_kind kind;
	} kinds[] = { { "file", BL_FILE },
		      { "grub", BL_GRUB },
		      { "uboot", BL_UBOOT },
		      { "systemd-boot", BL_SYSTEMD_BOOT } };

	for (size_t i = 0; i < GW_ARRAY_SIZE(kinds); i++)
		if (!strcmp(s, kinds[i].name)) {
			*out = kinds[i].kind;
			return 0;
		}
	return GW_E_CONFIG;
}

static int set_str(char **dst, const char *v)
{
	char *s;

	if (!*v)
		return GW_E_PARSE;
	s = strdup(v);
	if (!s)
		return GW_E_NOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int update_key(struct agent_update_config *u, const char *key, const char *value,
		      int line, gw_error *err)
{
	uint64_t n;

	if (!u->configured) {
		u->configured = true;
		u->line = line;
	}
	if (!strcmp(key, "root"))
		return set_str(&u->root, value);
	if (!strcmp(key, "channel"))
		return valid_class(value, strlen(value)) ? set_str(&u->channel, value) : GW_E_PARSE;
	if (!strcmp(key, "bootloader")) {
		if (kind_parse(value, &u->bootloader))
			return gw_fail(err, GW_E_CONFIG,
				       "[update]: bootloader '%s': use file, grub, uboot or "
				       "systemd-boot",
				       value);
		u->bootloader_set = true;
		return 0;
	}
	if (!strcmp(key, "bootloader_path"))
		return set_str(&u->bootloader_path, value);
	if (!strcmp(key, "cmdline"))
		return set_str(&u->cmdline, value);
	if (!strcmp(key, "trial_tries")) {
		if (gw_parse_u64(value, BL_MAX_TRIES, &n) || n < 1)
			return gw_fail(err, GW_E_CONFIG, "[update]: trial_tries '%s': use 1 to %d",
				       value, BL_MAX_TRIES);
		u->trial_tries = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "reboot_command"))
		return set_str(&u->reboot_command, value);
	if (!strcmp(key, "history_max")) {
		if (gw_parse_u64(value, AGENT_HISTORY_MAX_MAX, &n) || n < 1)
			return gw_fail(err, GW_E_CONFIG, "[update]: history_max '%s': use 1 to %d",
				       value, AGENT_HISTORY_MAX_MAX);
		u->history_max = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "authorization")) {
		if (strcmp(value, "required") && strcmp(value, "none"))
			return gw_fail(err, GW_E_CONFIG, "[update]: authorization '%s': use "
							 "required or none",
				       value);
		u->authorization_none = !strcmp(value, "none");
		return 0;
	}
	return gw_fail(err, GW_E_CONFIG, "[update]: unknown key '%s'", key);
}

static int slot_key(struct agent_update_config *u, const char *section, const char *key,
		    const char *value, int line, gw_error *err)
{
	struct agent_slot *s = NULL, *grown;
	enum bl_group g;
	const char *cls;

	if (!slot_name(section, &g, &cls))
		return gw_fail(err, GW_E_CONFIG, "[%s]: not a slot section", section);
	if (strcmp(key, "device"))
		return gw_fail(err, GW_E_CONFIG, "[%s]: unknown key '%s'", section, key);
	if (!*value)
		return GW_E_PARSE;
	for (size_t i = 0; i < u->nslots; i++)
		if (u->slots[i].group == g && !strcmp(u->slots[i].class_name, cls))
			s = &u->slots[i];
	if (s) /* a key given twice keeps its last value, as in [agent] */
		return set_str(&s->device, value);
	if (u->nslots >= 2 * AGENT_MAX_SLOT_CLASSES)
		return gw_fail(err, GW_E_CONFIG,
			       "[%s]: more than %d slots (at most %d classes, each in both groups)",
			       section, 2 * AGENT_MAX_SLOT_CLASSES, AGENT_MAX_SLOT_CLASSES);
	grown = realloc(u->slots, (u->nslots + 1) * sizeof(*grown));
	if (!grown)
		return GW_E_NOMEM;
	u->slots = grown;
	s = &u->slots[u->nslots];
	memset(s, 0, sizeof(*s));
	s->group = g;
	s->line = line;
	s->class_name = strdup(cls);
	s->device = strdup(value);
	u->nslots++; /* counted before the check, so fini frees what was taken */
	if (!s->class_name || !s->device)
		return GW_E_NOMEM;
	return 0;
}

int config_update_key(struct agent_config *cfg, const char *section, const char *key,
		      const char *value, int line, gw_error *err)
{
	if (!strcmp(section, "update"))
		return update_key(&cfg->update, key, value, line, err);
	return slot_key(&cfg->update, section, key, value, line, err);
}

const struct agent_slot *config_update_slot(const struct agent_update_config *u,
					    enum bl_group g, const char *class_name)
{
	for (size_t i = 0; i < u->nslots; i++)
		if (u->slots[i].group == g && !strcmp(u->slots[i].class_name, class_name))
			return &u->slots[i];
	return NULL;
}

static int check_slots(const char *path, const struct agent_update_config *u, gw_error *err)
{
	for (size_t i = 0; i < u->nslots; i++) {
		const struct agent_slot *s = &u->slots[i];
		enum bl_group other = s->group == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;

		if (!config_update_slot(u, other, s->class_name))
			return gw_fail(err, GW_E_CONFIG,
				       "%s:%d: [slot %c.%s] has no [slot %c.%s]: every slot class "
				       "needs a device in both groups",
				       path, s->line, bl_group_char(s->group), s->class_name,
				       bl_group_char(other), s->class_name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(u->slots[j].device, s->device))
				return gw_fail(err, GW_E_CONFIG,
					       "%s:%d: [slot %c.%s]: device %s is already the device "
					       "of [slot %c.%s] (line %d)",
					       path, s->line, bl_group_char(s->group), s->class_name,
					       s->device, bl_group_char(u->slots[j].group),
					       u->slots[j].class_name, u->slots[j].line);
	}
	return 0;
}

static bool has_channel(const struct agent_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nchannels; i++)
		if (!strcmp(cfg->channels[i].name, name))
			return true;
	return false;
}

int config_update_check(const char *path, const struct agent_config *cfg, gw_error *err)
{
	const struct agent_update_config *u = &cfg->update;
	const char *missing = NULL;

	if (!u->configured && !u->nslots)
		return 0;
	if (!u->configured)
		return gw_fail(err, GW_E_CONFIG,
			       "%s:%d: [slot %c.%s] needs an [update] section (root, channel, "
			       "bootloader, bootloader_path)",
			       path, u->slots[0].line, bl_group_char(u->slots[0].group),
			       u->slots[0].class_name);
	if (!u->root)
		missing = "root";
	else if (!u->channel)
		missing = "channel";
	else if (!u->bootloader_set)
		missing = "bootloader";
	else if (!u->bootloader_path)
		missing = "bootloader_path";
	if (missing)
		return gw_fail(err, GW_E_CONFIG, "%s:%d: [update] needs '%s'", path, u->line,
			       missing);
	if (!has_channel(cfg, u->channel))
		return gw_fail(err, GW_E_CONFIG,
			       "%s:%d: [update] channel '%s' has no [channel %s] section (its "
			       "anti-rollback counter)",
			       path, u->line, u->channel, u->channel);
	if (!u->nslots)
		return gw_fail(err, GW_E_CONFIG,
			       "%s:%d: [update] needs slots: [slot A.CLASS] and [slot B.CLASS] "
			       "with a device each",
			       path, u->line);
	return check_slots(path, u, err);
}

void config_update_defaults(struct agent_update_config *u)
{
	memset(u, 0, sizeof(*u));
	u->trial_tries = AGENT_DEFAULT_TRIAL_TRIES;
	u->history_max = AGENT_DEFAULT_HISTORY_MAX;
}

void config_update_fini(struct agent_update_config *u)
{
	for (size_t i = 0; i < u->nslots; i++) {
		free(u->slots[i].class_name);
		free(u->slots[i].device);
	}
	free(u->slots);
	free(u->root);
	free(u->channel);
	free(u->bootloader_path);
	free(u->cmdline);
	free(u->reboot_command);
	memset(u, 0, sizeof(*u));
}
