// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for policy evaluation over a fuzzed firmware event log: the
// event log parser, then gwpol_evaluate() with a fixed policy that has every kind
// of firmware rule, then the log's own draft (sequence or allowed) evaluated
// against it.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "eventlog.h"
#include "gwpol.h"
#include "gwpol_draft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_json[] =
	"{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"0\":{\"unc"
	"hecked\":true},\"1\":{\"unchecked\":true},\"2\":{\"unchecked\":true},\"3\":{\"unch"
	"ecked\":true},\"4\":{\"allowed\":[{\"type\":\"EV_EFI_BOOT_SERVICES_APPLICATION"
	"\",\"digests\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaa\",\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	"bbbbb\"]},{\"type\":\"EV_SEPARATOR\",\"digests\":[\"df3f619804a92fdb4057192dc4"
	"3dd748ea778adc52bc498ce80524c014b81119\"]},{\"type\":\"EV_EFI_ACTION\",\"dig"
	"ests\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aa\"]}]},\"5\":{\"sequence\":[{\"type\":\"EV_SEPARATOR\",\"digests\":[\"df3f619804"
	"a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119\"]},{\"type\":\"EV_"
	"EFI_ACTION\",\"digests\":[\"d8043d6b7b85ad358eb3b6ae6a873ab7ef23a26352c5dc"
	"4faa5aeedacf5eb41b\"]}]},\"6\":{\"unchecked\":true},\"7\":{\"allowed\":[{\"type\""
	":\"EV_EFI_VARIABLE_DRIVER_CONFIG\",\"digests\":[\"aaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]},{\"type\":\"EV_SEPARATOR\",\"dig"
	"ests\":[\"df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b811"
	"19\"]},{\"type\":\"EV_EFI_VARIABLE_AUTHORITY\",\"digests\":[\"bbbbbbbbbbbbbbbb"
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"]}]},\"8\":{\"unchecked\""
	":true},\"9\":{\"unchecked\":true},\"14\":{\"sequence\":[{\"type\":\"EV_IPL\",\"dige"
	"sts\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"a\"]}]}},\"allow_event_types\":[\"0x0000abcd\"],\"required_events\":[{\"pcr\":5"
	",\"type\":\"EV_EFI_ACTION\",\"text\":\"Exit Boot Services Invocation\"},{\"pcr\""
	":5,\"type\":\"EV_SEPARATOR\",\"data\":\"00000000\"}],\"secure_boot\":{\"enabled\":"
	"true,\"pk\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaa\"],\"kek\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaa\"],\"db\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaa\"],\"dbx\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaa\"]},\"bootloader\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"],\"kernel\":[\"bbbbbbbbbbbbbbbbbbbbbbb"
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"]},\"stages\":{\"a\":[\"aaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]},\"trust\":{\"g"
	"ate_key\":[\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	"bbbbb\"]}}";

static void evaluate(const struct gwpol *p, const struct eventlog *log)
{
	static struct gwpol_report r;
	struct gwpol_evidence ev = { .fwlog = log, .fw_quoted = 0xffffffu, .now = 1780000000 };

	gwpol_report_init(&r);
	if (gwpol_evaluate(p, &ev, &r))
		__builtin_trap();
	if (r.n > GWPOL_MAX_FINDINGS)
		__builtin_trap();
	(void)gwpol_report_status(&r);
}

static void evaluate_draft(const struct eventlog *log, bool allowed)
{
	struct gwpol_draft_input in = { .model = "m", .version = 1, .fwlog = log,
					.allowed = allowed };
	json_object *o = NULL;
	struct gwpol *p = NULL;
	gw_error err = { { 0 } };
	const char *s;

	if (gwpol_draft(&in, &o, &err))
		return;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (s && !gwpol_parse(s, strlen(s), &p, NULL, &err)) {
		evaluate(p, log);
		gwpol_free(p);
	}
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gwpol *fixed;
	struct eventlog *log = NULL;
	gw_error err = { { 0 } };

	if (!fixed && gwpol_parse(policy_json, sizeof(policy_json) - 1, &fixed, NULL, &err))
		__builtin_trap();
	if (eventlog_parse(data, size, &log, &err))
		return 0;
	evaluate(fixed, log);
	evaluate_draft(log, size & 1);
	eventlog_free(log);
	return 0;
}
