/* SPDX-License-Identifier: Apache-2.0 */
/* The names and addresses gateways use to reach the verifier, checked and turned
 * into the server certificate's subjectAltName (gwverifier init --hostname). */
#ifndef GW_VERIFIER_SERVERNAMES_H
#define GW_VERIFIER_SERVERNAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_error.h"

#define SERVERNAMES_MAX 32
#define SERVERNAMES_NAME_MAX 253 /* a DNS name's limit (RFC 1035), without the root dot */

struct servernames {
	size_t n;
	struct servername {
		bool ip;                             /* IP literal, else a DNS name */
		char name[SERVERNAMES_NAME_MAX + 1]; /* lower case; IPs in canonical form */
	} e[SERVERNAMES_MAX];
};

/* Add one name: an IPv4 or IPv6 literal (IPv6 with or without brackets) or a DNS
 * host name (labels of 1-63 letters, digits and '-', not starting or ending with
 * '-'; at most 253 characters; no wildcard, no trailing dot; not all digits and
 * dots). A name already present is not added twice. GW_E_INVAL with the reason
 * in err; GW_E_TOOBIG past SERVERNAMES_MAX. */
int servernames_add(struct servernames *s, const char *name, gw_error *err) GW_WUR;

/* The one parser of a listen address (init's --listen, verifier.conf's listen):
 * "IPV4:PORT" or "[IPV6]:PORT", the address numeric (inet_pton), the port decimal
 * 1-65535, nothing else. The address (brackets removed) into host, the port into
 * *port (may be NULL); GW_E_PARSE for anything else or when host is too small. */
int servernames_listen_parse(const char *listen, char *host, size_t len,
			     unsigned *port) GW_WUR;

/* Add the address of a listen value (servernames_listen_parse()) unless it is
 * 0.0.0.0 or ::; GW_E_INVAL naming the value when it is not one. */
int servernames_add_listen(struct servernames *s, const char *listen, gw_error *err) GW_WUR;

/* True for 0.0.0.0 and :: (every address of the machine). */
bool servernames_is_wildcard(const char *host);

/* "DNS:a.example,IP:192.0.2.1" for pki_issue(); GW_E_TOOBIG when buf is too small. */
int servernames_san(const struct servernames *s, char *buf, size_t len) GW_WUR;

#endif
