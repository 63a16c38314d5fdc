// SPDX-License-Identifier: Apache-2.0
// gwverifier reload: check the configuration as `serve` would load it, then send
// the running verifier SIGHUP (its pid from the pid file it holds locked).
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "serve_run.h"
#include "service.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier reload [--config FILE] [--json]\n\n"
		   "Loads the configuration, its keys and certificates as 'serve' does and, when\n"
		   "all of it loads, sends SIGHUP to the verifier serving it (the pid in its\n"
		   "pid_file). The verifier reads the file again and logs what it applied;\n"
		   "listen, threads, store, TLS, CA and gate keys and connection limits need a\n"
		   "restart. Run it as root or as the verifier's user.\n\n"
		   "  --config FILE  verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --json         {\"config\", \"pid_file\", \"pid\"} on one line\n\n"
		   "Exit: 0 signalled, 1 signalling failed, 2 usage, 3 the configuration does\n"
		   "not load (nothing signalled), 5 no verifier is serving it.\n");
}

static int parse_args(int argc, char **argv, const char **config, bool *json)
{
	return cli_parse_config_json(argc, argv, usage, 0, config, json);
}

static void print_done(const char *config, const char *pid_file, pid_t pid, bool json)
{
	json_object *o;

	if (!json) {
		printf("%s loads; sent SIGHUP to gwverifier serve (pid %ld), which logs what it "
		       "applied\n",
		       config, (long)pid);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "config", json_object_new_string(config));
	json_object_object_add(o, "pid_file", json_object_new_string(pid_file));
	json_object_object_add(o, "pid", json_object_new_int64(pid));
	cli_json_print(o);
	json_object_put(o);
}

int cmd_reload(struct verifier_ctx *ctx, int argc, char **argv)
{
	const char *config = CLI_DEFAULT_CONFIG;
	struct service svc;
	gw_error err = { { 0 } };
	bool json = false;
	pid_t pid = 0;
	int rc, status;

	status = parse_args(argc, argv, &config, &json);
	if (status >= 0)
		return status;
	/* What the verifier will load: refused here, nothing is signalled. */
	rc = service_load(&svc, config, &err);
	if (rc) {
		verifier_errorf(ctx, "reload: %s; nothing signalled", gw_error_msg(&err, rc));
		status = rc == GW_E_NOMEM || rc == GW_E_IO ? GW_EXIT_ERROR : GW_EXIT_CONFIG;
		goto out;
	}
	rc = serve_pidfile_read(svc.cfg.pid_file, &pid, &err);
	if (rc) {
		verifier_errorf(ctx, "reload: %s", gw_error_msg(&err, rc));
		status = rc == GW_E_NOTFOUND ? GW_EXIT_STATE : GW_EXIT_ERROR;
		goto out;
	}
	if (kill(pid, SIGHUP)) {
		verifier_errorf(ctx, "reload: cannot signal gwverifier serve (pid %ld): %s%s",
				(long)pid, strerror(errno),
				errno == EPERM ? " (run it as root or as the verifier's user)" : "");
		status = GW_EXIT_ERROR;
		goto out;
	}
	print_done(config, svc.cfg.pid_file, pid, json);
	status = GW_EXIT_OK;
out:
	service_fini(&svc);
	return status;
}
