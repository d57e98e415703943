/* Element updates of the live table, each one netlink transaction. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
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
