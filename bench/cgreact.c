/*
 * How long l3nftd takes to put a cgroup made anew into the table, for
 * bench/run.sh. Bounded: gives up after TIMEOUTMS.
 *
 *   cgreact CGDIR TABLE SET TIMEOUTMS
 *
 * Removes the (empty) cgroup directory CGDIR and creates it again, which
 * gives it a new id (its inode number); then asks the kernel, over and
 * over, for the element with that id in set SET of table inet TABLE (one
 * NFT_MSG_GETSETELEM for that key, no dump), and prints "ms X": the time
 * from mkdir returning to the first answer that has it, or "ms timeout".
 *
 * Build: cc -O2 -o cgreact cgreact.c -lnftnl -lmnl
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 1 when the element with key @id is in the set, 0 when not, -1 on error */
static int has_elem(struct mnl_socket *nl, const char *table, const char *set, uint64_t id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	static uint32_t seq = 1;
	struct nlmsghdr *nlh;
	int rc = -1;
	ssize_t n;

	if (!s || !e)
		return -1;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &id, sizeof(id));
	nftnl_set_elem_add(s, e);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_ACK, ++seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		goto out;
	rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL);
	if (rc >= 0)
		rc = 1;		/* the element, then (maybe) the ack */
	else
		rc = errno == ENOENT ? 0 : -1;
out:
	nftnl_set_free(s);
	return rc;
}

int main(int argc, char **argv)
{
	struct mnl_socket *nl;
	struct stat st;
	double t0, limit;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: cgreact CGDIR TABLE SET TIMEOUTMS\n");
		return 1;
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("cgreact: netlink");
		return 2;
	}
	if (rmdir(argv[1]) < 0 || mkdir(argv[1], 0755) < 0 || stat(argv[1], &st) < 0) {
		perror(argv[1]);
		return 2;
	}
	t0 = now_ms();
	limit = t0 + atof(argv[4]);
	while ((r = has_elem(nl, argv[2], argv[3], (uint64_t)st.st_ino)) == 0 && now_ms() < limit)
		usleep(50);
	if (r == 1)
		printf("ms %.3f\n", now_ms() - t0);
	else
		printf("ms %s\n", r == 0 ? "timeout" : "error");
	mnl_socket_close(nl);
	return r == 1 ? 0 : 3;
}
