// SPDX-License-Identifier: Apache-2.0
// Source-address keys: which connections and requests count as one client.
#include "srcaddr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

enum { KEY_UNKNOWN = 0, KEY_V4 = 4, KEY_V6 = 6 };

static void key_v4(const struct in_addr *a4, uint8_t key[SRCADDR_KEY_LEN])
{
	key[0] = KEY_V4;
	key[11] = key[12] = 0xff;
	memcpy(key + 13, a4, 4);
}

static void key_v6(const struct in6_addr *a6, uint8_t key[SRCADDR_KEY_LEN])
{
	/* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d: one /64 for
	 * all of them would be one key for the whole IPv4 Internet. */
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	struct in_addr a4;

	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		key[0] = KEY_V4;
		memcpy(key + 1, a6, 16);
	} else if (!memcmp(a6->s6_addr, nat64, sizeof(nat64))) {
		/* NAT64 (64:ff9b::/96, RFC 6052): the IPv4 client is in the low 32 bits;
		 * every IPv4 host behind the translator would otherwise be one /64. */
		memcpy(&a4, a6->s6_addr + 12, 4);
		key_v4(&a4, key);
	} else if (a6->s6_addr[0] == 0x20 && a6->s6_addr[1] == 0x02) {
		/* 6to4 (2002::/16, RFC 3056): 2002:AABB:CCDD::/48 is the IPv4 host
		 * A.B.C.D's own; it counts as that host, not as 65536 /64s. */
		memcpy(&a4, a6->s6_addr + 2, 4);
		key_v4(&a4, key);
	} else if (IN6_IS_ADDR_LINKLOCAL(a6)) {
		/* Every link-local address is in fe80::/64: each is its own. */
		key[0] = KEY_V6;
		memcpy(key + 1, a6, 16);
	} else {
		/* A single host is usually given a whole /64. */
		key[0] = KEY_V6;
		memcpy(key + 1, a6, 8);
	}
}

void srcaddr_key_from_text(const char *source, uint8_t key[SRCADDR_KEY_LEN])
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], *pct;
	const char *p = source, *end = NULL;
	struct in_addr a4;
	struct in6_addr a6;

	memset(key, 0, SRCADDR_KEY_LEN);
	if (!source)
		return;
	if (p[0] == '[') {
		p++;
		end = strchr(p, ']');
	} else {
		end = strrchr(p, ':');
	}
	if (!end || (size_t)(end - p) >= sizeof(host))
		return;
	memcpy(host, p, (size_t)(end - p));
	host[end - p] = '\0';
	/* A link-local peer comes as fe80::1%eth0: the zone is not the address. */
	pct = strchr(host, '%');
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET, host, &a4) == 1)
		key_v4(&a4, key);
	else if (inet_pton(AF_INET6, host, &a6) == 1)
		key_v6(&a6, key);
}

void srcaddr_key_from_sockaddr(const struct sockaddr *sa, socklen_t len,
			       uint8_t key[SRCADDR_KEY_LEN])
{
	memset(key, 0, SRCADDR_KEY_LEN);
	if (!sa)
		return;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
		key_v4(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, key);
	else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
		key_v6(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, key);
}

bool srcaddr_prefix_key(const uint8_t key[SRCADDR_KEY_LEN], unsigned bits,
			uint8_t out[SRCADDR_KEY_LEN])
{
	memset(out, 0, SRCADDR_KEY_LEN);
	if (key[0] != KEY_V6 || (bits != 48 && bits != 56))
		return false;
	/* A link-local key is a whole address of fe80::/64: no site behind it. */
	if (key[1] == 0xfe && (key[2] & 0xc0) == 0x80)
		return false;
	out[0] = (uint8_t)bits; /* its own tag: never equal to a source's key */
	memcpy(out + 1, key + 1, bits / 8);
	return true;
}

void srcaddr_format(const struct sockaddr *sa, bool with_port, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	const void *a = NULL;
	unsigned port = 0;
	bool v6 = false;

	if (sa && sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
		v6 = true;
	}
	if (!a || !inet_ntop(sa->sa_family, a, host, sizeof(host))) {
		snprintf(buf, cap, "?");
		return;
	}
	if (!with_port)
		snprintf(buf, cap, "%s", host);
	else
		snprintf(buf, cap, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}
