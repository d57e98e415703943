/* Sending a batch and reading the kernel's answers; feature probes. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include "l3nft/kernel/nl_sock.h"

struct mnl_socket *l3_nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

static const struct l3_nl_origin *l3_nl_find_origin(const struct l3_nl_batch *nb, uint32_t seq)
{
	size_t lo = 0, hi = nb->norigins;

	while (lo < hi) {	/* origins are in sequence order */
		size_t mid = (lo + hi) / 2;

		if (nb->origins[mid].seq == seq)
			return &nb->origins[mid];
		if (nb->origins[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A batch is one netlink datagram: the socket's send buffer must hold it. */
static int l3_nl_sndbuf(struct mnl_socket *nl, size_t len)
{
	int fd = mnl_socket_get_fd(nl), sz = (int)(len + 4096);

	if (len > (size_t)1 << 30) {
		errno = EMSGSIZE;
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return 0;
}

static int l3_nl_sendmsg(struct mnl_socket *nl, struct nftnl_batch *b)
{
	int n = nftnl_batch_iovec_len(b);
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { 0 };
	struct iovec *iov = calloc((size_t)n, sizeof(*iov));
	size_t total = 0;
	ssize_t sent;
	int i;

	if (!iov)
		return -1;
	nftnl_batch_iovec(b, iov, (uint32_t)n);
	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (l3_nl_sndbuf(nl, total) < 0) {
		free(iov);
		return -1;
	}
	msg.msg_name = &snl;
	msg.msg_namelen = sizeof(snl);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n;
	sent = sendmsg(mnl_socket_get_fd(nl), &msg, 0);
	free(iov);
	return sent < 0 ? -1 : 0;
}

/* After the batch, a GETGEN request: its reply comes after every error the
 * batch produced, so reading up to it reads them all without asking for an
 * ack per message (100,000 acks would overflow the receive buffer). */
static int l3_nl_send_fence(struct mnl_socket *nl, uint32_t seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK,
						     seq);

	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

struct l3_nl_reader {
	const struct l3_nl_batch *nb;
	struct l3_nl_error *errs;
	size_t max, n;
	uint32_t fence;
};

/* The kernel acks each message it refuses (and the fence) with an
 * NLMSG_ERROR: collect the refusals, stop at the fence's. */
static int l3_nl_read_error(const struct nlmsghdr *nlh, void *data)
{
	struct l3_nl_reader *rd = data;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_seq == rd->fence)
		return MNL_CB_STOP;
	if (err->error && rd->n < rd->max) {
		rd->errs[rd->n].err = -err->error;
		rd->errs[rd->n].origin = l3_nl_find_origin(rd->nb, nlh->nlmsg_seq);
		rd->n++;
	}
	return MNL_CB_OK;
}

static int l3_nl_read(struct mnl_socket *nl, struct l3_nl_reader *rd)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = l3_nl_read_error };
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE * 4);
	unsigned portid = mnl_socket_get_portid(nl);
	int rc = -1;
	ssize_t n;

	if (!buf)
		return -1;
	/* sequence 0: the answers carry the sequence of each message */
	while ((n = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE * 4)) > 0) {
		rc = mnl_cb_run2(buf, (size_t)n, 0, portid, NULL, rd, ctl, NLMSG_MIN_TYPE);
		if (rc <= 0)
			break;
	}
	free(buf);
	return n < 0 || rc < 0 ? -1 : 0;
}

int l3_nl_send(struct mnl_socket *nl, struct l3_nl_batch *nb, struct l3_nl_error *errs,
	       size_t max, size_t *nerrs)
{
	struct l3_nl_reader rd = { .nb = nb, .errs = errs, .max = max };

	*nerrs = 0;
	rd.fence = nb->seq_next + 1;
	if (l3_nl_sendmsg(nl, nb->b) < 0 || l3_nl_send_fence(nl, rd.fence) < 0 ||
	    l3_nl_read(nl, &rd) < 0)
		return -1;
	*nerrs = rd.n;
	if (rd.n) {
		errno = errs[0].err;
		return -1;
	}
	return 0;
}

/* A throwaway table with one native queue rule, in a batch that is never
 * committed: the kernel says ENOENT when nft_queue is missing. */
int l3_nl_probe(struct mnl_socket *nl, struct l3_nl_features *f)
{
	static const char table[] = "l3nft_probe";
	struct l3_nl_batch nb;
	struct l3_nl_error err;
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *q = nftnl_expr_alloc("queue");
	struct nlmsghdr *nlh;
	size_t nerr = 0;
	int rc = -1;

	f->native_queue = false;
	if (!t || !c || !r || !q || l3_nl_batch_init(&nb, (uint32_t)time(NULL)) < 0)
		goto out;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nb.b), NFT_MSG_NEWTABLE, NFPROTO_INET,
				    NLM_F_CREATE, nb.seq_next++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_batch_update(nb.b);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "c");
	nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nb.b), NFT_MSG_NEWCHAIN, NFPROTO_INET,
				    NLM_F_CREATE, nb.seq_next++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_batch_update(nb.b);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "c");
	nftnl_expr_set_u16(q, NFTNL_EXPR_QUEUE_NUM, 0);
	nftnl_rule_add_expr(r, q);
	q = NULL;
	nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nb.b), NFT_MSG_NEWRULE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_APPEND, nb.seq_next++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_batch_update(nb.b);
	/* not committed: checked, then aborted */
	rc = l3_nl_send(nl, &nb, &err, 1, &nerr);
	if (rc == 0) {
		f->native_queue = true;
	} else if (nerr == 1 && err.err == ENOENT) {
		rc = 0;
	}
	l3_nl_batch_fini(&nb);
out:
	if (q)
		nftnl_expr_free(q);
	if (r)
		nftnl_rule_free(r);
	if (c)
		nftnl_chain_free(c);
	if (t)
		nftnl_table_free(t);
	return rc;
}

const char *l3_nl_strerror(int err)
{
	if (err == EPERM)
		return "Operation not permitted; needs root (CAP_NET_ADMIN)";
	if (err == EACCES)
		return "Permission denied; needs root";
	return strerror(err);
}
