/* Element updates of the live table, each one netlink transaction; whether
 * the table is there at all; and its member_lN elements, read back so that
 * l3nftd reconciles against what the kernel holds, not what it remembers. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
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

/* ---- the member_lN elements as the kernel has them ---- */

struct l3d_members {
	struct l3d_member *v;
	size_t n, cap;
};

static int l3d_members_push(struct l3d_members *m, const uint8_t *key)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		void *p = realloc(m->v, cap * sizeof(*m->v));

		if (!p)
			return -1;
		m->v = p;
		m->cap = cap;
	}
	/* key: mark (4 bytes, host order as nft stores meta mark) . cgroup id (8) */
	memcpy(&m->v[m->n].mark, key, 4);
	memcpy(&m->v[m->n].id, key + 4, 8);
	m->n++;
	return 0;
}

static int l3d_members_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *e;
	int rc = MNL_CB_ERROR;

	if (!s || nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		goto out;
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		goto out;
	rc = MNL_CB_OK;
	for (e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
		uint32_t len = 0;
		const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

		if (key && len == 12 && l3d_members_push(data, key) < 0) {
			rc = MNL_CB_ERROR;
			break;
		}
	}
	nftnl_set_elems_iter_destroy(it);
out:
	if (s)
		nftnl_set_free(s);
	return rc;
}

/* Dumps set @set's elements into @m. */
static int l3d_members_dump(struct l3d *d, const char *set, struct l3d_members *m)
{
	size_t len = MNL_SOCKET_BUFFER_SIZE * 8;
	char *buf = malloc(len);
	uint32_t seq = (uint32_t)time(NULL) ^ 0x6d656d62, portid = mnl_socket_get_portid(d->nft);
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	ssize_t n;
	int rc = -1;

	if (!buf || !s)
		goto out;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, seq);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, d->cfg->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	if (mnl_socket_sendto(d->nft, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((n = mnl_socket_recvfrom(d->nft, buf, len)) > 0) {
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, l3d_members_msg, m);
		if (rc <= 0)
			break;
	}
out:
	if (s)
		nftnl_set_free(s);
	free(buf);
	return rc < 0 ? -1 : 0;
}

static int l3d_member_cmp(const void *a, const void *b)
{
	const struct l3d_member *x = a, *y = b;

	if (x->mark != y->mark)
		return x->mark < y->mark ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int l3d_table_members(struct l3d *d, struct l3d_member **out, size_t *n)
{
	struct l3d_members m = { 0 };
	char set[32];
	int i;

	for (i = 0; i < d->ir->nlevels; i++) {
		snprintf(set, sizeof(set), L3_IR_SET_MEMBER_FMT, d->ir->levels[i]);
		if (l3d_members_dump(d, set, &m) < 0) {
			int e = errno;

			free(m.v);
			errno = e;
			return -1;
		}
	}
	if (m.n)
		qsort(m.v, m.n, sizeof(*m.v), l3d_member_cmp);
	*out = m.v;
	*n = m.n;
	return 0;
}
