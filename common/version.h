/* SPDX-License-Identifier: Apache-2.0 */
/* The one version of gwagent, gwverifier and gwpolicy, and the text their
 * `--version` prints. */
#ifndef GW_VERSION_H
#define GW_VERSION_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_error.h"

#define GW_VERSION "0.3.0"

/* "PROG VERSION\n", or with json {"name":"PROG","version":"VERSION"} and a
 * newline, into buf. GW_E_TOOBIG when it does not fit, GW_E_NOMEM. */
int gw_version_text(const char *prog, bool json, char *buf, size_t len) GW_WUR;

/* A tool's main(): argv[1] is --version (then 1, buf has its text), optionally
 * followed by --json and nothing else (-1 when other words follow); 0 when
 * argv[1] is something else. */
int gw_version_request(int argc, char **argv, const char *prog, char *buf, size_t len);

#endif
