// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the trust-root parser: parse, and for what parses, check
// what the parser promises (digest, roles within the key list, thresholds in
// range), write the document again with root_format() and parse that, which must
// give the same keys and roles (the key list perhaps in another order); then run
// the signature and rotation checks.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "root.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_invariants(const struct root *r)
{
	uint8_t md[32];

	if (!EVP_Digest(r->payload, r->payload_len, md, NULL, EVP_sha256(), NULL) ||
	    memcmp(md, r->digest, 32) || r->version < 1 || !r->nkeys || r->nkeys > ROOT_MAX_KEYS)
		__builtin_trap();
	for (unsigned i = 0; i < ROOT_NROLES; i++) {
		const struct root_role *rl = &r->role[i];

		if (!rl->nkeys || rl->threshold < 1 || rl->threshold > rl->nkeys)
			__builtin_trap();
		for (size_t k = 0; k < rl->nkeys; k++)
			if (root_key_index(r, rl->keys[k]) < 0 ||
			    strcmp(r->keyid[root_key_index(r, rl->keys[k])], rl->keyid[k]))
				__builtin_trap();
	}
}

/* The same document written again: same version, expiry, keys and roles. */
static void check_reformat(const struct root *r)
{
	struct root_draft d = { .version = r->version, .expires = r->expires };
	struct root *back = NULL;
	gw_error err = { { 0 } };
	char *doc = NULL, *env = NULL;
	size_t len = 0;

	for (unsigned i = 0; i < ROOT_NROLES; i++) {
		memcpy(d.role[i].keys, r->role[i].keys, sizeof(d.role[i].keys));
		d.role[i].nkeys = r->role[i].nkeys;
		d.role[i].threshold = r->role[i].threshold;
	}
	if (root_format(&d, &doc, &len, &err))
		__builtin_trap();
	/* No private key here: wrap it in the original signatures, which no longer
	 * verify, only to go through the parser. */
	{
		struct dsse_envelope e = *r->env;

		e.payload = (uint8_t *)doc;
		e.payload_len = len;
		if (dsse_format(&e, &env))
			__builtin_trap();
	}
	if (root_parse((const uint8_t *)env, strlen(env), &back, &err))
		__builtin_trap();
	if (back->version != r->version || back->expires != r->expires ||
	    back->nkeys != r->nkeys)
		__builtin_trap();
	for (size_t k = 0; k < r->nkeys; k++)
		if (root_key_index(back, r->keys[k]) < 0)
			__builtin_trap();
	for (unsigned i = 0; i < ROOT_NROLES; i++) {
		if (back->role[i].nkeys != r->role[i].nkeys ||
		    back->role[i].threshold != r->role[i].threshold)
			__builtin_trap();
		for (size_t k = 0; k < r->role[i].nkeys; k++)
			if (strcmp(back->role[i].keyid[k], r->role[i].keyid[k]))
				__builtin_trap();
	}
	root_free(back);
	free(env);
	free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct root *r = NULL;
	gw_error err = { { 0 } };

	if (root_parse(data, size, &r, &err))
		return 0;
	check_invariants(r);
	check_reformat(r);
	(void)root_verify_self(r, (time_t)1796083200, &err);
	(void)root_verify_successor(r, r, (time_t)1796083200, &err);
	root_free(r);
	return 0;
}
