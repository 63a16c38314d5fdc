/* SPDX-License-Identifier: Apache-2.0 */
/* What the parts of the policy parser share (its state, diagnostics and the readers
 * of plain values; the sections gwpol_parse.c's top level calls); not an interface
 * outside policy/. Every reader reports a problem with gwpp_diag() at the current
 * path and leaves its output as it was. */
#ifndef GW_GWPOL_PARSE_INT_H
#define GW_GWPOL_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "gwpol.h"

#define SHOWN_MAX 64             /* bytes of an input key quoted in a message */
#define LEAVE_OUT "empty (leave the key out instead)"

/* Parser state: where we are in the document, and what went wrong so far. */
struct pctx {
	struct gwpol_diags *d;   /* may be NULL */
	gw_error *err;
	int first;               /* code of the first problem, 0 while none */
	bool nomem;
	char path[sizeof(((struct gwpol_diag *)0)->path)];
	size_t plen;
};

/* ---- State and diagnostics (gwpol_parse.c) ---- */

/* A problem at the current path: recorded in the diagnostics, the first also in
 * the error detail. */
__attribute__((format(printf, 3, 4)))
void gwpp_diag(struct pctx *c, int code, const char *fmt, ...);
/* Out of memory ends the parse; the result is GW_E_NOMEM whatever else was found. */
void gwpp_oom(struct pctx *c);
/* Input text made safe to quote: at most SHOWN_MAX bytes, anything but printable
 * ASCII as '?', cut text marked with "...". */
void gwpp_shown(const char *s, size_t len, char out[SHOWN_MAX + 4]);
/* Path steps return the old length, to restore with gwpp_path_pop(). */
size_t gwpp_path_key(struct pctx *c, const char *key);
size_t gwpp_path_idx(struct pctx *c, size_t i);
void gwpp_path_pop(struct pctx *c, size_t mark);

/* ---- Types and plain values (gwpol_parse.c) ---- */

/* v has JSON type t, else a problem. */
bool gwpp_want(struct pctx *c, json_object *v, enum json_type t);
/* The members of v, an array or object of type t: not empty (if_empty, when not
 * NULL, is the message for an empty one), at most max, and a zeroed array of that
 * many size-byte elements in *out (NULL when there are none). */
bool gwpp_take_list(struct pctx *c, json_object *v, enum json_type t, const char *if_empty,
		    size_t max, const char *what, size_t size, void **out, size_t *n);
/* Refuse keys of obj that are not in known[]. */
void gwpp_check_keys(struct pctx *c, json_object *obj, const char *const *known, size_t n);
/* Is key a member of obj? *v gets its value (NULL for a JSON null). A missing
 * required member is a problem. */
bool gwpp_member(struct pctx *c, json_object *obj, const char *key, bool required,
		 json_object **v);
/* 1-64 of A-Z a-z 0-9 . _ - */
bool gwpp_valid_name(const char *s, size_t len);
/* model and channel names: out gets the name when it is valid. */
bool gwpp_parse_name(struct pctx *c, json_object *v, char out[GWPOL_NAME_MAX + 1]);
/* description, comment, text: *out gets a copy when the text is valid. */
void gwpp_parse_text(struct pctx *c, json_object *v, char **out);
bool gwpp_parse_u32(struct pctx *c, json_object *v, uint32_t min, uint32_t max, uint32_t *out);
bool gwpp_parse_bool(struct pctx *c, json_object *v, bool *out);
/* Lower-case hex of exactly len bytes into out; false if it is not. */
bool gwpp_lower_hex(const char *s, size_t slen, uint8_t *out, size_t len);
/* The index of the first string element of arr before i equal to element i, else i. */
size_t gwpp_earlier_same(json_object *arr, size_t i);
/* A list of 1..GWPOL_MAX_DIGESTS distinct digests of alg (NULL: the bank is
 * unknown, so only the JSON types are checked). */
void gwpp_parse_digests(struct pctx *c, json_object *v, const struct gw_alg *alg,
			struct gwpol_digests *out);
/* Optional members of obj: a digest list (*has set when present), a text. */
void gwpp_opt_digests(struct pctx *c, json_object *obj, const char *key, const struct gw_alg *alg,
		      bool *has, struct gwpol_digests *out);
void gwpp_opt_text(struct pctx *c, json_object *obj, const char *key, char **out);

/* ---- The sections ---- */

/* gwpol_parse_fw.c */
void gwpp_parse_firmware(struct pctx *c, json_object *v, struct gwpol_firmware *fw);
/* gwpol_parse_sections.c */
void gwpp_parse_stages(struct pctx *c, json_object *v, struct gwpol *p);
void gwpp_parse_trust(struct pctx *c, json_object *v, struct gwpol_trust *t);
void gwpp_parse_logs(struct pctx *c, json_object *v, struct gwpol_logs *l);
void gwpp_parse_update(struct pctx *c, json_object *v, struct gwpol_update *u);

#endif
