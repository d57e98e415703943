/*
 * libFuzzer target: the data lines of a `stats` reply as l3nft reads them
 * from l3nftd (or from whatever answers on the socket). A reply that
 * decodes must encode to one that decodes to the same figures; a refused
 * one leaves nothing allocated.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/kernel/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool l3_fuzz_stats_same(const struct l3_ctl_stats *a, const struct l3_ctl_stats *b)
{
	size_t i;

	if (memcmp(a, b, offsetof(struct l3_ctl_stats, nns)) || a->nns != b->nns)
		return false;
	for (i = 0; i < a->nns; i++)
		if (strcmp(a->ns[i].name, b->ns[i].name) ||
		    a->ns[i].registrations != b->ns[i].registrations)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l3_ctl_stats st, again;
	const char *why = NULL;
	char *text, *out = NULL;
	size_t len = 0;
	FILE *f;

	/* the client reads the reply into a C string: NULs end it early */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (l3_ctl_stats_parse(text, &st, &why) < 0) {
		if (!why || st.ns || st.nns)
			__builtin_trap();
		free(text);
		return 0;
	}
	for (len = 0; len < st.nns; len++)
		if (!l3_name_valid(st.ns[len].name))
			__builtin_trap();
	f = open_memstream(&out, &len);
	if (!f || l3_ctl_stats_format(&st, f) < 0)
		__builtin_trap();
	fclose(f);
	if (l3_ctl_stats_parse(out, &again, &why) < 0 || !l3_fuzz_stats_same(&st, &again))
		__builtin_trap();
	l3_ctl_stats_free(&again);
	l3_ctl_stats_free(&st);
	free(out);
	free(text);
	return 0;
}
