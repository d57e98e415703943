/*
 * Logging, to where the daemon's messages can be read:
 *  - stderr as is when it is a terminal or a file (l3nftd -f by hand, tests);
 *  - stderr with sd-daemon(3) "<N>" priority prefixes when it is the
 *    journal's stream (JOURNAL_STREAM names it), so the journal keeps the
 *    priority;
 *  - syslog(3) in background mode, where stderr is /dev/null.
 * Never flooding: each message key may log at most L3D_LOG_BURST times per
 * L3D_LOG_WINDOW seconds; what was held back is counted and said once the
 * window ends. Tenants can make the daemon log (refusals), so this matters.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
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
static enum l3d_log_to l3d_to = L3D_LOG_STDERR;

/* Is stderr the stream systemd opened to the journal for us? */
static bool l3d_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

enum l3d_log_to l3d_log_init(bool background)
{
	if (background) {
		openlog("l3nftd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		l3d_to = L3D_LOG_SYSLOG;
	} else if (l3d_stderr_is_journal()) {
		l3d_to = L3D_LOG_JOURNAL;
	} else {
		l3d_to = L3D_LOG_STDERR;
	}
	return l3d_to;
}

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

static void l3d_vemit(int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	switch (l3d_to) {
	case L3D_LOG_SYSLOG:
		syslog(prio, "%s", msg);
		break;
	case L3D_LOG_JOURNAL:
		fprintf(stderr, "<%d>%s\n", prio, msg);
		break;
	case L3D_LOG_STDERR:
		fprintf(stderr, "l3nftd: %s\n", msg);
		break;
	}
}

void l3d_say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	l3d_vemit(prio, fmt, ap);
	va_end(ap);
}

static bool l3d_log_allowed(const char *key, int prio)
{
	struct l3d_log_slot *s = l3d_log_slot(key);
	time_t now = time(NULL);

	if (now - s->start >= L3D_LOG_WINDOW) {
		if (s->suppressed)
			l3d_say(prio, "%u more '%s' messages were suppressed", s->suppressed, key);
		s->start = now;
		s->count = 0;
		s->suppressed = 0;
	}
	if (++s->count > L3D_LOG_BURST) {
		s->suppressed++;
		return false;
	}
	return true;
}

void l3d_logp(int prio, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (!l3d_log_allowed(key, prio))
		return;
	va_start(ap, fmt);
	l3d_vemit(prio, fmt, ap);
	va_end(ap);
}

void l3d_log(const char *key, const char *fmt, ...)
{
	va_list ap;

	if (!l3d_log_allowed(key, LOG_WARNING))
		return;
	va_start(ap, fmt);
	l3d_vemit(LOG_WARNING, fmt, ap);
	va_end(ap);
}
