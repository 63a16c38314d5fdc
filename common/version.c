// SPDX-License-Identifier: Apache-2.0
// The tools' version (version.h).
#include "version.h"

#include <string.h>

#include <json-c/json.h>

#include "util.h"

int gw_version_text(const char *prog, bool json, char *buf, size_t len)
{
	json_object *o;
	int rc;

	if (!json)
		return gw_snprintf(buf, len, "%s %s\n", prog, GW_VERSION) ? GW_E_TOOBIG : 0;
	o = json_object_new_object();
	if (!o)
		return GW_E_NOMEM;
	json_object_object_add(o, "name", json_object_new_string(prog));
	json_object_object_add(o, "version", json_object_new_string(GW_VERSION));
	rc = gw_snprintf(buf, len, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN))
		     ? GW_E_TOOBIG
		     : 0;
	json_object_put(o);
	return rc;
}

int gw_version_request(int argc, char **argv, const char *prog, char *buf, size_t len)
{
	bool json = argc == 3 && !strcmp(argv[2], "--json");

	if (argc < 2 || strcmp(argv[1], "--version"))
		return 0;
	if ((argc != 2 && !json) || gw_version_text(prog, json, buf, len))
		return -1;
	return 1;
}
