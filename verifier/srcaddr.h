/* SPDX-License-Identifier: Apache-2.0 */
/* One key per client source address, shared by the enrollment rate limit and the
 * connection caps: an IPv4 address (also when it comes IPv4-mapped through a
 * dual-stack socket, or embedded in a 6to4 2002::/16 or NAT64 64:ff9b::/96
 * address), the /64 of an IPv6 address, or a whole link-local one. */
#ifndef GW_VERIFIER_SRCADDR_H
#define GW_VERIFIER_SRCADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A family tag, then an IPv6 address (IPv4 as IPv4-mapped), cut to /64 for
 * global IPv6. All zero: an address we cannot read (they share one key). */
#define SRCADDR_KEY_LEN 17

/* The key of httpd's remote address text: "192.0.2.1:4000", "[2001:db8::1]:4000",
 * "[fe80::1%eth0]:4000". */
void srcaddr_key_from_text(const char *source, uint8_t key[SRCADDR_KEY_LEN]);
/* The key of a peer address as accept() or getpeername() gives it. */
void srcaddr_key_from_sockaddr(const struct sockaddr *sa, socklen_t len,
			       uint8_t key[SRCADDR_KEY_LEN]);
/* A peer address as text: "192.0.2.1", "2001:db8::1"; with_port
 * "192.0.2.1:4000", "[2001:db8::1]:4000" (the form srcaddr_key_from_text reads).
 * "?" for NULL or a family other than IPv4 and IPv6. */
void srcaddr_format(const struct sockaddr *sa, bool with_port, char *buf, size_t cap);
/* The key of the IPv6 /BITS prefix (48 or 56) a global IPv6 source key lies in,
 * to count a site's /64s together. False (out all zero) for IPv4 and link-local
 * sources, which have no such prefix. */
bool srcaddr_prefix_key(const uint8_t key[SRCADDR_KEY_LEN], unsigned bits,
			uint8_t out[SRCADDR_KEY_LEN]);

#endif
