/* Element updates of the live table, each one netlink transaction; and
 * whether the table is there at all. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include "l3nft/kernel/nl_sock.h"
#include "l3nftd.h"

int l3d_table_elems(struct l3d *d, const char *set, const struct l3_ir_elem *add,
		    size_t nadd, const struct l3_ir_elem *del, size_t ndel)
{
	const struct l3_ir_set *is = l3_ir_find_set(d->ir, set);
	struct l3_nl_error err;
	struct l3_nl_batch nb;
	size_t nerr = 0;
	int rc = -1;

	if (!is) {
		errno = ENOENT;
		return -1;
	}
	if (nadd == 0 && ndel == 0)
		return 0;
	if (l3_nl_batch_init(&nb, (uint32_t)time(NULL)) < 0)
		return -1;
	if ((ndel && l3_nl_emit_elems(&nb, d->ir, is, del, ndel, false) < 0) ||
	    (nadd && l3_nl_emit_elems(&nb, d->ir, is, add, nadd, true) < 0) ||
	    l3_nl_batch_end(&nb, true) < 0)
		goto out;
	rc = l3_nl_send(d->nft, &nb, &err, 1, &nerr);
	if (rc < 0)
		l3d_log("table", "updating set %s: %s", set, strerror(nerr ? err.err : errno));
out:
	l3_nl_batch_fini(&nb);
	return rc;
}

bool l3d_table_exists(struct l3d *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	ssize_t n;
	int rc = -1;

	if (!t)
		return true;	/* when in doubt, keep the host as the policy says */
	/* no NLM_F_ACK: the answer is the table, or an error (ENOENT) */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, seq);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, d->cfg->table);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(d->nft, nlh, nlh->nlmsg_len) < 0)
		return true;
	n = mnl_socket_recvfrom(d->nft, buf, sizeof(buf));
	if (n > 0)
		rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(d->nft), NULL, NULL);
	return rc >= 0 || errno != ENOENT;
}
