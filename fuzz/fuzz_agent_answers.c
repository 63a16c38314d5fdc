// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the agent's parsers of the verifier's answers and of
// enrollment.json: the first byte picks the parser, the rest is the text.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "answers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_id(const char *s)
{
	if (!answers_valid_id(s))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	gw_error err = { { 0 } };

	if (size == 0)
		return 0;
	switch (data[0] % 7) {
	case 0: {
		struct answer_enroll a;

		if (!answers_parse_enroll(text, len, &a, &err) &&
		    (strlen(a.enrollment_id) != ANSWERS_ENROLL_ID_HEX || a.blob.size == 0 ||
		     a.blob.size > sizeof(a.blob.credential) || a.enc.size == 0 ||
		     a.enc.size > sizeof(a.enc.secret)))
			__builtin_trap();
		break;
	}
	case 1: {
		struct answer_activate a;

		if (!answers_parse_activate(text, len, &a, &err)) {
			check_id(a.device_id);
			if ((a.state == ANSWER_ENROLLED) != (a.client_certificate != NULL))
				__builtin_trap();
			answers_activate_fini(&a);
		}
		break;
	}
	case 2: {
		struct answer_challenge a;

		if (!answers_parse_challenge(text, len, &a, &err) &&
		    (a.nonce_len == 0 || a.nonce_len > sizeof(a.nonce)))
			__builtin_trap();
		break;
	}
	case 3: {
		struct answer_attest a;

		if (!answers_parse_attest(text, len, &a, &err)) {
			if (!a.ear || strlen(a.ear) == 0)
				__builtin_trap();
			answers_attest_fini(&a);
		}
		break;
	}
	case 4: {
		struct answer_error a;

		(void)answers_parse_error(text, len, &a, &err);
		break;
	}
	case 5: {
		struct enroll_state st, back;
		char *out = NULL;
		size_t out_len = 0;

		if (answers_parse_enroll_state(text, len, &st, &err))
			break;
		check_id(st.device_id);
		check_id(st.model);
		/* What we parse we can write, and read back the same. */
		if (answers_format_enroll_state(&st, &out, &out_len) ||
		    answers_parse_enroll_state(out, out_len, &back, &err) ||
		    back.secret_len != st.secret_len ||
		    memcmp(back.secret, st.secret, st.secret_len) || strcmp(back.url, st.url))
			__builtin_trap();
		free(out);
		break;
	}
	default: {
		/* EAR claims as jwt_verify_es256 would hand them over. */
		struct json_tokener *tok = json_tokener_new_ex(16);
		json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
		struct ear_summary s;
		static const uint8_t nonce[4] = { 0x0a, 0xb1, 0xc2, 0xff };
		json_object *n = NULL;
		int rc;

		if (o && !answers_ear_summary(o, &s, &err) && s.nfailed > ANSWERS_MAX_FAILED)
			__builtin_trap();
		/* this round's nonce only: accepted exactly when eat_nonce is "0ab1c2ff" */
		rc = answers_ear_nonce_check(o, nonce, sizeof(nonce), &err);
		if (rc != GW_E_STATE && rc != 0)
			__builtin_trap();
		if (!rc != (json_object_object_get_ex(o, "eat_nonce", &n) &&
			    json_object_is_type(n, json_type_string) &&
			    !strcmp(json_object_get_string(n), "0ab1c2ff")))
			__builtin_trap();
		json_object_put(o);
		json_tokener_free(tok);
		break;
	}
	}
	return 0;
}
