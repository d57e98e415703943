/*
 * libFuzzer target: the address and listen-spec parsers, which read the
 * policy's scalars and the daemon's control requests. A spec that parses
 * must format to text that parses to the same spec: the daemon stores
 * specs and prints them back to `l3nft listeners`.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/compiler/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool l3_fuzz_listen_same(const struct l3_listen *a, const struct l3_listen *b)
{
	return a->kind == b->kind && a->family == b->family && a->port == b->port &&
	       !memcmp(&a->group, &b->group, sizeof(a->group));
}

static void l3_fuzz_addr(const char *s)
{
	const char *why = NULL;
	struct l3_addr a;

	if (l3_addr_parse(s, &a, &why) < 0) {
		if (!why)
			__builtin_trap();
		return;
	}
	if ((a.family != AF_INET && a.family != AF_INET6) || a.plen < 1 ||
	    a.plen > (a.family == AF_INET ? 32 : 128))
		__builtin_trap();
}

static void l3_fuzz_listen(const char *s)
{
	struct l3_listen l, again;
	const char *why = NULL;
	char buf[64];

	if (l3_listen_parse(s, &l, &why) < 0) {
		if (!why)
			__builtin_trap();
		return;
	}
	if (l.port == 0 || (l.family != AF_INET && l.family != AF_INET6))
		__builtin_trap();
	l3_listen_format(&l, buf, sizeof(buf));
	/* a cut-off format would not round-trip either; say so precisely */
	if (strlen(buf) + 1 >= sizeof(buf))
		__builtin_trap();
	if (l3_listen_parse(buf, &again, &why) < 0 || !l3_fuzz_listen_same(&l, &again))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exactly sized, so that ASan sees a read past the terminator */
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	l3_fuzz_addr(s);
	l3_fuzz_listen(s);
	free(s);
	return 0;
}
