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
 *
 * SPEC is a listen entry as in the policy (239.1.1.1:5000/udp). Replies
 * are one or more messages of lines; the last is "end N" (N data lines
 * sent before it) after "ok", or a single "error: reason".
 */
#ifndef L3NFT_CTL_H
#define L3NFT_CTL_H

#include <stddef.h>
#include <stdio.h>
#include "l3nft/compiler/cfg.h"

#define L3_CTL_MAX 512
#define L3_CTL_REPLY_MAX 4096

enum l3_ctl_verb {
	L3_CTL_LISTEN,
	L3_CTL_UNLISTEN,
	L3_CTL_LIST,
	L3_CTL_RESYNC,
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

#endif
