/*
 * l3nft status: the facts are gathered once into plain structs, then
 * printed by one of two printers (text for people, JSON for scripts), so
 * both always carry the same facts.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include "l3nft/cli/status.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/kernel/alias.h"
#include "l3nft/kernel/cgroup.h"
#include "l3nft/kernel/live.h"
#include "l3nft/kernel/nl_sock.h"
#include "l3nft/kernel/rundir.h"
#include "l3nft/kernel/sock_layer.h"

struct l3_st_addr {
	char text[INET6_ADDRSTRLEN + 4];
	char ifname[IF_NAMESIZE];
	bool present, ours;
};

struct l3_st_ctr {
	uint64_t packets, bytes;
	bool known;
};

struct l3_st_ns {
	const struct l3_ns *ns;
	uint32_t id;			/* the live table's when loaded */
	bool cg_exists;
	uint64_t cg_id;
	long procs;
	struct l3_st_addr *addrs;
	struct l3_st_ctr ctr[L3_CTR_KINDS];
	bool sl_known;			/* socket layer counters read */
	struct l3_sock_layer_ctr sl;
};

/* Processes in the cgroup and every cgroup below it. */
static long l3_st_procs(const char *dir, int depth)
{
	char path[4096 + 32], *line = NULL;
	size_t cap = 0;
	long n = 0;
	struct dirent *de;
	FILE *f;
	DIR *d;

	if (depth > 64)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((f = fopen(path, "re"))) {
		while (getline(&line, &cap, f) > 0)
			n++;
		fclose(f);
		free(line);
	}
	if (!(d = opendir(dir)))
		return n;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			n += l3_st_procs(path, depth + 1);
	}
	closedir(d);
	return n;
}

static bool l3_st_daemon_running(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool up;

	if (fd < 0)
		return false;
	up = l3_runpath(sun.sun_path, sizeof(sun.sun_path), L3_CONTROL_NAME) &&
	     connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return up;
}

static void l3_st_gather_ns(struct l3_st_ns *s, const struct l3_ns *ns, const char *mount,
			    const struct l3_aliases *now, const struct l3_live *live)
{
	char path[4096 + L3_CGROUP_PATH_MAX + 2], name[80];
	size_t i;

	s->ns = ns;
	s->cg_id = l3_cgroup_id(mount, ns->cgroup);
	if (s->cg_id) {
		s->cg_exists = true;
		snprintf(path, sizeof(path), "%s/%s", mount, ns->cgroup);
		s->procs = l3_st_procs(path, 0);
	}
	for (i = 0; i < ns->naddrs; i++) {
		const struct l3_addr *a = &ns->addrs[i];
		const struct l3_alias *al = l3_alias_find(now, a->family, &a->a);
		char txt[INET6_ADDRSTRLEN];

		inet_ntop(a->family, &a->a, txt, sizeof(txt));
		snprintf(s->addrs[i].text, sizeof(s->addrs[i].text), "%s/%d", txt, a->plen);
		if (al) {
			s->addrs[i].present = true;
			s->addrs[i].ours = al->proto == L3_IFA_PROTO;
			if_indextoname((unsigned)al->ifindex, s->addrs[i].ifname);
		} else if (ns->ifname) {
			snprintf(s->addrs[i].ifname, sizeof(s->addrs[i].ifname), "%s", ns->ifname);
		}
	}
	for (i = 0; i < L3_CTR_KINDS; i++) {
		const struct l3_ir_counter_value *c;

		snprintf(name, sizeof(name), L3_IR_COUNTER_FMT, ns->name, l3_ir_counter_kinds[i]);
		if ((c = l3_live_counter(live, name))) {
			s->ctr[i].known = true;
			s->ctr[i].packets = c->packets;
			s->ctr[i].bytes = c->bytes;
		}
	}
}

/* ---- printers ---- */

static void l3_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void l3_st_json_ns(const struct l3_cfg *cfg, const struct l3_st_ns *s, FILE *out)
{
	char buf[64];
	size_t i;

	fputs("{\"name\":", out);
	l3_json_str(out, s->ns->name);
	fprintf(out, ",\"id\":%u,\"mark\":\"0x%08" PRIx32 "\",\"cgroup\":{\"path\":", s->id,
		l3_cfg_mark(cfg, s->id));
	l3_json_str(out, s->ns->cgroup);
	fprintf(out, ",\"exists\":%s", s->cg_exists ? "true" : "false");
	if (s->cg_exists)
		fprintf(out, ",\"id\":%" PRIu64 ",\"processes\":%ld", s->cg_id, s->procs);
	fputs("},\"addresses\":[", out);
	for (i = 0; i < s->ns->naddrs; i++) {
		fprintf(out, "%s{\"address\":", i ? "," : "");
		l3_json_str(out, s->addrs[i].text);
		fputs(",\"interface\":", out);
		if (s->addrs[i].ifname[0])
			l3_json_str(out, s->addrs[i].ifname);
		else
			fputs("null", out);
		fprintf(out, ",\"present\":%s,\"added_by_l3nft\":%s}",
			s->addrs[i].present ? "true" : "false", s->addrs[i].ours ? "true" : "false");
	}
	fputs("],\"counters\":{", out);
	for (i = 0; i < L3_CTR_KINDS; i++) {
		fprintf(out, "%s\"%s\":", i ? "," : "", l3_ir_counter_kinds[i]);
		if (s->ctr[i].known)
			fprintf(out, "{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
				s->ctr[i].packets, s->ctr[i].bytes);
		else
			fputs("null", out);
	}
	fputs("},\"socket_layer\":", out);
	if (s->sl_known)
		fprintf(out, "{\"binds_rewritten\":%" PRIu64 ",\"binds_refused\":%" PRIu64
			",\"sources_filled\":%" PRIu64 ",\"sends_refused\":%" PRIu64
			",\"ingress_dropped\":%" PRIu64 "}", s->sl.bind_rewritten,
			s->sl.bind_refused, s->sl.src_filled, s->sl.send_refused,
			s->sl.ingress_dropped);
	else
		fputs("null", out);
	fputs(",\"listen\":[", out);
	for (i = 0; i < s->ns->nlistens; i++) {
		l3_listen_format(&s->ns->listens[i], buf, sizeof(buf));
		fputs(i ? "," : "", out);
		l3_json_str(out, buf);
	}
	fputs("]}", out);
}

static void l3_st_text_ns(const struct l3_cfg *cfg, const struct l3_st_ns *s, FILE *out)
{
	char buf[64];
	size_t i;

	fprintf(out, "namespace %s (id %u, mark 0x%08" PRIx32 ")\n", s->ns->name, s->id,
		l3_cfg_mark(cfg, s->id));
	if (s->cg_exists)
		fprintf(out, "  cgroup    %s: id %" PRIu64 ", %ld processes\n", s->ns->cgroup,
			s->cg_id, s->procs);
	else
		fprintf(out, "  cgroup    %s: does not exist (no members)\n", s->ns->cgroup);
	for (i = 0; i < s->ns->naddrs; i++)
		fprintf(out, "  address   %s%s%s: %s\n", s->addrs[i].text,
			s->addrs[i].ifname[0] ? " dev " : "", s->addrs[i].ifname,
			!s->addrs[i].present ? "missing"
			: s->addrs[i].ours   ? "present (added by l3nft)"
					     : "present (added by hand)");
	if (s->ctr[L3_CTR_EGRESS].known)
		fprintf(out, "  counters  egress %" PRIu64 " flows, accepted %" PRIu64
			" packets, refused %" PRIu64 " packets\n",
			s->ctr[L3_CTR_EGRESS].packets, s->ctr[L3_CTR_ACCEPTED].packets,
			s->ctr[L3_CTR_REFUSED].packets);
	else
		fputs("  counters  none (table not loaded)\n", out);
	if (s->sl_known)
		fprintf(out, "  sockets   binds rewritten %" PRIu64 ", refused %" PRIu64
			"; sources filled %" PRIu64 ", sends refused %" PRIu64
			"; ingress dropped %" PRIu64 "\n", s->sl.bind_rewritten, s->sl.bind_refused,
			s->sl.src_filled, s->sl.send_refused, s->sl.ingress_dropped);
	for (i = 0; i < s->ns->nlistens; i++) {
		l3_listen_format(&s->ns->listens[i], buf, sizeof(buf));
		fprintf(out, "  listen    %s\n", buf);
	}
}

enum l3_status l3_status_print(const struct l3_cfg *cfg, bool json, FILE *out,
			       struct l3_diag *diag)
{
	struct l3_cgroup_mount mnt = { .path = "" };
	struct l3_aliases now = { 0 };
	struct l3_live live = { 0 };
	struct l3_st_ns *ns = calloc(cfg->nns + 1, sizeof(*ns));
	uint32_t *ids = calloc(cfg->nns + 1, sizeof(*ids));
	struct mnl_socket *nl = l3_nl_open();
	struct l3_rt rt = { 0 };
	struct l3_sock_layer_state sl = { 0 };
	enum l3_status st = L3_OK;
	bool daemon = l3_st_daemon_running();
	size_t i;

	if (!ns || !ids || !nl || l3_live_read(nl, cfg->table, &live) < 0 ||
	    l3_live_ids(&live, cfg, ids) < 0 || l3_rt_open(&rt) < 0 ||
	    l3_alias_dump(&rt, &now) < 0) {
		l3_error(diag, L3_NOPOS, "reading the system's state: %s", strerror(errno));
		st = L3_REFUSED;
		goto out;
	}
	l3_cgroup_find_mount(NULL, &mnt);
	l3_sock_layer_read(&sl);
	for (i = 0; i < cfg->nns; i++) {
		ns[i].addrs = calloc(cfg->ns[i].naddrs + 1, sizeof(*ns[i].addrs));
		if (!ns[i].addrs) {
			st = L3_REFUSED;
			goto out;
		}
		l3_st_gather_ns(&ns[i], &cfg->ns[i], mnt.path, &now, &live);
		ns[i].id = ids[i];
		ns[i].sl_known = sl.attached &&
				 l3_sock_layer_counters(&sl, ids[i], &ns[i].sl) == 0;
	}
	if (json) {
		fputs("{\"table\":", out);
		l3_json_str(out, cfg->table);
		fprintf(out, ",\"table_loaded\":%s,\"l3nftd_running\":%s,"
			"\"socket_layer\":{\"mode\":\"%s\",\"attached\":%s,\"programs\":%zu",
			live.exists ? "true" : "false", daemon ? "true" : "false",
			l3_cfg_socket_layer_name(cfg->socket_layer), sl.attached ? "true" : "false",
			sl.nlinks);
		if (sl.nlinks)
			fprintf(out, ",\"cgroup_id\":%" PRIu64, sl.cgroup_id);
		fputs("},\"namespaces\":[", out);
		for (i = 0; i < cfg->nns; i++) {
			fputs(i ? "," : "", out);
			l3_st_json_ns(cfg, &ns[i], out);
		}
		fputs("]}\n", out);
	} else {
		fprintf(out, "table inet %s: %s\nl3nftd: %s\n", cfg->table,
			live.exists ? "loaded" : "not loaded", daemon ? "running" : "not running");
		if (sl.nlinks)
			fprintf(out, "socket layer (%s): %s, %zu programs at cgroup id %" PRIu64 "\n",
				l3_cfg_socket_layer_name(cfg->socket_layer),
				sl.attached ? "attached" : "partly attached", sl.nlinks, sl.cgroup_id);
		else
			fprintf(out, "socket layer (%s): not attached\n",
				l3_cfg_socket_layer_name(cfg->socket_layer));
		for (i = 0; i < cfg->nns; i++)
			l3_st_text_ns(cfg, &ns[i], out);
	}
out:
	for (i = 0; ns && i < cfg->nns; i++)
		free(ns[i].addrs);
	free(ns);
	free(ids);
	if (nl)
		mnl_socket_close(nl);
	l3_rt_close(&rt);
	l3_live_free(&live);
	l3_aliases_free(&now);
	return st;
}
