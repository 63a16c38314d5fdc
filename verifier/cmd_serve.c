// SPDX-License-Identifier: Apache-2.0
// gwverifier serve: the HTTPS verifier service.
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "httpd.h"
#include "notify.h"
#include "service.h"
#include "verifier.h"

#define DEFAULT_CONFIG "/etc/gatewarden/verifier.conf"

static void serve_log(const char *line)
{
	service_log("%s", line);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier serve [--config FILE]\n\n"
		   "Serves the verifier's HTTPS API (doc/protocol.md) on the configured address\n"
		   "until SIGTERM or SIGINT. Log lines go to stderr.\n\n"
		   "  --config FILE  verifier configuration (default %s)\n",
		DEFAULT_CONFIG);
}

int cmd_serve(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG;
	struct service svc;
	struct httpd *h = NULL;
	struct httpd_config hc;
	gw_error err = { { 0 } };
	unsigned long fd_soft = 0, fd_hard = 0;
	int c, rc, sig;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	/* Every connection is a descriptor: take all the hard limit allows. */
	if (httpd_raise_fd_limit(&fd_soft, &fd_hard) != 0)
		service_log("descriptor limit stays %lu: cannot raise it to the hard limit %lu",
			    fd_soft, fd_hard);
	rc = service_init(&svc, config, &err);
	if (rc) {
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		service_fini(&svc);
		return rc == GW_E_CONFIG || rc == GW_E_NOTFOUND || rc == GW_E_KEY ? GW_EXIT_CONFIG
											: GW_EXIT_ERROR;
	}
	memset(&hc, 0, sizeof(hc));
	hc.listen = svc.cfg.listen;
	hc.cert_file = svc.cfg.tls_cert;
	hc.key_file = svc.cfg.tls_key;
	hc.client_ca_file = svc.cfg.ca_cert;
	hc.threads = svc.cfg.threads;
	hc.max_body = svc.cfg.max_body;
	hc.timeout_s = svc.cfg.request_timeout;
	hc.max_conns = svc.cfg.max_connections;
	hc.max_conns_per_source = svc.cfg.max_connections_per_source;
	hc.max_conns_per_prefix = svc.cfg.max_connections_per_prefix;
	hc.max_handshakes_per_source = svc.cfg.max_handshakes_per_source;
	hc.handshake_timeout_s = svc.cfg.handshake_timeout;
	hc.request_read_timeout_s = svc.cfg.request_read_timeout;
	hc.log = serve_log;
	/* systemd's watchdog (WatchdogSec=): keep-alives at half its timeout, sent
	 * only while every worker's loop turns. */
	hc.alive_ms = gw_notify_keepalive_ms();
	hc.alive = hc.alive_ms ? gw_notify_watchdog : NULL;
	rc = httpd_start(&hc, service_routes, service_nroutes, service_thread_init,
			 service_thread_fini, &svc, &h, &err);
	if (rc) {
		verifier_errorf(ctx, "serve: %s", gw_error_msg(&err, rc));
		service_fini(&svc);
		return GW_EXIT_ERROR;
	}
	service_log("verifier %s serving on %s (port %u), %u worker(s)", svc.cfg.id,
		    svc.cfg.listen, httpd_port(h), svc.cfg.threads);
	service_log("connections: at most %u open, %u per source, %u per IPv6 /56 (%u per "
		    "/48), %u per source in the TLS handshake; descriptor limit %lu (hard %lu); "
		    "TLS handshake within %u s, each request within %u s",
		    httpd_max_conns(h), svc.cfg.max_connections_per_source,
		    svc.cfg.max_connections_per_prefix, 2 * svc.cfg.max_connections_per_prefix,
		    svc.cfg.max_handshakes_per_source, fd_soft, fd_hard,
		    svc.cfg.handshake_timeout, svc.cfg.request_read_timeout);
	gw_notify_ready("serving");
	sig = httpd_run_until_signal(h);
	gw_notify_stopping();
	service_log("stopping on signal %d", sig);
	service_fini(&svc);
	return GW_EXIT_OK;
}
