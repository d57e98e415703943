/*
 * libFuzzer target: control-protocol requests as l3nftd receives them from
 * the socket, raw bytes with no NUL (libFuzzer's buffer is exactly sized,
 * so ASan catches any read past @len). A request that parses must encode
 * to one that decodes to the same request: the client sends what
 * l3_ctl_format writes.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/kernel/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool l3_fuzz_req_same(const struct l3_ctl_req *a, const struct l3_ctl_req *b)
{
	return a->verb == b->verb && !strcmp(a->name, b->name) &&
	       a->spec.kind == b->spec.kind && a->spec.family == b->spec.family &&
	       a->spec.port == b->spec.port &&
	       !memcmp(&a->spec.group, &b->spec.group, sizeof(a->spec.group));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l3_ctl_req req, again;
	const char *why = NULL;
	char out[L3_CTL_MAX];
	char *copy;
	size_t n;

	if (l3_ctl_parse((const char *)data, size, &req, &why) < 0) {
		if (!why)
			__builtin_trap();
		return 0;
	}
	/* the name is a C string the daemon prints and compares */
	if (memchr(req.name, '\0', sizeof(req.name)) == NULL)
		__builtin_trap();
	n = l3_ctl_format(&req, out);
	if (n == 0 || n >= L3_CTL_MAX)
		__builtin_trap();
	/* decode from an exactly sized copy, as the daemon would receive it */
	copy = malloc(n);
	if (!copy)
		return 0;
	memcpy(copy, out, n);
	why = NULL;
	if (l3_ctl_parse(copy, n, &again, &why) < 0 || !l3_fuzz_req_same(&req, &again))
		__builtin_trap();
	free(copy);
	return 0;
}
