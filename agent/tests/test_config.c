// SPDX-License-Identifier: Apache-2.0
// Unit tests for the agent configuration file: defaults, good files, and one bad
// fixture per error, each named with its line.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/config"

static int load(const char *path, struct agent_config *cfg, gw_error *err)
{
	agent_config_defaults(cfg);
	return agent_config_load(path, cfg, err);
}

static void assert_defaults(const struct agent_config *cfg)
{
	assert_null(cfg->tcti);
	assert_null(cfg->state_dir);
	assert_null(cfg->firmware_log);
	assert_int_equal(cfg->stage_pcr, 13);
	assert_int_equal(cfg->trust_pcr, 14);
	assert_int_equal(cfg->srk_handle, 0x81000001u);
	assert_int_equal(cfg->ak_handle, 0x81000020u);
	assert_null(cfg->stages);
	assert_int_equal(cfg->nstages, 0);
	assert_null(cfg->verifier_url);
	assert_null(cfg->verifier_ca);
	assert_null(cfg->device_id);
	assert_null(cfg->model);
	assert_int_equal(cfg->attest_interval, 300);
}

static void assert_stage(const struct agent_config *cfg, size_t i, const char *name,
			 size_t nfiles)
{
	assert_true(i < cfg->nstages);
	assert_string_equal(cfg->stages[i].name, name);
	assert_int_equal(cfg->stages[i].nfiles, nfiles);
}

static void test_defaults(void **state)
{
	struct agent_config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	agent_config_defaults(&cfg);
	assert_defaults(&cfg);
	agent_config_fini(&cfg);
	agent_config_fini(&cfg); /* fini leaves a config that fini accepts again */
}

static void test_full(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/full.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(cfg.tcti, "mssim:host=localhost,port=2321");
	assert_string_equal(cfg.state_dir, "/var/lib/gatewarden-test");
	assert_string_equal(cfg.firmware_log,
			    "/sys/kernel/security/tpm0/binary_bios_measurements");
	assert_int_equal(cfg.stage_pcr, 16);
	assert_int_equal(cfg.trust_pcr, 23);
	assert_int_equal(cfg.srk_handle, 0x81000002u);
	assert_int_equal(cfg.ak_handle, 0x81ffffffu);
	assert_int_equal(cfg.nstages, 3);
	assert_stage(&cfg, 0, "rootfs", 1);
	assert_string_equal(cfg.stages[0].files[0], "/boot/rootfs.squashfs");
	assert_stage(&cfg, 1, "application", 3);
	assert_string_equal(cfg.stages[1].files[0], "/opt/app/bin/gateway-app");
	assert_string_equal(cfg.stages[1].files[1], "/opt/app/lib/libgateway.so");
	assert_string_equal(cfg.stages[1].files[2], "/opt/app/share/schema.json");
	assert_stage(&cfg, 2, "config.v2_x-y", 1);
	assert_string_equal(cfg.stages[2].files[0], "/etc/gateway/app.conf");
	agent_config_fini(&cfg);
	assert_null(cfg.stages);
	assert_null(cfg.tcti);
}

/* Files that hold nothing but comments and blank lines leave the defaults alone. */
static void test_comments_and_empty(void **state)
{
	static const char *const files[] = { "comments.conf", "empty.conf" };
	char path[256];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(files); i++) {
		struct agent_config cfg;
		gw_error err = { { 0 } };
		int rc;

		assert_true(snprintf(path, sizeof(path), FIXTURES "/good/%s", files[i]) <
			    (int)sizeof(path));
		rc = load(path, &cfg, &err);
		if (rc)
			fail_msg("%s: %s", files[i], gw_error_msg(&err, rc));
		assert_defaults(&cfg);
		agent_config_fini(&cfg);
	}
}

/* Last value wins for a scalar key, also across a repeated [agent]; a stage
 * section repeated right after itself continues that stage. */
static void test_duplicate_keys(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/duplicate-keys.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(cfg.tcti, "device:/dev/tpmrm0");
	assert_int_equal(cfg.stage_pcr, 16);
	assert_int_equal(cfg.nstages, 1);
	assert_stage(&cfg, 0, "rootfs", 2);
	assert_string_equal(cfg.stages[0].files[0], "/a");
	assert_string_equal(cfg.stages[0].files[1], "/b");
	agent_config_fini(&cfg);
}

/* inih would read an indented line as more of the previous value; here it is a
 * line like any other. */
static void test_indented(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/indented.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(cfg.tcti, "device:/dev/tpmrm0");
	assert_int_equal(cfg.nstages, 1);
	assert_stage(&cfg, 0, "rootfs", 2);
	assert_string_equal(cfg.stages[0].files[0], "/boot/rootfs.squashfs");
	assert_string_equal(cfg.stages[0].files[1], "/boot/initrd");
	agent_config_fini(&cfg);
}

static void test_bom_crlf(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/bom-crlf.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(cfg.tcti, "swtpm:port=2321");
	assert_int_equal(cfg.nstages, 1);
	assert_stage(&cfg, 0, "boot", 1);
	assert_string_equal(cfg.stages[0].files[0], "/boot/vmlinuz");
	agent_config_fini(&cfg);
}

/* Each limit is reachable; the bad fixtures go one past it. */
static void test_limits(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	char want[256];
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/max-stages.conf", &cfg, &err);
	if (rc)
		fail_msg("max-stages: %s", gw_error_msg(&err, rc));
	assert_int_equal(cfg.nstages, AGENT_MAX_STAGES);
	for (size_t i = 0; i < cfg.nstages; i++) {
		assert_true(snprintf(want, sizeof(want), "s%zu", i) < (int)sizeof(want));
		assert_stage(&cfg, i, want, 1);
		assert_true(snprintf(want, sizeof(want), "/opt/s%zu", i) < (int)sizeof(want));
		assert_string_equal(cfg.stages[i].files[0], want);
	}
	agent_config_fini(&cfg);

	rc = load(FIXTURES "/good/max-files.conf", &cfg, &err);
	if (rc)
		fail_msg("max-files: %s", gw_error_msg(&err, rc));
	assert_stage(&cfg, 0, "many", AGENT_MAX_STAGE_FILES);
	for (size_t i = 0; i < AGENT_MAX_STAGE_FILES; i++) {
		assert_true(snprintf(want, sizeof(want), "/opt/f%zu", i) < (int)sizeof(want));
		assert_string_equal(cfg.stages[0].files[i], want);
	}
	agent_config_fini(&cfg);

	rc = load(FIXTURES "/good/long-stage-name.conf", &cfg, &err);
	if (rc)
		fail_msg("long-stage-name: %s", gw_error_msg(&err, rc));
	memset(want, 'n', 64);
	want[64] = '\0';
	assert_stage(&cfg, 0, want, 1);
	agent_config_fini(&cfg);

	rc = load(FIXTURES "/good/longest-line.conf", &cfg, &err);
	if (rc)
		fail_msg("longest-line: %s", gw_error_msg(&err, rc));
	want[0] = '/';
	memset(want + 1, 'p', 191);
	want[192] = '\0';
	assert_stage(&cfg, 0, "a", 1);
	assert_string_equal(cfg.stages[0].files[0], want);
	agent_config_fini(&cfg);
}

static void test_missing(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(load(FIXTURES "/good/no-such.conf", &cfg, &err), GW_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no-such.conf"));
	assert_defaults(&cfg);
	agent_config_fini(&cfg);
	assert_int_equal(load(FIXTURES "/good/no-such.conf", &cfg, NULL), GW_E_NOTFOUND);
}

/* fopen() opens a directory; reading it must fail rather than give an empty file. */
static void test_directory(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(load(FIXTURES "/good", &cfg, &err), GW_E_CONFIG);
	assert_non_null(strstr(err.msg, "read error"));
	agent_config_fini(&cfg);
}

#define N16 "nnnnnnnnnnnnnnnn"

static const struct bad_case {
	const char *file;
	int line;
	const char *detail;
} bad_cases[] = {
	{ "unknown-section.conf", 4, "unknown section [network]" },
	{ "unknown-section-empty.conf", 2, "unknown section [bogus]" },
	{ "key-before-section.conf", 1, "unknown section []" },
	{ "section-trailing.conf", 1, "text after section header: 'junk'" },
	{ "section-unterminated.conf", 3, "syntax error" },
	{ "unknown-agent-key.conf", 3, "[agent]: unknown key 'srk'" },
	{ "unknown-stage-key.conf", 3, "[stage rootfs]: unknown key 'path'" },
	{ "stage-name-space.conf", 1, "stage name 'root fs'" },
	{ "stage-name-quote.conf", 1, "stage name '\"rootfs\"'" },
	{ "stage-name-empty.conf", 1, "stage name ''" },
	{ "stage-name-slash.conf", 2, "stage name '../x'" },
	{ "stage-name-long.conf", 1, "stage name '" N16 N16 N16 N16 "n'" },
	{ "stage-repeated.conf", 6, "[stage a]: stage defined twice" },
	{ "empty-file.conf", 3, "[stage a]: empty file" },
	{ "too-many-files.conf", 66, "[stage many]: more than 64 files" },
	{ "too-many-stages.conf", 130, "[stage s64]: more than 64 stages" },
	{ "stage-pcr-range.conf", 2, "[agent]: bad value for 'stage_pcr': '24'" },
	{ "stage-pcr-nan.conf", 2, "[agent]: bad value for 'stage_pcr': 'thirteen'" },
	{ "stage-pcr-negative.conf", 2, "[agent]: bad value for 'stage_pcr': '-1'" },
	{ "stage-pcr-empty.conf", 2, "[agent]: bad value for 'stage_pcr': ''" },
	{ "trust-pcr-range.conf", 2, "[agent]: bad value for 'trust_pcr': '9999" },
	{ "pcr-equal.conf", 3, "stage_pcr and trust_pcr must differ (both 15)" },
	{ "pcr-equal-default.conf", 3, "stage_pcr and trust_pcr must differ (both 13)" },
	{ "handle-not-hex.conf", 2, "[agent]: bad value for 'srk_handle': '0x8100000g'" },
	{ "handle-words.conf", 2, "[agent]: bad value for 'ak_handle': 'persistent'" },
	{ "handle-low.conf", 2, "[agent]: bad value for 'srk_handle': '0x80ffffff'" },
	{ "handle-high.conf", 2, "[agent]: bad value for 'ak_handle': '0x82000000'" },
	{ "handle-trailing.conf", 2, "[agent]: bad value for 'srk_handle': '0x81000001 x'" },
	{ "handle-negative.conf", 2, "[agent]: bad value for 'ak_handle': '-7effffff'" },
	{ "handle-plus.conf", 2, "[agent]: bad value for 'ak_handle': '+81000001'" },
	{ "handle-empty.conf", 2, "[agent]: bad value for 'ak_handle': ''" },
	{ "syntax-error.conf", 3, "syntax error" },
	{ "syntax-then-key.conf", 2, "syntax error" },
	{ "key-then-syntax.conf", 2, "[agent]: unknown key 'bogus'" },
	{ "continuation.conf", 3, "syntax error" },
	{ "line-too-long.conf", 2, "line longer than " },
	{ "nul-byte.conf", 2, "NUL byte" },
	{ "verifier-url-http.conf", 2, "bad value for 'verifier_url'" },
	{ "verifier-url-empty-host.conf", 2, "bad value for 'verifier_url'" },
	{ "verifier-ca-empty.conf", 2, "bad value for 'verifier_ca'" },
	{ "attest-interval-low.conf", 2, "bad value for 'attest_interval': '9'" },
	{ "attest-interval-high.conf", 2, "bad value for 'attest_interval': '86401'" },
	{ "attest-interval-nan.conf", 2, "bad value for 'attest_interval': '5m'" },
	{ "device-id-space.conf", 2, "bad value for 'device_id'" },
	{ "model-long.conf", 2, "bad value for 'model'" },
};

static void test_verifier_keys(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/verifier.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(cfg.verifier_url, "https://verifier.example:8443");
	assert_string_equal(cfg.verifier_ca, "/etc/gatewarden/verifier-ca.pem");
	assert_string_equal(cfg.device_id, "gw-0001");
	assert_string_equal(cfg.model, "gw-1000");
	assert_int_equal(cfg.attest_interval, 10);
	agent_config_fini(&cfg);
}

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct agent_config cfg;
		gw_error err = { { 0 } };
		char path[256], where[256];
		int rc;

		assert_true(snprintf(path, sizeof(path), FIXTURES "/bad/%s", c->file) <
			    (int)sizeof(path));
		assert_true(snprintf(where, sizeof(where), "%s:%d: ", path, c->line) <
			    (int)sizeof(where));
		rc = load(path, &cfg, &err);
		agent_config_fini(&cfg);
		if (rc != GW_E_CONFIG)
			fail_msg("%s: got %d (%s), expected GW_E_CONFIG", c->file, rc,
				 gw_error_msg(&err, rc));
		if (strncmp(err.msg, where, strlen(where)))
			fail_msg("%s: detail \"%s\" does not start with \"%s\"", c->file, err.msg,
				 where);
		if (!strstr(err.msg, c->detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", c->file, err.msg, c->detail);
		/* The detail buffer is optional. */
		rc = load(path, &cfg, NULL);
		agent_config_fini(&cfg);
		assert_int_equal(rc, GW_E_CONFIG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_comments_and_empty),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_indented),
		cmocka_unit_test(test_bom_crlf),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_verifier_keys),
		cmocka_unit_test(test_bad_fixtures),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
