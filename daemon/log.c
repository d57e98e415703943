/* Logging to stderr (the journal under systemd), never flooding: each
 * message key may log at most L3D_LOG_BURST times per L3D_LOG_WINDOW
 * seconds; what was held back is counted and said once the window ends. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "l3nftd.h"

#define L3D_LOG_KEYS 32
#define L3D_LOG_BURST 5
#define L3D_LOG_WINDOW 10

struct l3d_log_slot {
	const char *key;
	time_t start;
	unsigned count;
	unsigned suppressed;
};

static struct l3d_log_slot l3d_slots[L3D_LOG_KEYS];

static struct l3d_log_slot *l3d_log_slot(const char *key)
{
	size_t i;

	for (i = 0; i < L3D_LOG_KEYS; i++) {
		if (!l3d_slots[i].key)
			l3d_slots[i].key = key;
		if (l3d_slots[i].key == key || !strcmp(l3d_slots[i].key, key))
			return &l3d_slots[i];
	}
	return &l3d_slots[L3D_LOG_KEYS - 1];	/* shared overflow slot */
}

void l3d_log(const char *key, const char *fmt, ...)
{
	struct l3d_log_slot *s = l3d_log_slot(key);
	time_t now = time(NULL);
	va_list ap;

	if (now - s->start >= L3D_LOG_WINDOW) {
		if (s->suppressed)
			fprintf(stderr, "l3nftd: %u more '%s' messages were suppressed\n",
				s->suppressed, key);
		s->start = now;
		s->count = 0;
		s->suppressed = 0;
	}
	if (++s->count > L3D_LOG_BURST) {
		s->suppressed++;
		return;
	}
	fputs("l3nftd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
