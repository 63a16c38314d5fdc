// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the verifier's server names (gwverifier init --hostname):
// whatever is accepted must be a name the subjectAltName text cannot be broken by.
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "servernames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct servernames sn = { 0 };
	char *name = malloc(size + 1), host[300];
	unsigned port = 0;
	struct in_addr v4;
	char san[SERVERNAMES_MAX * (SERVERNAMES_NAME_MAX + 6)];

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	if (servernames_add(&sn, name, NULL) == 0) {
		const char *n = sn.e[0].name;

		if (sn.n != 1 || !n[0] || strlen(n) > SERVERNAMES_NAME_MAX)
			__builtin_trap();
		/* Nothing that could start another subjectAltName entry or a wildcard. */
		for (size_t i = 0; n[i]; i++)
			if (!(isalnum((unsigned char)n[i]) || n[i] == '-' || n[i] == '.' ||
			      (sn.e[0].ip && n[i] == ':')))
				__builtin_trap();
		/* No name a resolver would read as an IPv4 address. */
		if (!sn.e[0].ip && inet_aton(n, &v4))
			__builtin_trap();
		if (servernames_san(&sn, san, sizeof(san)))
			__builtin_trap();
		/* Adding it again adds nothing. */
		if (servernames_add(&sn, name, NULL) || sn.n != 1)
			__builtin_trap();
	}
	if (servernames_listen_parse(name, host, sizeof(host), &port) == 0) {
		/* Only a numeric address and a port: nothing else could reach verifier.conf. */
		if (!host[0] || port == 0 || port > 65535 ||
		    strspn(host, "0123456789abcdefABCDEF.:") != strlen(host) ||
		    strspn(name, "0123456789abcdefABCDEF.:[]") != strlen(name))
			__builtin_trap();
	}
	free(name);
	return 0;
}
