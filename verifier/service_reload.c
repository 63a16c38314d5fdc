// SPDX-License-Identifier: Apache-2.0
// Reloading a running verifier's configuration (SIGHUP, `gwverifier reload`).
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np: a reload must not starve */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "util.h"

int service_lock_init(struct service *svc)
{
	pthread_rwlockattr_t attr;
	int e;

	if (pthread_rwlockattr_init(&attr))
		return GW_E_NOMEM;
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	e = pthread_rwlock_init(&svc->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (e)
		return GW_E_NOMEM;
	svc->lock_init = true;
	return 0;
}

/* Append "what old -> new; " to kept (truncated quietly: it is a log line). */
static void note(char *kept, size_t len, const char *what, const char *o, const char *n)
{
	size_t used = strlen(kept);

	if (used + 1 >= len)
		return;
	snprintf(kept + used, len - used, "%s%s %s -> %s", used ? "; " : "", what,
		 o ? o : "(unset)", n ? n : "(unset)");
}

static void keep_str(char **cur, char **fresh, const char *what, char *kept, size_t len)
{
	char *t;

	if ((*cur == NULL) != (*fresh == NULL) || (*cur && strcmp(*cur, *fresh)))
		note(kept, len, what, *cur, *fresh);
	/* The running value goes into the new settings, the new one is freed with
	 * them. */
	t = *cur;
	*cur = *fresh;
	*fresh = t;
}

static void keep_uint(unsigned *cur, unsigned *fresh, const char *what, char *kept, size_t len)
{
	char o[24], n[24];

	if (*cur != *fresh) {
		snprintf(o, sizeof(o), "%u", *cur);
		snprintf(n, sizeof(n), "%u", *fresh);
		note(kept, len, what, o, n);
	}
	*fresh = *cur;
}

/* Put the start-up-only settings of cur into fresh, naming each that differs.
 * Afterwards cur holds fresh's values of them (freed with fresh's settings). */
static void keep_startup_only(struct service *cur, struct service *fresh, char *kept,
			      size_t len)
{
	struct vconfig *c = &cur->cfg, *f = &fresh->cfg;
	unsigned mb_c = (unsigned)c->max_body, mb_f = (unsigned)f->max_body;

	keep_str(&c->listen, &f->listen, "listen", kept, len);
	keep_str(&c->store, &f->store, "store", kept, len);
	keep_str(&c->tls_cert, &f->tls_cert, "tls_cert", kept, len);
	keep_str(&c->tls_key, &f->tls_key, "tls_key", kept, len);
	keep_str(&c->ca_cert, &f->ca_cert, "ca_cert", kept, len);
	keep_str(&c->ca_key, &f->ca_key, "ca_key", kept, len);
	keep_str(&c->gate_key, &f->gate_key, "gate_key", kept, len);
	keep_str(&c->pid_file, &f->pid_file, "pid_file", kept, len);
	keep_str(&c->metrics_listen, &f->metrics_listen, "[metrics] listen", kept, len);
	keep_uint(&c->metrics_refresh, &f->metrics_refresh, "[metrics] refresh", kept, len);
	keep_uint(&c->threads, &f->threads, "threads", kept, len);
	keep_uint(&mb_c, &mb_f, "max_body", kept, len);
	f->max_body = c->max_body;
	keep_uint(&c->request_timeout, &f->request_timeout, "request_timeout", kept, len);
	keep_uint(&c->max_connections, &f->max_connections, "max_connections", kept, len);
	keep_uint(&c->max_connections_per_source, &f->max_connections_per_source,
		  "max_connections_per_source", kept, len);
	keep_uint(&c->max_connections_per_prefix, &f->max_connections_per_prefix,
		  "max_connections_per_prefix", kept, len);
	keep_uint(&c->max_handshakes_per_source, &f->max_handshakes_per_source,
		  "max_handshakes_per_source", kept, len);
	keep_uint(&c->handshake_timeout, &f->handshake_timeout, "handshake_timeout", kept, len);
	keep_uint(&c->request_read_timeout, &f->request_read_timeout, "request_read_timeout",
		  kept, len);
	/* The same paths may hold other keys now: they too wait for a restart. */
	if (strcmp(cur->gate_pub_pem, fresh->gate_pub_pem))
		note(kept, len, "gate key", "(file replaced)", "(read at start-up only)");
	if (X509_cmp(cur->ca_cert, fresh->ca_cert))
		note(kept, len, "CA certificate", "(file replaced)", "(read at start-up only)");
}

static bool same_rate(const struct vconfig_rate *a, const struct vconfig_rate *b)
{
	return a->count == b->count && a->seconds == b->seconds;
}

/* Under the write lock: fresh's reloadable settings and keys into svc, svc's old
 * ones into fresh (freed with it). */
static void swap_in(struct service *svc, struct service *fresh)
{
	struct vconfig tcfg = svc->cfg;
	X509_STORE *tstore = svc->ek_store;
	EVP_PKEY *tkeys[VCONFIG_MAX_POLICY_KEYS];
	size_t tn = svc->n_policy_keys;
	struct service_ratelimit *tlim = svc->enroll_limit;

	svc->cfg = fresh->cfg;
	fresh->cfg = tcfg;
	svc->ek_store = fresh->ek_store;
	fresh->ek_store = tstore;
	memcpy(tkeys, svc->policy_keys, sizeof(tkeys));
	memcpy(svc->policy_keys, fresh->policy_keys, sizeof(tkeys));
	memcpy(fresh->policy_keys, tkeys, sizeof(tkeys));
	svc->n_policy_keys = fresh->n_policy_keys;
	fresh->n_policy_keys = tn;
	/* Unchanged limits keep their buckets: a reload does not hand out a new burst. */
	if (!same_rate(&svc->cfg.enroll_rate_source, &fresh->cfg.enroll_rate_source) ||
	    !same_rate(&svc->cfg.enroll_rate_global, &fresh->cfg.enroll_rate_global)) {
		svc->enroll_limit = fresh->enroll_limit;
		fresh->enroll_limit = tlim;
	}
	svc->generation++;
}

int service_reload(struct service *svc, const char *config_path, char *kept, size_t kept_len,
		   gw_error *err)
{
	struct service *fresh = calloc(1, sizeof(*fresh));
	int rc;

	if (kept_len)
		kept[0] = '\0';
	if (!fresh)
		return GW_E_NOMEM;
	/* Not the store: its path is a start-up setting, and opening it would create
	 * or migrate a database the running verifier does not use. */
	rc = service_load(fresh, config_path, err);
	if (rc)
		goto out;
	pthread_rwlock_wrlock(&svc->lock);
	keep_startup_only(svc, fresh, kept, kept_len);
	swap_in(svc, fresh);
	pthread_rwlock_unlock(&svc->lock);
out:
	service_fini(fresh);
	free(fresh);
	return rc;
}
