// SPDX-License-Identifier: Apache-2.0
// Checks the verifier's server names and addresses and writes them as a subjectAltName.
#include "servernames.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "util.h"

/* The canonical text of an IP literal into out, or false when name is not one. */
static bool ip_literal(const char *name, char *out, size_t len)
{
	unsigned char addr[16];
	char tmp[64];
	size_t n = strlen(name);

	if (n >= 2 && name[0] == '[' && name[n - 1] == ']') {
		if (n - 2 >= sizeof(tmp))
			return false;
		memcpy(tmp, name + 1, n - 2);
		tmp[n - 2] = '\0';
		return inet_pton(AF_INET6, tmp, addr) == 1 &&
		       inet_ntop(AF_INET6, addr, out, (socklen_t)len) != NULL;
	}
	if (inet_pton(AF_INET, name, addr) == 1)
		return inet_ntop(AF_INET, addr, out, (socklen_t)len) != NULL;
	if (inet_pton(AF_INET6, name, addr) == 1)
		return inet_ntop(AF_INET6, addr, out, (socklen_t)len) != NULL;
	return false;
}

static int dns_check(const char *name, gw_error *err)
{
	size_t n = strlen(name), label = 0;
	struct in_addr v4;
	bool letter = false;

	if (n == 0)
		return gw_fail(err, GW_E_INVAL, "an empty name");
	if (n > SERVERNAMES_NAME_MAX)
		return gw_fail(err, GW_E_INVAL, "'%.40s...': longer than %d characters", name,
			       SERVERNAMES_NAME_MAX);
	for (size_t i = 0; i <= n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0)
				return gw_fail(err, GW_E_INVAL, "'%s': an empty label (two dots, or a "
								"dot at the start or end)", name);
			if (name[i - 1] == '-')
				return gw_fail(err, GW_E_INVAL, "'%s': a label ends with '-'", name);
			label = 0;
			continue;
		}
		if (ch == '*')
			return gw_fail(err, GW_E_INVAL, "'%s': wildcards are not issued; name each "
							"host", name);
		if (!isalnum(ch) && ch != '-')
			return gw_fail(err, GW_E_INVAL, "'%s': '%c' is not a letter, digit, '-' or "
							"'.'", name, isprint(ch) ? ch : '?');
		if (label == 0 && ch == '-')
			return gw_fail(err, GW_E_INVAL, "'%s': a label starts with '-'", name);
		if (++label > 63)
			return gw_fail(err, GW_E_INVAL, "'%s': a label longer than 63 characters",
				       name);
		letter |= isalpha(ch) || ch == '-';
	}
	if (!letter)
		return gw_fail(err, GW_E_INVAL, "'%s': neither an IP address nor a host name",
			       name);
	/* "0x7f000001", "0x7f.1", "127.1": resolvers (inet_aton) read these as IPv4
	 * addresses, so they are not host names; give the address in dotted quads. */
	if (inet_aton(name, &v4))
		return gw_fail(err, GW_E_INVAL, "'%s': an IPv4 address in a legacy form (hex, "
						"octal or fewer than four parts); write it as "
						"a.b.c.d", name);
	return 0;
}

int servernames_add(struct servernames *s, const char *name, gw_error *err)
{
	struct servername e = { 0 };
	int rc;

	if (ip_literal(name, e.name, sizeof(e.name))) {
		e.ip = true;
	} else {
		rc = dns_check(name, err);
		if (rc)
			return rc;
		for (size_t i = 0; name[i]; i++)
			e.name[i] = (char)tolower((unsigned char)name[i]);
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].ip == e.ip && !strcmp(s->e[i].name, e.name))
			return 0;
	if (s->n == SERVERNAMES_MAX)
		return gw_fail(err, GW_E_TOOBIG, "more than %d names", SERVERNAMES_MAX);
	s->e[s->n++] = e;
	return 0;
}

int servernames_listen_parse(const char *listen, char *host, size_t len, unsigned *port)
{
	const char *h = listen, *colon;
	unsigned char addr[16];
	char tmp[INET6_ADDRSTRLEN];
	uint64_t p;
	size_t n;
	bool v6 = listen[0] == '[';

	if (v6) {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return GW_E_PARSE;
		h = listen + 1;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strchr(listen, ':');
		if (!colon || strchr(colon + 1, ':'))
			return GW_E_PARSE;
		n = (size_t)(colon - listen);
	}
	if (n == 0 || n >= sizeof(tmp) || n >= len || gw_parse_u64(colon + 1, 65535, &p) ||
	    p == 0)
		return GW_E_PARSE;
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, addr) != 1)
		return GW_E_PARSE;
	memcpy(host, tmp, n + 1);
	if (port)
		*port = (unsigned)p;
	return 0;
}

int servernames_add_listen(struct servernames *s, const char *listen, gw_error *err)
{
	char host[INET6_ADDRSTRLEN];
	int rc;

	if (servernames_listen_parse(listen, host, sizeof(host), NULL))
		return gw_fail(err, GW_E_INVAL, "expected IPV4:PORT or [IPV6]:PORT (a numeric "
				"address, a port 1-65535), got '%s'", listen);
	if (servernames_is_wildcard(host))
		return 0;
	rc = servernames_add(s, host, err);
	return rc;
}

bool servernames_is_wildcard(const char *host)
{
	unsigned char addr[16], zero[16] = { 0 };

	return (inet_pton(AF_INET, host, addr) == 1 && !memcmp(addr, zero, 4)) ||
	       (inet_pton(AF_INET6, host, addr) == 1 && !memcmp(addr, zero, 16));
}

int servernames_san(const struct servernames *s, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return GW_E_TOOBIG;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		int n = snprintf(buf + off, len - off, "%s%s:%s", i ? "," : "",
				 s->e[i].ip ? "IP" : "DNS", s->e[i].name);

		if (n < 0 || (size_t)n >= len - off)
			return GW_E_TOOBIG;
		off += (size_t)n;
	}
	return 0;
}
