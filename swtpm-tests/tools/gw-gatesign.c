// SPDX-License-Identifier: Apache-2.0
// Test tool: signs a gate authorization (TPM2_PolicySigned arguments) with a gate
// key file, as the verifier will, with options to make every kind of bad one.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "tpm_policy.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gw-gatesign --key PRIV.pem --nonce HEX (--name HEX --point HEX | --cphash HEX)\n"
		"                   [--expiration N] [--policy-ref HEX] [--out FILE]\n\n"
		"Signs SHA-256(nonceTPM || expiration || cpHash || policyRef) with the gate key\n"
		"(ECC P-256 private key, PEM) and writes the authorization JSON (stdout by\n"
		"default). cpHash is that of TPM2_ECDH_ZGen(key NAME, POINT) unless --cphash\n"
		"gives it; policyRef is the gate's constant unless --policy-ref gives it;\n"
		"expiration defaults to 60 (60 s after the session started; positive: no ticket).\n"
		"Exit: 0 ok, 1 failure, 2 usage.\n");
}

struct opts {
	const char *key, *nonce, *name, *point, *cphash, *ref, *out;
	int32_t expiration;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "key", required_argument, NULL, 'k' },    { "nonce", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'N' },   { "point", required_argument, NULL, 'p' },
		{ "cphash", required_argument, NULL, 'c' }, { "policy-ref", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },    { "expiration", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->expiration = 60;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'k': o->key = optarg; break;
		case 'n': o->nonce = optarg; break;
		case 'N': o->name = optarg; break;
		case 'p': o->point = optarg; break;
		case 'c': o->cphash = optarg; break;
		case 'r': o->ref = optarg; break;
		case 'o': o->out = optarg; break;
		case 'e':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < INT32_MIN || v > INT32_MAX)
				return -1;
			o->expiration = (int32_t)v;
			break;
		default: return -1;
		}
	}
	if (optind != argc || !o->key || !o->nonce || (!o->cphash && (!o->name || !o->point)))
		return -1;
	return 0;
}

static int load_priv(const char *path, EVP_PKEY **out, gw_error *err)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return gw_fail(err, GW_E_IO, "%s: cannot open", path);
	*out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return *out ? 0 : gw_fail(err, GW_E_KEY, "%s: not a PEM private key", path);
}

static int build(const struct opts *o, struct tpm_policy_auth *a, gw_error *err)
{
	uint8_t *nonce = NULL, point[TPM_POLICY_POINT_LEN];
	TPM2B_NAME name;
	size_t nlen = 0;
	uint8_t *nb = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	a->expiration = o->expiration;
	rc = gw_hex_decode(o->nonce, &nonce, &nlen, err);
	if (rc)
		return rc;
	if (nlen > sizeof(a->nonce_tpm)) {
		free(nonce);
		return gw_fail(err, GW_E_INVAL, "nonce longer than %zu bytes", sizeof(a->nonce_tpm));
	}
	memcpy(a->nonce_tpm, nonce, nlen);
	a->nonce_len = nlen;
	free(nonce);
	if (o->ref)
		rc = gw_hex_decode_fixed(o->ref, a->policy_ref, sizeof(a->policy_ref), err);
	else
		tpm_policy_gate_ref(a->policy_ref);
	if (rc)
		return rc;
	if (o->cphash)
		return gw_hex_decode_fixed(o->cphash, a->cphash, sizeof(a->cphash), err);
	rc = gw_hex_decode(o->name, &nb, &nlen, err);
	if (!rc && (nlen > sizeof(name.name) || nlen < 2))
		rc = gw_fail(err, GW_E_INVAL, "bad key name length");
	if (!rc) {
		name.size = (uint16_t)nlen;
		memcpy(name.name, nb, nlen);
		rc = gw_hex_decode_fixed(o->point, point, sizeof(point), err);
	}
	free(nb);
	if (!rc && tpm_policy_zgen_cphash(&name, point, a->cphash))
		rc = gw_fail(err, GW_E_INVAL, "the point is not uncompressed");
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct tpm_policy_auth a;
	EVP_PKEY *key = NULL;
	json_object *j = NULL;
	gw_error err = { { 0 } };
	const char *text;
	int rc;

	if (parse_args(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	rc = load_priv(o.key, &key, &err);
	if (!rc)
		rc = build(&o, &a, &err);
	if (!rc)
		rc = tpm_policy_auth_sign(key, &a, &err);
	if (!rc && (rc = tpm_policy_auth_to_json(&a, &j)))
		gw_fail(&err, rc, "encoding the authorization");
	if (!rc) {
		text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
		if (o.out)
			rc = gw_write_file_atomic(o.out, text, strlen(text), 0644, &err);
		else
			printf("%s\n", text);
	}
	json_object_put(j);
	EVP_PKEY_free(key);
	if (rc) {
		fprintf(stderr, "gw-gatesign: %s: %s\n", gw_strerror(rc), gw_error_msg(&err, rc));
		return 1;
	}
	return 0;
}
