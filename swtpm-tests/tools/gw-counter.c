// SPDX-License-Identifier: Apache-2.0
// Test tool: reads and advances a configured channel's anti-rollback counter through
// the agent's counter module, as `update` commit does.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "util.h"

/* Exit codes of this tool: 1 + the position of the GW_E_* code would be unstable, so
 * the codes the scenarios tell apart get their own. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NOTFOUND = 3, EXIT_STATE = 4 };

static void usage(FILE *f)
{
	fprintf(f, "usage: gw-counter --config FILE read CHANNEL\n"
		   "       gw-counter --config FILE advance CHANNEL SECURITY_VERSION\n\n"
		   "read prints the channel's counter as one JSON object (value, baseline,\n"
		   "security_version); advance calls counter_advance to raise the security\n"
		   "version to exactly SECURITY_VERSION, then prints the same. TCTI from\n"
		   "$GW_TCTI, else the config's tcti.\n"
		   "Exit: 0 ok, 1 other failure, 2 usage, 3 not provisioned (GW_E_NOTFOUND),\n"
		   "4 refused (GW_E_STATE: above the target, or indices not ours).\n");
}

static int exit_for(int rc)
{
	return rc == GW_E_NOTFOUND ? EXIT_NOTFOUND : rc == GW_E_STATE ? EXIT_STATE : EXIT_FAIL;
}

static int run(const struct agent_config *cfg, const char *tcti, char **argv, int argc)
{
	struct agent_tpm *tpm = NULL;
	struct counter_channel ch;
	struct counter_state st;
	gw_error err = { { 0 } };
	uint64_t target = 0;
	int rc;

	if (argc == 3 && (gw_parse_u64(argv[2], UINT64_MAX, &target) || strcmp(argv[0], "advance")))
		return EXIT_USAGE;
	if (argc == 2 && strcmp(argv[0], "read"))
		return EXIT_USAGE;
	rc = counter_channel_find(cfg, argv[1], &ch, &err);
	if (!rc)
		rc = tpm_open(tcti, &tpm, &err);
	if (!rc)
		rc = argc == 3 ? counter_advance(tpm, &ch, target, &st, &err)
			       : counter_read(tpm, &ch, &st, &err);
	tpm_close(tpm);
	if (rc) {
		fprintf(stderr, "gw-counter: %s: %s\n", gw_strerror(rc), gw_error_msg(&err, rc));
		return exit_for(rc);
	}
	printf("{\"channel\": \"%s\", \"value\": %llu, \"baseline\": %llu, "
	       "\"security_version\": %llu}\n",
	       ch.name, (unsigned long long)st.value, (unsigned long long)st.baseline,
	       (unsigned long long)st.security_version);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	const char *tcti;
	int rc;

	if (argc < 5 || argc > 6 || strcmp(argv[1], "--config")) {
		usage(stderr);
		return EXIT_USAGE;
	}
	agent_config_defaults(&cfg);
	rc = agent_config_load(argv[2], &cfg, &err);
	if (rc) {
		fprintf(stderr, "gw-counter: %s\n", gw_error_msg(&err, rc));
		agent_config_fini(&cfg);
		return EXIT_FAIL;
	}
	tcti = getenv("GW_TCTI");
	if (!tcti || !*tcti)
		tcti = cfg.tcti ? cfg.tcti : AGENT_DEFAULT_TCTI;
	rc = run(&cfg, tcti, argv + 3, argc - 3);
	if (rc == EXIT_USAGE)
		usage(stderr);
	agent_config_fini(&cfg);
	return rc;
}
