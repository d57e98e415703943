/* Control protocol requests: strict decoding, shared by both ends. */
#include "config.h"

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
	if (n == 6 && !memcmp(w, "listen", 6))
		req->verb = L3_CTL_LISTEN;
	else if (n == 8 && !memcmp(w, "unlisten", 8))
		req->verb = L3_CTL_UNLISTEN;
	else {
		*why = "unknown request (listen, unlisten, list, resync)";
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
