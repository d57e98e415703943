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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <jansson.h>
#include <libmnl/libmnl.h>
#include "l3nft/cli/openmetrics.h"
#include "l3nft/cli/status.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/kernel/alias.h"
#include "l3nft/kernel/cgroup.h"
#include "l3nft/kernel/ctl.h"
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
	uint64_t table_cg_id;		/* the cgroup id the table holds; 0: none */
	bool stale;			/* it is not the cgroup's id now */
	bool sl_known;			/* socket layer counters read */
	struct l3_sock_layer_ctr sl;
	bool cg_exists;
	uint64_t cg_id;
	long procs;
	struct l3_st_addr *addrs;
	struct l3_st_ctr ctr[L3_CTR_KINDS];
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

/* ---- JSON (schema 1, see l3nft(8)): every key always present, null when
 * not known ---- */

static json_t *l3_st_json_cgroup(const struct l3_st_ns *s)
{
	return json_pack("{s:s, s:b, s:o, s:o, s:o, s:b}",
			 "path", s->ns->cgroup, "exists", s->cg_exists,
			 "id", s->cg_exists ? json_integer((json_int_t)s->cg_id) : json_null(),
			 "processes", s->cg_exists ? json_integer(s->procs) : json_null(),
			 "table_id", s->table_cg_id ? json_integer((json_int_t)s->table_cg_id)
						    : json_null(),
			 "stale", s->stale);
}

static json_t *l3_st_json_addrs(const struct l3_st_ns *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->ns->naddrs; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:b, s:b, s:b}",
			"address", s->addrs[i].text,
			"interface", s->addrs[i].ifname[0] ? json_string(s->addrs[i].ifname)
							   : json_null(),
			"present", s->addrs[i].present, "added_by_l3nft", s->addrs[i].ours,
			"adopted", s->ns->addrs[i].adopt));
	return a;
}

static json_t *l3_st_json_counters(const struct l3_st_ns *s)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < L3_CTR_KINDS; i++)
		json_object_set_new(o, l3_ir_counter_kinds[i], !s->ctr[i].known ? json_null()
			: json_pack("{s:I, s:I}", "packets", (json_int_t)s->ctr[i].packets,
				    "bytes", (json_int_t)s->ctr[i].bytes));
	return o;
}

/* The socket layer's per-CPU counters of the namespace, summed; null when
 * the layer is not attached. */
static json_t *l3_st_json_sockets(const struct l3_st_ns *s)
{
	if (!s->sl_known)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
			 "binds_rewritten", (json_int_t)s->sl.bind_rewritten,
			 "binds_refused", (json_int_t)s->sl.bind_refused,
			 "sources_filled", (json_int_t)s->sl.src_filled,
			 "sends_refused", (json_int_t)s->sl.send_refused,
			 "ingress_dropped", (json_int_t)s->sl.ingress_dropped,
			 "steered", (json_int_t)s->sl.steered);
}

static json_t *l3_st_json_ns(const struct l3_cfg *cfg, const struct l3_st_ns *s)
{
	json_t *listen = json_array();
	char buf[64], mark[16];
	size_t i;

	for (i = 0; listen && i < s->ns->nlistens; i++) {
		l3_listen_format(&s->ns->listens[i], buf, sizeof(buf));
		json_array_append_new(listen, json_string(buf));
	}
	snprintf(mark, sizeof(mark), "0x%08" PRIx32, l3_cfg_mark(cfg, s->id));
	return json_pack("{s:s, s:I, s:s, s:o, s:o, s:o, s:o, s:o}", "namespace", s->ns->name,
			 "id", (json_int_t)s->id, "mark", mark, "cgroup", l3_st_json_cgroup(s),
			 "addresses", l3_st_json_addrs(s), "counters", l3_st_json_counters(s),
			 "socket_layer", l3_st_json_sockets(s), "listen", listen);
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
	if (s->stale && s->table_cg_id)
		fprintf(out, "  stale     the table holds cgroup id %" PRIu64 ": l3nftd is not "
			"keeping it current (l3nft sync %s puts it right)\n", s->table_cg_id,
			s->ns->name);
	else if (s->stale)
		fprintf(out, "  stale     the table holds no id for the cgroup: l3nftd is not "
			"keeping it current (l3nft sync %s puts it right)\n", s->ns->name);
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
			"; ingress dropped %" PRIu64 "; steered %" PRIu64 "\n", s->sl.bind_rewritten,
			s->sl.bind_refused, s->sl.src_filled, s->sl.send_refused,
			s->sl.ingress_dropped, s->sl.steered);
	for (i = 0; i < s->ns->nlistens; i++) {
		l3_listen_format(&s->ns->listens[i], buf, sizeof(buf));
		fprintf(out, "  listen    %s\n", buf);
	}
}

#define L3_ST_TABLE_CTRS 5

/* Everything status reports, read once. */
struct l3_st {
	struct l3_st_ns *ns;
	uint32_t *ids;			/* per namespace: its id in the table */
	uint64_t *table_cg;		/* per namespace: the cgroup id in the table */
	bool loaded, daemon;
	struct l3_sock_layer_state sl;	/* the socket layer's programs and counters */
	uint64_t table_ctr[L3_ST_TABLE_CTRS];		/* the table-wide counters (l3_st_table_ctrs) */
	bool table_ctr_known[L3_ST_TABLE_CTRS];
	bool stats_known;		/* l3nftd answered `stats` (openmetrics only) */
	struct l3_ctl_stats stats;
};

/* The table-wide named counters, by the reason they count. */
static const char *const l3_st_table_ctrs[L3_ST_TABLE_CTRS] = {
	L3_IR_COUNTER_HOST_REFUSED, L3_IR_COUNTER_LOOPBACK_REFUSED, L3_IR_COUNTER_NOT_OWNER,
	L3_IR_COUNTER_PROTOCOL_REFUSED, L3_IR_COUNTER_LOOPBACK_MARTIAN,
};

static void l3_st_free(struct l3_st *s, const struct l3_cfg *cfg)
{
	size_t i;

	for (i = 0; s->ns && i < cfg->nns; i++)
		free(s->ns[i].addrs);
	free(s->ns);
	free(s->ids);
	free(s->table_cg);
	l3_ctl_stats_free(&s->stats);
}

/* The table, the addresses and the cgroups as they are now. */
static int l3_st_read(struct l3_st *s, const struct l3_cfg *cfg, struct l3_live *live,
		      struct l3_aliases *now)
{
	struct mnl_socket *nl = l3_nl_open();
	struct l3_rt rt = { 0 };
	int rc = -1;

	s->ns = calloc(cfg->nns + 1, sizeof(*s->ns));
	s->ids = calloc(cfg->nns + 1, sizeof(*s->ids));
	s->table_cg = calloc(cfg->nns + 1, sizeof(*s->table_cg));
	if (s->ns && s->ids && s->table_cg && nl && l3_live_read(nl, cfg->table, live) == 0 &&
	    l3_live_ids(live, cfg, s->ids) == 0 &&
	    l3_live_cgroup_ids(live, cfg, s->ids, s->table_cg) == 0 && l3_rt_open(&rt) == 0 &&
	    l3_alias_dump(&rt, now) == 0)
		rc = 0;
	if (nl)
		mnl_socket_close(nl);
	l3_rt_close(&rt);
	return rc;
}

static int l3_st_gather(struct l3_st *s, const struct l3_cfg *cfg, struct l3_diag *diag)
{
	struct l3_cgroup_mount mnt = { .path = "" };
	struct l3_aliases now = { 0 };
	struct l3_live live = { 0 };
	size_t i;
	int rc = l3_st_read(s, cfg, &live, &now);

	if (rc < 0)
		l3_error(diag, L3_NOPOS, "reading the system's state: %s", l3_nl_strerror(errno));
	l3_cgroup_find_mount(NULL, &mnt);
	l3_sock_layer_read(&s->sl);
	for (i = 0; rc == 0 && i < cfg->nns; i++) {
		struct l3_st_ns *n = &s->ns[i];

		n->addrs = calloc(cfg->ns[i].naddrs + 1, sizeof(*n->addrs));
		if (!n->addrs) {
			rc = -1;
			break;
		}
		l3_st_gather_ns(n, &cfg->ns[i], mnt.path, &now, &live);
		n->id = s->ids[i];
		n->table_cg_id = s->table_cg[i];
		n->stale = live.exists && n->table_cg_id != n->cg_id;
		n->sl_known = s->sl.attached &&
			      l3_sock_layer_counters(&s->sl, s->ids[i], &n->sl) == 0;
	}
	for (i = 0; rc == 0 && i < L3_ST_TABLE_CTRS; i++) {
		const struct l3_ir_counter_value *c = l3_live_counter(&live, l3_st_table_ctrs[i]);

		s->table_ctr_known[i] = c != NULL;
		s->table_ctr[i] = c ? c->packets : 0;
	}
	s->loaded = live.exists;
	s->daemon = l3_st_daemon_running();
	l3_live_free(&live);
	l3_aliases_free(&now);
	return rc;
}

/* ---- OpenMetrics (see l3nft(8), METRICS): one family per figure, each
 * namespace's sample labelled namespace="NAME" ---- */

static void l3_st_om_state(struct l3_om *om, const struct l3_st *s, const struct l3_cfg *cfg)
{
	size_t i, j;

	l3_om_family(om, "l3nft_table_loaded", L3_OM_GAUGE, "1 when the policy's table is loaded");
	l3_om_sample(om, s->loaded, "table", cfg->table, NULL);
	l3_om_family(om, "l3nft_socket_layer_attached", L3_OM_GAUGE,
		     "1 when every program of the socket layer is attached");
	l3_om_sample(om, s->sl.attached, NULL);
	l3_om_family(om, "l3nft_namespace_processes", L3_OM_GAUGE,
		     "processes in the namespace's cgroup and below it");
	for (i = 0; i < cfg->nns; i++)
		if (s->ns[i].cg_exists)
			l3_om_sample(om, (uint64_t)s->ns[i].procs, "namespace", cfg->ns[i].name, NULL);
	l3_om_family(om, "l3nft_namespace_stale", L3_OM_GAUGE,
		     "1 when the table's cgroup id of the namespace is not its cgroup's id now");
	for (i = 0; s->loaded && i < cfg->nns; i++)
		l3_om_sample(om, s->ns[i].stale, "namespace", cfg->ns[i].name, NULL);
	l3_om_family(om, "l3nft_address_present", L3_OM_GAUGE,
		     "1 when the namespace's address is on the host");
	for (i = 0; i < cfg->nns; i++)
		for (j = 0; j < cfg->ns[i].naddrs; j++)
			l3_om_sample(om, s->ns[i].addrs[j].present, "namespace", cfg->ns[i].name,
				     "address", s->ns[i].addrs[j].text, NULL);
}

/* The table's counters: per namespace, then the table-wide refusals. */
static void l3_st_om_table(struct l3_om *om, const struct l3_st *s, const struct l3_cfg *cfg)
{
	static const struct {
		const char *family, *help;
		enum l3_ir_counter_kind kind;
		bool bytes;
	} f[] = {
		{ "l3nft_egress_flows", "connections and flows of the namespace translated to its "
		  "address (first packets)", L3_CTR_EGRESS, false },
		{ "l3nft_accepted_packets", "packets accepted for the namespace's sockets",
		  L3_CTR_ACCEPTED, false },
		{ "l3nft_accepted_bytes", "bytes accepted for the namespace's sockets",
		  L3_CTR_ACCEPTED, true },
		{ "l3nft_refused_packets", "packets refused to the namespace", L3_CTR_REFUSED,
		  false },
		{ "l3nft_refused_bytes", "bytes refused to the namespace", L3_CTR_REFUSED, true },
	};
	size_t k, i;

	for (k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		l3_om_family(om, f[k].family, L3_OM_COUNTER, f[k].help);
		for (i = 0; i < cfg->nns; i++) {
			const struct l3_st_ctr *c = &s->ns[i].ctr[f[k].kind];

			if (c->known)
				l3_om_sample(om, f[k].bytes ? c->bytes : c->packets, "namespace",
					     cfg->ns[i].name, NULL);
		}
	}
	l3_om_family(om, "l3nft_table_refused_packets", L3_OM_COUNTER,
		     "packets the table refused outside any namespace's counters, by reason");
	for (k = 0; k < L3_ST_TABLE_CTRS; k++)
		if (s->table_ctr_known[k])
			l3_om_sample(om, s->table_ctr[k], "reason", l3_st_table_ctrs[k], NULL);
}

/* The socket layer's per-namespace counters (summed over the CPUs). */
static void l3_st_om_sockets(struct l3_om *om, const struct l3_st *s, const struct l3_cfg *cfg)
{
	static const struct {
		const char *family, *help;
		size_t off;
	} f[] = {
		{ "l3nft_socket_binds_rewritten", "wildcard binds given the namespace's address",
		  offsetof(struct l3_sock_layer_ctr, bind_rewritten) },
		{ "l3nft_socket_binds_refused", "binds to addresses the namespace does not own",
		  offsetof(struct l3_sock_layer_ctr, bind_refused) },
		{ "l3nft_socket_sources_filled", "connects and datagrams given the namespace's "
		  "source address", offsetof(struct l3_sock_layer_ctr, src_filled) },
		{ "l3nft_socket_sends_refused", "datagrams with a foreign source address refused",
		  offsetof(struct l3_sock_layer_ctr, send_refused) },
		{ "l3nft_socket_ingress_dropped", "packets for other addresses dropped at the "
		  "namespace's sockets", offsetof(struct l3_sock_layer_ctr, ingress_dropped) },
	};
	size_t k, i;

	for (k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		l3_om_family(om, f[k].family, L3_OM_COUNTER, f[k].help);
		for (i = 0; i < cfg->nns; i++)
			if (s->ns[i].sl_known)
				l3_om_sample(om, *(const uint64_t *)((const char *)&s->ns[i].sl +
								     f[k].off),
					     "namespace", cfg->ns[i].name, NULL);
	}
}

/* l3nftd's figures (its `stats` request); only l3nftd_up when it did not
 * answer. */
static void l3_st_om_daemon(struct l3_om *om, const struct l3_st *s)
{
	static const struct {
		const char *family, *help;
		enum l3_om_type type;
		size_t off;
	} f[] = {
#define L3_ST_F(n, t, field, h) { n, h, t, offsetof(struct l3_ctl_stats, field) }
		L3_ST_F("l3nftd_uptime_seconds", L3_OM_GAUGE, uptime_seconds,
			"seconds since l3nftd started"),
		L3_ST_F("l3nftd_queued_packets", L3_OM_COUNTER, queued,
			"datagrams the queue handed to l3nftd"),
		L3_ST_F("l3nftd_fanout_copies", L3_OM_COUNTER, copies,
			"copies delivered to registered namespaces"),
		L3_ST_F("l3nftd_fanout_no_listener", L3_OM_COUNTER, no_listener,
			"queued datagrams no namespace registered for (dropped)"),
		L3_ST_F("l3nftd_fanout_send_errors", L3_OM_COUNTER, send_errors,
			"copies the kernel did not take (dropped)"),
		L3_ST_F("l3nftd_fanout_other_link", L3_OM_COUNTER, other_link,
			"copies not made: the namespace is on another link"),
		L3_ST_F("l3nftd_queue_overflows", L3_OM_COUNTER, overflows,
			"times the queue overflowed (ENOBUFS): packets were lost"),
		L3_ST_F("l3nftd_bad_packets", L3_OM_COUNTER, bad_packets,
			"queued packets that were not a whole UDP datagram"),
		L3_ST_F("l3nftd_refused_requests", L3_OM_COUNTER, refused_requests,
			"control requests answered with an error"),
		L3_ST_F("l3nftd_refused_connections", L3_OM_COUNTER, refused_connections,
			"control connections refused (limits, out of descriptors)"),
		L3_ST_F("l3nftd_cgroup_id_updates", L3_OM_COUNTER, cgroup_updates,
			"cgroup ids l3nftd moved in the table (cgroups made anew or gone)"),
		L3_ST_F("l3nftd_stale_ids", L3_OM_GAUGE, stale_ids,
			"namespaces whose cgroup id in the table is not their cgroup's id now"),
		L3_ST_F("l3nftd_addresses_restored", L3_OM_COUNTER, addresses_restored,
			"policy addresses l3nftd put back after the host lost them"),
		L3_ST_F("l3nftd_udp_bind_events", L3_OM_COUNTER, udp_bind_events,
			"wildcard UDP binds of namespaces the socket layer told l3nftd of"),
		L3_ST_F("l3nftd_udp_walks", L3_OM_COUNTER, udp_walks,
			"walks of the UDP sockets that enter wildcard ones for steering"),
#undef L3_ST_F
	};
	size_t k;

	l3_om_family(om, "l3nftd_up", L3_OM_GAUGE, "1 when l3nftd answered the stats request");
	l3_om_sample(om, s->stats_known, NULL);
	if (!s->stats_known)
		return;
	for (k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		l3_om_family(om, f[k].family, f[k].type, f[k].help);
		l3_om_sample(om, *(const uint64_t *)((const char *)&s->stats + f[k].off), NULL);
	}
	l3_om_family(om, "l3nftd_registrations", L3_OM_GAUGE,
		     "registrations (static and dynamic) of the namespace");
	for (k = 0; k < s->stats.nns; k++)
		l3_om_sample(om, s->stats.ns[k].registrations, "namespace", s->stats.ns[k].name,
			     NULL);
}

static int l3_st_print_om(struct l3_st *s, const struct l3_cfg *cfg, FILE *out)
{
	struct l3_om om = { .out = out };
	char err[256];

	/* only a daemon that is there is asked (no 5 s wait on a dead socket) */
	s->stats_known = s->daemon && l3_ctl_stats_get(&s->stats, err, sizeof(err)) == 0;
	if (s->daemon && !s->stats_known)
		fprintf(stderr, "l3nft status: %s\n", err);
	l3_st_om_state(&om, s, cfg);
	l3_st_om_table(&om, s, cfg);
	l3_st_om_sockets(&om, s, cfg);
	l3_st_om_daemon(&om, s);
	return l3_om_end(&om);
}

/* 0, or -1 when the JSON document could not be made (ENOMEM). */
static int l3_st_print(const struct l3_st *s, const struct l3_cfg *cfg, bool json, FILE *out)
{
	size_t i;

	if (json) {
		json_t *nss = json_array(), *doc;

		for (i = 0; nss && i < cfg->nns; i++)
			json_array_append_new(nss, l3_st_json_ns(cfg, &s->ns[i]));
		doc = json_pack("{s:i, s:s, s:b, s:b, s:{s:s, s:b, s:I, s:o}, s:o}",
				"schema", L3_JSON_SCHEMA, "table", cfg->table,
				"table_loaded", s->loaded, "l3nftd_running", s->daemon,
				"socket_layer", "mode", l3_cfg_socket_layer_name(cfg->socket_layer),
				"attached", s->sl.attached, "programs", (json_int_t)s->sl.nlinks,
				"cgroup_id", s->sl.nlinks ? json_integer((json_int_t)s->sl.cgroup_id)
							  : json_null(),
				"namespaces", nss);
		if (!doc || json_dumpf(doc, out, JSON_COMPACT) < 0)
			return -1;
		fputc('\n', out);
		json_decref(doc);
		return 0;
	}
	fprintf(out, "table inet %s: %s\nl3nftd: %s\n", cfg->table,
		s->loaded ? "loaded" : "not loaded", s->daemon ? "running" : "not running");
	if (s->sl.nlinks)
		fprintf(out, "socket layer (%s): %s, %zu programs at cgroup id %" PRIu64 "\n",
			l3_cfg_socket_layer_name(cfg->socket_layer),
			s->sl.attached ? "attached" : "partly attached", s->sl.nlinks,
			s->sl.cgroup_id);
	else
		fprintf(out, "socket layer (%s): not attached\n",
			l3_cfg_socket_layer_name(cfg->socket_layer));
	for (i = 0; i < cfg->nns; i++)
		l3_st_text_ns(cfg, &s->ns[i], out);
	return 0;
}

/* --check: each way the system is not what the policy says, one line on
 * @err; returns how many. */
static size_t l3_st_problems(const struct l3_st *s, const struct l3_cfg *cfg, FILE *err)
{
	size_t i, j, n = 0;

	if (!s->loaded && ++n)
		fprintf(err, "l3nft status: table inet %s is not loaded\n", cfg->table);
	if (!s->daemon && ++n)
		fprintf(err, "l3nft status: l3nftd is not running\n");
	for (i = 0; i < cfg->nns; i++) {
		const struct l3_st_ns *ns = &s->ns[i];

		if (ns->stale && ++n)
			fprintf(err, "l3nft status: namespace %s: the table's cgroup id is stale\n",
				ns->ns->name);
		for (j = 0; j < ns->ns->naddrs; j++)
			if (!ns->addrs[j].present && ++n)
				fprintf(err, "l3nft status: namespace %s: address %s is missing\n",
					ns->ns->name, ns->addrs[j].text);
	}
	return n;
}

enum l3_status l3_status_print(const struct l3_cfg *cfg, const struct l3_status_opts *o,
			       FILE *out, struct l3_diag *diag)
{
	struct l3_st s = { 0 };
	enum l3_status st = L3_REFUSED;

	if (l3_st_gather(&s, cfg, diag) == 0) {
		if (o->openmetrics ? l3_st_print_om(&s, cfg, out) < 0
				   : l3_st_print(&s, cfg, o->json, out) < 0)
			l3_error(diag, L3_NOPOS, "writing the status: %s",
				 strerror(o->openmetrics ? errno : ENOMEM));
		else
			st = o->check && l3_st_problems(&s, cfg, stderr) ? L3_DEGRADED : L3_OK;
	}
	l3_st_free(&s, cfg);
	return st;
}
