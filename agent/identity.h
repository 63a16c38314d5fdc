/* SPDX-License-Identifier: Apache-2.0 */
/* The device's TLS identity: tls.key and tls.pem in the state directory, and how a
 * new pair replaces them. A new key is written to tls.key.new (0600) before it is
 * sent anywhere; its certificate to tls.pem.new once the verifier issued it; then
 * tls.key.new is renamed over tls.key and tls.pem.new over tls.pem, each rename
 * made durable. The old pair stays until the new certificate is saved, and
 * identity_complete() finishes an installation a crash cut short. */
#ifndef GW_AGENT_IDENTITY_H
#define GW_AGENT_IDENTITY_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "agent.h"
#include "certinfo.h"

#define IDENTITY_NEW_KEY_FILE "tls.key.new"
#define IDENTITY_NEW_CERT_FILE "tls.pem.new"

struct identity_facts {
	bool usable;         /* key and certificate readable and of one pair */
	char why[256];       /* when not usable: what is missing or wrong */
	struct certinfo cert; /* when usable */
};

/* A new ECC P-256 key written to path (PKCS#8 PEM) crash-safely, mode 0600,
 * replacing what was there. */
int identity_key_create(const char *path, EVP_PKEY **out, gw_error *err) GW_WUR;
/* An ECC P-256 private key (PEM) from path; GW_E_KEY for anything else. */
int identity_key_read(const char *path, EVP_PKEY **out, gw_error *err) GW_WUR;
/* What the installed pair is; 0 unless a path does not fit (a missing or broken
 * file is out->usable false with the reason). */
int identity_read(const struct agent_ctx *ctx, struct identity_facts *out,
		  gw_error *err) GW_WUR;
/* Install cert_pem, which must certify new_key (already in tls.key.new); *info gets
 * its serial and validity. GW_E_KEY when the certificate is for another key. */
int identity_install(const struct agent_ctx *ctx, EVP_PKEY *new_key, const char *cert_pem,
		     struct certinfo *info, gw_error *err) GW_WUR;
/* Finish an installation: when tls.pem.new exists and certifies the new key, rename
 * the pair into place (*completed true); a tls.pem.new for no new key is removed,
 * and so are a tls.pem.new or tls.key.new that cannot be read (discarded, of
 * discarded_len bytes, then says which and why; else it is empty). Temporary files
 * of tls.key.new and tls.pem.new a crash left are removed: call it holding the
 * state lock (agent_lock_state). */
int identity_complete(const struct agent_ctx *ctx, bool *completed, char *discarded,
		      size_t discarded_len, gw_error *err) GW_WUR;

#endif
