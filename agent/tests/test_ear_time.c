// SPDX-License-Identifier: Apache-2.0
// Unit tests for the time expiry is judged by: the later of the system clock and
// the latest verified attestation result's "iat" (a clock behind is overridden, a
// result's old time never holds the clock back: review finding F7), the system
// clock without a result or a gate key, and a refusal for a result that does not
// verify or carries no usable "iat".
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "agent.h"
#include "ear_time.h"
#include "enroll_state.h"
#include "jwt.h"
#include "tpmdata.h"
#include "util.h"

struct fixture {
	char dir[64];
	struct agent_ctx ctx;
	EVP_PKEY *gate, *other;
};

static void put(struct fixture *f, const char *name, const char *text)
{
	char path[128];

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", f->dir, name), 0);
	assert_int_equal(gw_write_file_atomic(path, text, strlen(text), 0600, NULL), 0);
}

static void put_ear(struct fixture *f, EVP_PKEY *key, const char *claims_text)
{
	json_object *claims = json_tokener_parse(claims_text);
	char *tok = NULL;

	assert_non_null(claims);
	assert_int_equal(jwt_sign_es256(key, NULL, claims, &tok), 0);
	put(f, ENROLL_RESULT_FILE, tok);
	free(tok);
	json_object_put(claims);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *pem = NULL;

	if (!f)
		return -1;
	memcpy(f->dir, "/tmp/gw-test-eartime.XXXXXX", 28);
	if (!mkdtemp(f->dir))
		return -1;
	f->ctx.state_dir = f->dir;
	f->gate = EVP_EC_gen("P-256");
	f->other = EVP_EC_gen("P-256");
	if (!f->gate || !f->other || tpmdata_pkey_to_pem(f->gate, &pem))
		return -1;
	put(f, ENROLL_GATE_FILE, pem);
	free(pem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, ENROLL_GATE_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", f->dir, ENROLL_RESULT_FILE);
	unlink(path);
	rmdir(f->dir);
	EVP_PKEY_free(f->gate);
	EVP_PKEY_free(f->other);
	free(f);
	return 0;
}

static void test_sources(void **state)
{
	struct fixture *f = *state;
	enum ear_time_source src;
	gw_error err = { { 0 } };
	int64_t now = 0, before = (int64_t)time(NULL);
	char path[128], away[128];

	/* no result yet: the system clock */
	assert_int_equal(ear_time_now(&f->ctx, &now, &src, &err), 0);
	assert_int_equal(src, EAR_TIME_SYSTEM);
	assert_true(now >= before && now <= (int64_t)time(NULL));

	/* a verified result later than the clock (a clock behind, 2100): its issue
	 * time */
	put_ear(f, f->gate, "{\"iat\":4102444800,\"exp\":4102445100,\"sub\":\"gw-1\"}");
	assert_int_equal(ear_time_now(&f->ctx, &now, &src, &err), 0);
	assert_int_equal(src, EAR_TIME_RESULT);
	assert_int_equal(now, 4102444800LL);
	assert_string_equal(ear_time_source_name(src), "attestation-result");

	/* a verified result older than the clock (2001: the device kept away from
	 * the verifier): the clock, so that expiry is not frozen at the result's */
	put_ear(f, f->gate, "{\"iat\":1000000000,\"exp\":1000000300,\"sub\":\"gw-1\"}");
	before = (int64_t)time(NULL);
	assert_int_equal(ear_time_now(&f->ctx, &now, &src, &err), 0);
	assert_int_equal(src, EAR_TIME_SYSTEM);
	assert_true(now >= before && now <= (int64_t)time(NULL));
	assert_string_equal(ear_time_source_name(src), "system-clock");
	put_ear(f, f->gate, "{\"iat\":4102444800,\"exp\":4102445100,\"sub\":\"gw-1\"}");

	/* no gate key to check it with: not believed */
	snprintf(path, sizeof(path), "%s/%s", f->dir, ENROLL_GATE_FILE);
	snprintf(away, sizeof(away), "%s/gate.away", f->dir);
	assert_int_equal(rename(path, away), 0);
	assert_int_equal(ear_time_now(&f->ctx, &now, &src, &err), 0);
	assert_int_equal(src, EAR_TIME_SYSTEM);
	assert_int_equal(rename(away, path), 0);
}

static void test_refused(void **state)
{
	struct fixture *f = *state;
	enum ear_time_source src;
	gw_error err = { { 0 } };
	int64_t now = 0;

	/* signed by another key (a result written behind the agent's back) */
	put_ear(f, f->other, "{\"iat\":1796601600}");
	assert_int_equal(ear_time_now(&f->ctx, &now, &src, &err), GW_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "the latest attestation result"));
	assert_int_equal(src, EAR_TIME_SYSTEM);
	/* no usable iat */
	put_ear(f, f->gate, "{\"exp\":1796601600}");
	assert_int_equal(ear_time_now(&f->ctx, &now, &src, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "'iat' is missing"));
	put_ear(f, f->gate, "{\"iat\":\"1796601600\"}");
	assert_int_equal(ear_time_now(&f->ctx, &now, &src, &err), GW_E_PARSE);
	put_ear(f, f->gate, "{\"iat\":0}");
	assert_int_equal(ear_time_now(&f->ctx, &now, &src, &err), GW_E_PARSE);
	put(f, ENROLL_RESULT_FILE, "not a token");
	assert_int_not_equal(ear_time_now(&f->ctx, &now, &src, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};

	return cmocka_run_group_tests_name("ear_time", tests, NULL, NULL);
}
