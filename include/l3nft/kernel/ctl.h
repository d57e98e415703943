/*
 * The control protocol between `l3nft listen/unlisten/listeners` and
 * l3nftd, over a SOCK_SEQPACKET Unix socket: one request per message,
 * text, at most L3_CTL_MAX bytes:
 *
 *     listen NAME SPEC        register namespace NAME for SPEC
 *     unlisten NAME SPEC      take a registration back
 *     list                    every registration
 *     resync                  the table was replaced (`l3nft apply`, by an
 *                             administrator): re-read it, then bring the
 *                             cgroup ids in it and in the socket layer's
 *                             maps in line with the cgroups now
 *     stats                   l3nftd's figures (struct l3_ctl_stats)
 *
 * SPEC is a listen entry as in the policy (239.1.1.1:5000/udp). Replies
 * are one or more messages of lines; the last is "end N" (N data lines
 * sent before it) after "ok", or a single "error: reason".
 */
#ifndef L3NFT_CTL_H
#define L3NFT_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "l3nft/compiler/cfg.h"

#define L3_CTL_MAX 512
#define L3_CTL_REPLY_MAX 4096

enum l3_ctl_verb {
	L3_CTL_LISTEN,
	L3_CTL_UNLISTEN,
	L3_CTL_LIST,
	L3_CTL_RESYNC,
	L3_CTL_STATS,
};

struct l3_ctl_req {
	enum l3_ctl_verb verb;
	char name[L3_NAME_MAX + 1];
	struct l3_listen spec;
};

/* Decodes one request; 0, or -1 with a reason for the error reply. Never
 * reads past @len, needs no NUL. */
int l3_ctl_parse(const char *buf, size_t len, struct l3_ctl_req *req, const char **why);
/* Encodes @req into @buf (at least L3_CTL_MAX); returns the length. */
size_t l3_ctl_format(const struct l3_ctl_req *req, char *buf);
/* Sends @req to l3nftd and copies the data lines of the reply to @out.
 * 0 done; 1 refused by the daemon; -1 daemon unreachable or I/O error
 * (the reason in @err either way). */
int l3_ctl_request(const struct l3_ctl_req *req, FILE *out, char *err, size_t errlen);

/* ---- stats: the reply's data lines are "KEY VALUE" (decimal), then one
 * "registrations NAME N" per namespace of the policy. A client ignores
 * keys it does not know (a newer daemon), never a malformed line. ---- */

struct l3_ctl_stats_ns {
	char name[L3_NAME_MAX + 1];
	uint64_t registrations;		/* static and dynamic */
};

struct l3_ctl_stats {
	uint64_t uptime_seconds;
	uint64_t queued;		/* datagrams the queue handed to l3nftd */
	uint64_t copies;		/* fan-out copies delivered to namespaces */
	uint64_t no_listener;		/* datagrams no namespace registered for (dropped) */
	uint64_t send_errors;		/* copies the kernel did not take (dropped) */
	uint64_t other_link;		/* copies not made: the namespace is on another link */
	uint64_t overflows;		/* queue overflows (ENOBUFS): packets were lost */
	uint64_t bad_packets;		/* queued packets that were no whole UDP datagram */
	uint64_t refused_requests;	/* control requests answered with an error */
	uint64_t refused_connections;	/* control connections refused (limits, EMFILE) */
	uint64_t cgroup_updates;	/* cgroup ids moved in the table */
	uint64_t stale_ids;		/* namespaces whose table id is not their cgroup's now */
	uint64_t addresses_restored;	/* policy addresses put back */
	uint64_t udp_bind_events;	/* the socket layer's UDP doorbell events read */
	uint64_t udp_walks;		/* UDP iterator walks (steering) */
	uint64_t registrations;		/* all namespaces' */
	size_t nns;
	struct l3_ctl_stats_ns *ns;	/* owned; l3_ctl_stats_free() */
};

/* Writes @st as the reply's data lines. 0, or -1 on a write error. */
int l3_ctl_stats_format(const struct l3_ctl_stats *st, FILE *out);
/* Decodes the data lines of a stats reply into @st (zeroed first; free
 * with l3_ctl_stats_free). 0, or -1 with a reason (ENOMEM, malformed). */
int l3_ctl_stats_parse(const char *text, struct l3_ctl_stats *st, const char **why);
void l3_ctl_stats_free(struct l3_ctl_stats *st);
/* Asks l3nftd for its stats: as l3_ctl_request (0 done, 1 refused, -1
 * unreachable or an unreadable reply; the reason in @err). */
int l3_ctl_stats_get(struct l3_ctl_stats *st, char *err, size_t errlen);

#endif
