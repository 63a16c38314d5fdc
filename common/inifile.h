/* SPDX-License-Identifier: Apache-2.0 */
/* Strict INI files on top of inih: every error names its line; NUL bytes, over-long
 * lines and text after a section header are errors instead of being cut short;
 * leading blanks are ignored (no continuation lines). */
#ifndef GW_INIFILE_H
#define GW_INIFILE_H

#include "gw_error.h"

#define GW_INI_SECTION_MAX 128 /* longest section name accepted */

struct gw_ini_ops {
	/* A section header [name] (the whole name). Return 0 to accept it, else a
	 * GW_E_* code with the detail in err (the line is added). */
	int (*section)(void *user, const char *name, gw_error *err);
	/* key = value in section. Same return convention. */
	int (*key)(void *user, const char *section, const char *key, const char *value,
		   int line, gw_error *err);
};

/* Parse path. Errors: GW_E_NOTFOUND (no such file), GW_E_NOMEM, GW_E_CONFIG (any
 * other failure, with "PATH:LINE: detail" in err). The key callback is told its
 * line, for checks the caller makes after loading. */
int gw_ini_load(const char *path, const struct gw_ini_ops *ops, void *user,
		gw_error *err) GW_WUR;

#endif
