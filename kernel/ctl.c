/* Control protocol requests: strict decoding, shared by both ends. */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "l3nft/kernel/ctl.h"

/* Splits off the next space-separated word of @s[0..len); NULL at the end. */
static const char *l3_ctl_word(const char **s, const char *end, size_t *n)
{
	const char *w;

	while (*s < end && **s == ' ')
		(*s)++;
	if (*s == end)
		return NULL;
	w = *s;
	while (*s < end && **s != ' ')
		(*s)++;
	*n = (size_t)(*s - w);
	return w;
}

static bool l3_ctl_printable(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f)
			return false;
	return true;
}

/* "resync": `l3nft apply` replaced the table; no arguments. */
static int l3_ctl_parse_resync(struct l3_ctl_req *req, const char **p, const char *end,
			       const char **why)
{
	size_t n;

	req->verb = L3_CTL_RESYNC;
	if (l3_ctl_word(p, end, &n)) {
		*why = "resync takes no arguments";
		return -1;
	}
	return 0;
}

int l3_ctl_parse(const char *buf, size_t len, struct l3_ctl_req *req, const char **why)
{
	const char *p = buf, *end, *w;
	char spec[64];
	size_t n = 0;

	memset(req, 0, sizeof(*req));
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	end = buf + len;
	if (len == 0 || len > L3_CTL_MAX || !l3_ctl_printable(buf, len)) {
		*why = "malformed request";
		return -1;
	}
	w = l3_ctl_word(&p, end, &n);
	if (!w) {
		*why = "malformed request";
		return -1;
	}
	if (n == 4 && !memcmp(w, "list", 4)) {
		req->verb = L3_CTL_LIST;
		if (l3_ctl_word(&p, end, &n)) {
			*why = "list takes no arguments";
			return -1;
		}
		return 0;
	}
	if (n == 6 && !memcmp(w, "resync", 6))
		return l3_ctl_parse_resync(req, &p, end, why);
	if (n == 5 && !memcmp(w, "stats", 5)) {
		req->verb = L3_CTL_STATS;
		if (l3_ctl_word(&p, end, &n)) {
			*why = "stats takes no arguments";
			return -1;
		}
		return 0;
	}
	if (n == 6 && !memcmp(w, "listen", 6))
		req->verb = L3_CTL_LISTEN;
	else if (n == 8 && !memcmp(w, "unlisten", 8))
		req->verb = L3_CTL_UNLISTEN;
	else {
		*why = "unknown request (listen, unlisten, list, resync, stats)";
		return -1;
	}
	w = l3_ctl_word(&p, end, &n);
	if (!w || n > L3_NAME_MAX) {
		*why = "expected a namespace name";
		return -1;
	}
	memcpy(req->name, w, n);
	if (!l3_name_valid(req->name)) {
		*why = "not a valid namespace name";
		return -1;
	}
	w = l3_ctl_word(&p, end, &n);
	if (!w || n >= sizeof(spec)) {
		*why = "expected ADDR:PORT/udp";
		return -1;
	}
	memcpy(spec, w, n);
	spec[n] = '\0';
	if (l3_listen_parse(spec, &req->spec, why) < 0)
		return -1;
	if (l3_ctl_word(&p, end, &n)) {
		*why = "too many arguments";
		return -1;
	}
	return 0;
}

size_t l3_ctl_format(const struct l3_ctl_req *req, char *buf)
{
	char spec[64];

	if (req->verb == L3_CTL_LIST)
		return (size_t)snprintf(buf, L3_CTL_MAX, "list");
	if (req->verb == L3_CTL_RESYNC)
		return (size_t)snprintf(buf, L3_CTL_MAX, "resync");
	if (req->verb == L3_CTL_STATS)
		return (size_t)snprintf(buf, L3_CTL_MAX, "stats");
	l3_listen_format(&req->spec, spec, sizeof(spec));
	return (size_t)snprintf(buf, L3_CTL_MAX, "%s %s %s",
				req->verb == L3_CTL_LISTEN ? "listen" : "unlisten", req->name, spec);
}

/* ---- client side ---- */

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "l3nft/kernel/rundir.h"

int l3_ctl_request(const struct l3_ctl_req *req, FILE *out, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char buf[L3_CTL_REPLY_MAX + 1];
	size_t len = l3_ctl_format(req, buf);
	int fd, rc = -1, reset = 0;
	ssize_t n = -1;

	if (!l3_runpath(sun.sun_path, sizeof(sun.sun_path), L3_CONTROL_NAME)) {
		snprintf(err, errlen, "runtime directory path too long");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "l3nftd is not reachable at %s: %s", sun.sun_path,
			 strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* a refused connection (limits, out of descriptors) was answered and
	 * closed before we sent (EPIPE), or as our request arrived (ECONNRESET):
	 * the answer is still there to read */
	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len && errno != EPIPE &&
	    errno != ECONNRESET)
		goto io;
	/* data messages, then "end N" or "error: ..."; a reset is reported
	 * before the answer still queued (sock_error first): read on once */
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0 ||
	       (n < 0 && errno == ECONNRESET && !reset++ &&
		(n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0)) {
		buf[n] = '\0';
		if (!strncmp(buf, "error: ", 7)) {
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(err, errlen, "l3nftd: %s", buf + 7);
			rc = 1;
			goto out;
		}
		if (!strncmp(buf, "end ", 4)) {
			rc = 0;
			goto out;
		}
		fputs(buf, out);
	}
io:
	snprintf(err, errlen, "talking to l3nftd: %s", n == 0 ? "connection closed" : strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- stats ---- */

/* The scalar keys of a stats reply, in the order they are sent. */
static const struct {
	const char *key;
	size_t off;
} l3_ctl_stats_keys[] = {
#define L3_CTL_KEY(f) { #f, offsetof(struct l3_ctl_stats, f) }
	L3_CTL_KEY(uptime_seconds), L3_CTL_KEY(queued), L3_CTL_KEY(copies),
	L3_CTL_KEY(no_listener), L3_CTL_KEY(send_errors), L3_CTL_KEY(other_link),
	L3_CTL_KEY(overflows), L3_CTL_KEY(bad_packets), L3_CTL_KEY(refused_requests),
	L3_CTL_KEY(refused_connections), L3_CTL_KEY(cgroup_updates), L3_CTL_KEY(stale_ids),
	L3_CTL_KEY(addresses_restored), L3_CTL_KEY(udp_bind_events), L3_CTL_KEY(udp_walks),
	L3_CTL_KEY(registrations),
#undef L3_CTL_KEY
};
#define L3_CTL_NKEYS (sizeof(l3_ctl_stats_keys) / sizeof(l3_ctl_stats_keys[0]))

static uint64_t *l3_ctl_stats_field(struct l3_ctl_stats *st, size_t k)
{
	return (uint64_t *)((char *)st + l3_ctl_stats_keys[k].off);
}

static uint64_t l3_ctl_stats_value(const struct l3_ctl_stats *st, size_t k)
{
	return *(const uint64_t *)((const char *)st + l3_ctl_stats_keys[k].off);
}

int l3_ctl_stats_format(const struct l3_ctl_stats *st, FILE *out)
{
	size_t k;

	for (k = 0; k < L3_CTL_NKEYS; k++)
		fprintf(out, "%s %" PRIu64 "\n", l3_ctl_stats_keys[k].key,
			l3_ctl_stats_value(st, k));
	for (k = 0; k < st->nns; k++)
		fprintf(out, "registrations %s %" PRIu64 "\n", st->ns[k].name,
			st->ns[k].registrations);
	return ferror(out) ? -1 : 0;
}

/* A decimal uint64 of exactly @n characters. */
static bool l3_ctl_u64(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || n > 20)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || *v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return true;
}

static int l3_ctl_stats_ns_add(struct l3_ctl_stats *st, const char *name, size_t n, uint64_t v)
{
	struct l3_ctl_stats_ns *p;

	if (n > L3_NAME_MAX)
		return -1;
	p = realloc(st->ns, (st->nns + 1) * sizeof(*p));
	if (!p)
		return -1;
	st->ns = p;
	p += st->nns;
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, n);
	if (!l3_name_valid(p->name))
		return -1;
	p->registrations = v;
	st->nns++;
	return 0;
}

/* One line "KEY VALUE" or "registrations NAME VALUE". */
static int l3_ctl_stats_line(const char *line, const char *end, struct l3_ctl_stats *st)
{
	const char *w[3];
	size_t n[3], nw = 0, k;
	uint64_t v;

	while (nw < 3 && (w[nw] = l3_ctl_word(&line, end, &n[nw])))
		nw++;
	if (nw < 2 || l3_ctl_word(&line, end, &k) || !l3_ctl_u64(w[nw - 1], n[nw - 1], &v))
		return -1;
	if (nw == 3)
		return n[0] == 13 && !memcmp(w[0], "registrations", 13)
			       ? l3_ctl_stats_ns_add(st, w[1], n[1], v) : 0;
	for (k = 0; k < L3_CTL_NKEYS; k++)
		if (strlen(l3_ctl_stats_keys[k].key) == n[0] &&
		    !memcmp(l3_ctl_stats_keys[k].key, w[0], n[0]))
			*l3_ctl_stats_field(st, k) = v;
	return 0;
}

int l3_ctl_stats_parse(const char *text, struct l3_ctl_stats *st, const char **why)
{
	const char *end;

	memset(st, 0, sizeof(*st));
	for (; *text; text = *end ? end + 1 : end) {
		end = text + strcspn(text, "\n");
		if (!l3_ctl_printable(text, (size_t)(end - text)) ||
		    l3_ctl_stats_line(text, end, st) < 0) {
			*why = "malformed stats reply";
			l3_ctl_stats_free(st);
			return -1;
		}
	}
	return 0;
}

void l3_ctl_stats_free(struct l3_ctl_stats *st)
{
	free(st->ns);
	st->ns = NULL;
	st->nns = 0;
}

int l3_ctl_stats_get(struct l3_ctl_stats *st, char *err, size_t errlen)
{
	struct l3_ctl_req req = { .verb = L3_CTL_STATS };
	char *text = NULL;
	size_t len = 0;
	const char *why;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	memset(st, 0, sizeof(*st));
	if (!mem) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	rc = l3_ctl_request(&req, mem, err, errlen);
	fclose(mem);
	if (rc == 0 && l3_ctl_stats_parse(text ? text : "", st, &why) < 0) {
		snprintf(err, errlen, "l3nftd: %s", why);
		rc = -1;
	}
	free(text);
	return rc;
}
