// SPDX-License-Identifier: Apache-2.0
// gwverifier serve: the HTTPS verifier service.
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "httpd.h"
#include "metrics_http.h"
#include "notify.h"
#include "serve_run.h"
#include "service.h"
#include "verifier.h"
#include "vlog.h"

#define DEFAULT_CONFIG "/etc/gatewarden/verifier.conf"

/* The HTTPS layer's lines: connections refused or cut off, accept() failing. */
static void serve_log(const char *line)
{
	vlog(VLOG_WARNING, "%s", line);
}

/* The metrics listener when [metrics] listen names one. */
static int start_metrics(struct service *svc, struct metrics_http **mh, gw_error *err)
{
	int rc;

	if (!svc->cfg.metrics_listen)
		return 0;
	rc = metrics_http_start(svc->cfg.metrics_listen, svc, svc->cfg.metrics_refresh, mh, err);
	if (!rc)
		vlog(VLOG_INFO, "metrics on http://%s/metrics (port %u)", svc->cfg.metrics_listen,
		     metrics_http_port(*mh));
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier serve [--config FILE] [--syslog]\n\n"
		   "Serves the verifier's HTTPS API (doc/protocol.md) on the configured address\n"
		   "until SIGTERM or SIGINT, and Prometheus metrics on [metrics] listen if set;\n"
		   "SIGHUP (gwverifier reload) reads the configuration again. Log lines go to\n"
		   "stderr, each with its syslog priority as a \"<N>\" prefix (doc/verifier.md,\n"
		   "\"Logging\").\n\n"
		   "  --config FILE  verifier configuration (default %s)\n"
		   "  --syslog       log to syslog (facility daemon) instead of stderr\n",
		DEFAULT_CONFIG);
}

/* The HTTPS server's settings from the verifier's configuration. */
static void httpd_config_of(const struct service *svc, struct httpd_config *hc)
{
	memset(hc, 0, sizeof(*hc));
	hc->listen = svc->cfg.listen;
	hc->cert_file = svc->cfg.tls_cert;
	hc->key_file = svc->cfg.tls_key;
	hc->client_ca_file = svc->cfg.ca_cert;
	hc->threads = svc->cfg.threads;
	hc->max_body = svc->cfg.max_body;
	hc->timeout_s = svc->cfg.request_timeout;
	hc->max_conns = svc->cfg.max_connections;
	hc->max_conns_per_source = svc->cfg.max_connections_per_source;
	hc->max_conns_per_prefix = svc->cfg.max_connections_per_prefix;
	hc->max_handshakes_per_source = svc->cfg.max_handshakes_per_source;
	hc->handshake_timeout_s = svc->cfg.handshake_timeout;
	hc->request_read_timeout_s = svc->cfg.request_read_timeout;
	hc->log = serve_log;
	/* systemd's watchdog (WatchdogSec=): keep-alives at half its timeout, sent
	 * only while every worker's loop turns. */
	hc->alive_ms = gw_notify_keepalive_ms();
	hc->alive = hc->alive_ms ? gw_notify_watchdog : NULL;
}

static void log_serving(const struct service *svc, const struct httpd *h, unsigned long fd_soft,
			unsigned long fd_hard)
{
	vlog(VLOG_INFO, "verifier %s serving on %s (port %u), %u worker(s)", svc->cfg.id,
	     svc->cfg.listen, httpd_port(h), svc->cfg.threads);
	vlog(VLOG_INFO, "connections: at most %u open, %u per source, %u per IPv6 /56 (%u per "
			"/48), %u per source in the TLS handshake; descriptor limit %lu (hard %lu); "
			"TLS handshake within %u s, each request within %u s",
	     httpd_max_conns(h), svc->cfg.max_connections_per_source,
	     svc->cfg.max_connections_per_prefix, 2 * svc->cfg.max_connections_per_prefix,
	     svc->cfg.max_handshakes_per_source, fd_soft, fd_hard, svc->cfg.handshake_timeout,
	     svc->cfg.request_read_timeout);
}

/* Serve with a started service until a stopping signal; the exit status. */
static int run(struct verifier_ctx *ctx, struct service *svc, const char *config,
	       unsigned long fd_soft, unsigned long fd_hard)
{
	struct httpd *h = NULL;
	struct metrics_http *mh = NULL;
	struct httpd_config hc;
	gw_error err = { { 0 } };
	int rc, sig, pid_fd = -1;

	/* Before the port: a second verifier of this configuration is named as such. */
	rc = serve_pidfile_open(svc->cfg.pid_file, &pid_fd, &err);
	if (rc) {
		verifier_errorf(ctx, "serve: %s", gw_error_msg(&err, rc));
		return rc == GW_E_STATE ? GW_EXIT_STATE : GW_EXIT_ERROR;
	}
	httpd_config_of(svc, &hc);
	rc = httpd_start(&hc, service_routes, service_nroutes, service_thread_init,
			 service_thread_fini, svc, &h, &err);
	if (!rc)
		rc = start_metrics(svc, &mh, &err);
	if (rc) {
		verifier_errorf(ctx, "serve: %s", gw_error_msg(&err, rc));
		httpd_stop(h);
		serve_pidfile_close(svc->cfg.pid_file, pid_fd);
		return GW_EXIT_ERROR;
	}
	log_serving(svc, h, fd_soft, fd_hard);
	gw_notify_ready("serving");
	sig = serve_loop(svc, config);
	gw_notify_stopping();
	metrics_http_stop(mh);
	vlog(VLOG_INFO, "stopping on signal %d", sig);
	httpd_stop(h);
	serve_pidfile_close(svc->cfg.pid_file, pid_fd);
	return GW_EXIT_OK;
}

int cmd_serve(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "syslog", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG;
	struct service svc;
	bool use_syslog = false;
	gw_error err = { { 0 } };
	unsigned long fd_soft = 0, fd_hard = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			use_syslog = true;
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
	if (vlog_open(use_syslog)) {
		verifier_errorf(ctx, "serve: %s", gw_strerror(GW_E_NOMEM));
		return GW_EXIT_ERROR;
	}
	/* Before any thread exists: SIGHUP must not kill a verifier that starts up. */
	serve_block_signals();
	/* Every connection is a descriptor: take all the hard limit allows. */
	if (httpd_raise_fd_limit(&fd_soft, &fd_hard) != 0)
		vlog(VLOG_WARNING, "descriptor limit stays %lu: cannot raise it to the hard limit %lu",
		     fd_soft, fd_hard);
	rc = service_init(&svc, config, &err);
	if (rc) {
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		service_fini(&svc);
		vlog_close();
		return rc == GW_E_CONFIG || rc == GW_E_NOTFOUND || rc == GW_E_KEY ? GW_EXIT_CONFIG
											: GW_EXIT_ERROR;
	}
	rc = run(ctx, &svc, config, fd_soft, fd_hard);
	service_fini(&svc);
	vlog_close();
	return rc;
}
