/*
 * The policy loader and its validation: every key of the file format is
 * read with its position, defaults are filled in, and each class of
 * mistake gives one error with the exact line, column and text.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/capability.h>
#include "l3nft/compiler/caps.h"
#include "tests.h"

static const char l3t_minimal[] =
	"version: 1\n"
	"namespaces:\n"
	"  web:\n"
	"    addresses: [192.0.2.10/24]\n";

/* Every key of SPEC.md, none left at its default. */
static const char l3t_full[] =
	"version: 1\n"				/* 1 */
	"table: fw_l3\n"			/* 2 */
	"mark_mask: 0x0000ff00\n"		/* 3 */
	"queue: 7\n"				/* 4 */
	"fail_open: true\n"			/* 5 */
	"namespaces:\n"				/* 6 */
	"  web:\n"				/* 7 */
	"    id: 5\n"				/* 8 */
	"    cgroup: /system.slice//nginx.service/\n"	/* 9 */
	"    interface: eth0\n"			/* 10 */
	"    addresses:\n"			/* 11 */
	"      - 192.0.2.10/24\n"		/* 12 */
	"      - 2001:db8::10/64\n"		/* 13 */
	"      - 192.0.2.20/25\n"		/* 14 */
	"    loopback: shared\n"		/* 15 */
	"    ping: false\n"			/* 16 */
	"    listen:\n"				/* 17 */
	"      - 239.1.1.1:5000/udp\n"		/* 18 */
	"      - broadcast:137/udp\n"		/* 19 */
	"      - \"[ff02::fb]:5353/udp\"\n"	/* 20 */
	"  mail:\n"				/* 21 */
	"    addresses: [\"2001:db8::11/64\", 198.51.100.1/24]\n";	/* 22 */

static uint32_t l3t_v4(const struct in_addr *a)
{
	return ntohl(a->s_addr);
}

/* ---- loader ---- */

START_TEST(test_defaults)
{
	struct l3_cfg *cfg = l3t_ok(l3t_minimal);
	const struct l3_ns *ns;

	ck_assert_int_eq(cfg->version, 1);
	ck_assert_str_eq(cfg->table, "l3nft");
	ck_assert_uint_eq(cfg->mark_mask, 0x00ff0000u);
	ck_assert_uint_eq(cfg->queue, 100);
	ck_assert(!cfg->fail_open);
	ck_assert_int_eq(cfg->socket_layer, L3_SOCKET_LAYER_AUTO);
	ck_assert_str_eq(cfg->file, L3T_FILE);
	ck_assert_uint_eq(cfg->nns, 1);
	ns = &cfg->ns[0];
	ck_assert_str_eq(ns->name, "web");
	ck_assert_int_eq(ns->pos.line, 3);
	ck_assert_int_eq(ns->pos.col, 3);
	ck_assert_uint_eq(ns->id, 1);
	ck_assert(!ns->id_explicit);
	ck_assert_str_eq(ns->cgroup, "l3nft/web");
	ck_assert_int_eq(ns->cgroup_depth, 2);
	/* a default cgroup points at the namespace's name */
	ck_assert_int_eq(ns->cgroup_pos.line, 3);
	ck_assert_int_eq(ns->cgroup_pos.col, 3);
	ck_assert_ptr_null(ns->ifname);
	ck_assert_int_eq(ns->loopback, L3_LOOPBACK_ISOLATED);
	ck_assert(ns->ping);
	ck_assert_uint_eq(ns->naddrs, 1);
	ck_assert_int_eq(ns->addrs[0].family, AF_INET);
	ck_assert_uint_eq(l3t_v4(&ns->addrs[0].a.v4), 0xc000020au);
	ck_assert_int_eq(ns->addrs[0].plen, 24);
	ck_assert_int_eq(ns->addrs[0].pos.line, 4);
	ck_assert_int_eq(ns->addrs[0].pos.col, 17);
	ck_assert_uint_eq(ns->nlistens, 0);
	ck_assert_uint_eq(l3_cfg_mark(cfg, ns->id), 0x00010000u);
	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_all_keys)
{
	struct l3_cfg *cfg = l3t_ok(l3t_full);
	const struct l3_ns *web, *mail;
	struct in6_addr v6;

	ck_assert_str_eq(cfg->table, "fw_l3");
	ck_assert_int_eq(cfg->table_pos.line, 2);
	ck_assert_int_eq(cfg->table_pos.col, 8);
	ck_assert_uint_eq(cfg->mark_mask, 0x0000ff00u);
	ck_assert_int_eq(cfg->mark_mask_pos.line, 3);
	ck_assert_int_eq(cfg->mark_mask_pos.col, 12);
	ck_assert_uint_eq(cfg->queue, 7);
	ck_assert_int_eq(cfg->queue_pos.line, 4);
	ck_assert_int_eq(cfg->queue_pos.col, 8);
	ck_assert(cfg->fail_open);
	ck_assert_uint_eq(cfg->nns, 2);

	web = l3_cfg_find_ns(cfg, "web");
	ck_assert_ptr_eq(web, &cfg->ns[0]);
	ck_assert_uint_eq(web->id, 5);
	ck_assert(web->id_explicit);
	ck_assert_int_eq(web->id_pos.line, 8);
	ck_assert_int_eq(web->id_pos.col, 9);
	ck_assert_uint_eq(l3_cfg_mark(cfg, web->id), 0x00000500u);
	/* leading, trailing and doubled slashes go */
	ck_assert_str_eq(web->cgroup, "system.slice/nginx.service");
	ck_assert_int_eq(web->cgroup_depth, 2);
	ck_assert_int_eq(web->cgroup_pos.line, 9);
	ck_assert_int_eq(web->cgroup_pos.col, 13);
	ck_assert_str_eq(web->ifname, "eth0");
	ck_assert_int_eq(web->ifname_pos.line, 10);
	ck_assert_int_eq(web->ifname_pos.col, 16);
	ck_assert_uint_eq(web->naddrs, 3);
	ck_assert_int_eq(web->addrs[1].family, AF_INET6);
	ck_assert_int_eq(web->addrs[1].plen, 64);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::10", &v6), 1);
	ck_assert_mem_eq(&web->addrs[1].a.v6, &v6, sizeof(v6));
	ck_assert_int_eq(web->addrs[2].plen, 25);
	ck_assert_int_eq(web->addrs[2].pos.line, 14);
	ck_assert_int_eq(web->addrs[2].pos.col, 9);
	ck_assert_ptr_eq(l3_cfg_ns_source(web, AF_INET), &web->addrs[0]);
	ck_assert_ptr_eq(l3_cfg_ns_source(web, AF_INET6), &web->addrs[1]);
	ck_assert_int_eq(web->loopback, L3_LOOPBACK_SHARED);
	ck_assert(!web->ping);

	ck_assert_uint_eq(web->nlistens, 3);
	ck_assert_int_eq(web->listens[0].kind, L3_LISTEN_GROUP);
	ck_assert_int_eq(web->listens[0].family, AF_INET);
	ck_assert_uint_eq(l3t_v4(&web->listens[0].group.v4), 0xef010101u);
	ck_assert_uint_eq(web->listens[0].port, 5000);
	ck_assert_int_eq(web->listens[0].pos.line, 18);
	ck_assert_int_eq(web->listens[0].pos.col, 9);
	ck_assert_int_eq(web->listens[1].kind, L3_LISTEN_BROADCAST);
	ck_assert_int_eq(web->listens[1].family, AF_INET);
	ck_assert_uint_eq(web->listens[1].port, 137);
	ck_assert_int_eq(web->listens[2].family, AF_INET6);
	ck_assert_int_eq(inet_pton(AF_INET6, "ff02::fb", &v6), 1);
	ck_assert_mem_eq(&web->listens[2].group.v6, &v6, sizeof(v6));
	ck_assert_uint_eq(web->listens[2].port, 5353);

	/* without an id: the lowest free one */
	mail = l3_cfg_find_ns(cfg, "mail");
	ck_assert_ptr_eq(mail, &cfg->ns[1]);
	ck_assert_uint_eq(mail->id, 1);
	ck_assert(!mail->id_explicit);
	ck_assert_str_eq(mail->cgroup, "l3nft/mail");
	ck_assert_int_eq(mail->loopback, L3_LOOPBACK_ISOLATED);
	ck_assert(mail->ping);
	/* the first of each family, whatever the order of the families */
	ck_assert_ptr_eq(l3_cfg_ns_source(mail, AF_INET6), &mail->addrs[0]);
	ck_assert_ptr_eq(l3_cfg_ns_source(mail, AF_INET), &mail->addrs[1]);
	ck_assert_int_eq(mail->addrs[1].pos.line, 22);
	ck_assert_int_eq(mail->addrs[1].pos.col, 36);
	ck_assert_ptr_null(l3_cfg_find_ns(cfg, "db"));
	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_no_namespaces)
{
	struct l3_cfg *cfg = l3t_ok("version: 1\n");

	ck_assert_uint_eq(cfg->nns, 0);
	l3_cfg_free(cfg);
	cfg = l3t_ok("version: 1\nnamespaces: {}\n");
	ck_assert_uint_eq(cfg->nns, 0);
	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_number_forms)
{
	struct l3_cfg *cfg = l3t_ok("version: 1\nmark_mask: 4278190080\nqueue: 0x10\n"
				    "namespaces:\n  a:\n    id: 0xff\n"
				    "    addresses: [192.0.2.1/24]\n");

	ck_assert_uint_eq(cfg->mark_mask, 0xff000000u);
	ck_assert_uint_eq(cfg->queue, 16);
	ck_assert_uint_eq(cfg->ns[0].id, 255);
	ck_assert_uint_eq(l3_cfg_mark(cfg, cfg->ns[0].id), 0xff000000u);
	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_mark_helpers)
{
	ck_assert_uint_eq(l3_cfg_mark_shift(0x00ff0000u), 16);
	ck_assert_uint_eq(l3_cfg_max_id(0x00ff0000u), 255);
	ck_assert_uint_eq(l3_cfg_mark_shift(0x0000fff0u), 4);
	ck_assert_uint_eq(l3_cfg_max_id(0x0000fff0u), 4095);
	ck_assert_uint_eq(l3_cfg_max_id(0x80000000u), 1);
	ck_assert_uint_eq(l3_cfg_max_id(0xffffffffu), 0xffffffffu);
	ck_assert_uint_eq(l3_cfg_mark_shift(0), 0);
}
END_TEST

/* The prefix length is kept as written; the address is not masked. */
START_TEST(test_host_bits_accepted)
{
	struct l3_cfg *cfg = l3t_ok("version: 1\nnamespaces:\n  a:\n"
				    "    addresses: [192.0.2.77/24, \"2001:db8::77/48\", 10.1.2.3/8]\n");

	ck_assert_uint_eq(cfg->ns[0].naddrs, 3);
	ck_assert_uint_eq(l3t_v4(&cfg->ns[0].addrs[0].a.v4), 0xc000024du);
	ck_assert_int_eq(cfg->ns[0].addrs[0].plen, 24);
	ck_assert_int_eq(cfg->ns[0].addrs[1].plen, 48);
	ck_assert_int_eq(cfg->ns[0].addrs[2].plen, 8);
	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_ids_assigned)
{
	struct l3_cfg *cfg = l3t_ok("version: 1\nnamespaces:\n"
				    "  a: {addresses: [192.0.2.1/24]}\n"
				    "  b: {id: 1, addresses: [192.0.2.2/24]}\n"
				    "  c: {addresses: [192.0.2.3/24]}\n"
				    "  d: {id: 3, addresses: [192.0.2.4/24]}\n"
				    "  e: {addresses: [192.0.2.5/24]}\n"
				    "  f: {id: 2, addresses: [192.0.2.6/24]}\n"
				    "  g: {addresses: [192.0.2.7/24]}\n");
	static const uint32_t want[] = { 4, 1, 5, 3, 6, 2, 7 };
	size_t i;

	ck_assert_uint_eq(cfg->nns, 7);
	for (i = 0; i < cfg->nns; i++)
		ck_assert_uint_eq(cfg->ns[i].id, want[i]);
	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_cgroup_forms)
{
	struct l3_cfg *cfg = l3t_ok("version: 1\nnamespaces:\n"
				    "  a: {cgroup: x, addresses: [192.0.2.1/24]}\n"
				    "  b: {cgroup: xy/z, addresses: [192.0.2.2/24]}\n"
				    "  c: {cgroup: \"l3.slice/a@1:b+c_d-e.service\", "
				    "addresses: [192.0.2.3/24]}\n"
				    "  d: {cgroup: x.d, addresses: [192.0.2.4/24]}\n");

	/* "xy" and "x.d" start like "x" but are not below it */
	ck_assert_int_eq(cfg->ns[0].cgroup_depth, 1);
	ck_assert_str_eq(cfg->ns[1].cgroup, "xy/z");
	ck_assert_str_eq(cfg->ns[2].cgroup, "l3.slice/a@1:b+c_d-e.service");
	ck_assert_int_eq(cfg->ns[2].cgroup_depth, 2);
	l3_cfg_free(cfg);
}
END_TEST

/* capabilities: widen l3nft exec's default by name, in any spelling;
 * user: is kept as written (looked up by exec). */
START_TEST(test_exec_keys)
{
	struct l3_cfg *cfg = l3t_ok("version: 1\nnamespaces:\n"
				    "  a: {addresses: [192.0.2.1/24], user: \"www-data:web\",\n"
				    "      capabilities: [net_raw, CAP_SYS_NICE, Dac_Override]}\n"
				    "  b: {addresses: [192.0.2.2/24]}\n");

	ck_assert_uint_eq(cfg->ns[0].caps, 1ull << CAP_NET_RAW | 1ull << CAP_SYS_NICE |
			  1ull << CAP_DAC_OVERRIDE);
	ck_assert_str_eq(cfg->ns[0].user, "www-data:web");
	ck_assert_int_eq(cfg->ns[0].user_pos.line, 3);
	ck_assert_uint_eq(cfg->ns[1].caps, 0);
	ck_assert_ptr_null(cfg->ns[1].user);
	ck_assert(!(l3_caps_default() & (1ull << CAP_NET_ADMIN | 1ull << CAP_SYS_ADMIN |
					 1ull << CAP_NET_RAW)));
	ck_assert_ptr_nonnull(l3_cap_find("sys_admin")->refused);
	ck_assert_ptr_null(l3_cap_find("net_bind_service")->refused);
	ck_assert_ptr_null(l3_cap_find("nosuch"));
	l3_cfg_free(cfg);
	l3t_error("version: 1\nnamespaces:\n  a: {addresses: [192.0.2.1/24], capabilities: [bpf]}\n",
		  3, 49, "capability bpf is refused: it loads BPF programs that see every "
		  "namespace's traffic");
}
END_TEST

/* Editors on Windows write a byte order mark and CRLF line ends. */
START_TEST(test_bom_and_crlf)
{
	struct l3_cfg *cfg = l3t_ok("\xef\xbb\xbfversion: 1\r\nnamespaces:\r\n  web:\r\n"
				    "    addresses: [192.0.2.10/24]\r\n");

	ck_assert_int_eq(cfg->ns[0].addrs[0].pos.line, 4);
	ck_assert_int_eq(cfg->ns[0].addrs[0].pos.col, 17);
	l3_cfg_free(cfg);
	l3t_error("\xef\xbb\xbfversion: x\r\n", 1, 10, "version expects a number, got 'x'");
}
END_TEST

/* An anchor that nothing refers to is harmless. */
START_TEST(test_anchor_without_alias)
{
	struct l3_cfg *cfg = l3t_ok("version: &v 1\nnamespaces: &n\n  web:\n"
				    "    addresses: [192.0.2.10/24]\n");

	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_listen_format)
{
	static const char *const forms[] = {
		"239.1.1.1:5000/udp", "broadcast:137/udp", "[ff02::fb]:5353/udp",
		"224.0.0.251:65535/udp",
	};
	struct l3_listen l;
	const char *why;
	char buf[64];
	size_t i;

	for (i = 0; i < L3_ARRAY_SIZE(forms); i++) {
		ck_assert_int_eq(l3_listen_parse(forms[i], &l, &why), 0);
		l3_listen_format(&l, buf, sizeof(buf));
		ck_assert_str_eq(buf, forms[i]);
	}
}
END_TEST

START_TEST(test_name_rules)
{
	struct l3_cfg *cfg;

	ck_assert(l3_name_valid("a"));
	ck_assert(l3_name_valid("web-1_x"));
	ck_assert(l3_name_valid("abcdefghijabcdefghijabcdefghija"));	/* 31 */
	ck_assert(!l3_name_valid("abcdefghijabcdefghijabcdefghijab"));	/* 32 */
	ck_assert(!l3_name_valid(""));
	ck_assert(!l3_name_valid("1web"));
	ck_assert(!l3_name_valid("_web"));
	ck_assert(!l3_name_valid("Web"));
	ck_assert(!l3_name_valid("w.b"));
	ck_assert(l3_nft_keyword("counter"));
	ck_assert(l3_nft_keyword("ip6"));
	ck_assert(l3_nft_keyword("accept"));
	ck_assert(l3_nft_keyword("xt"));
	ck_assert(!l3_nft_keyword("l3nft"));
	ck_assert(!l3_nft_keyword("filter"));
	ck_assert(!l3_nft_keyword("Counter"));
	cfg = l3t_ok("version: 1\ntable: a123456789b123456789b123456789b123456789b123456789b123456789b123\n");
	ck_assert_uint_eq(strlen(cfg->table), 64);
	l3_cfg_free(cfg);
	cfg = l3t_ok("version: 1\ntable: L3_nft\n");
	l3_cfg_free(cfg);
}
END_TEST

/* ---- one test per class of error ---- */

START_TEST(test_err_unknown_key)
{
	l3t_error("version: 1\nnamespacs: {}\n", 2, 1,
		  "unknown key 'namespacs' in the policy; did you mean 'namespaces'?");
	l3t_error("version: 1\nnamespaces:\n  web:\n    adresses: [192.0.2.1/24]\n"
		  "    addresses: [192.0.2.1/24]\n", 4, 5,
		  "unknown key 'adresses' in a namespace; did you mean 'addresses'?");
	/* nothing close: no suggestion */
	l3t_error("version: 1\ncolour: red\n", 2, 1, "unknown key 'colour' in the policy");
}
END_TEST

START_TEST(test_err_type_number)
{
	l3t_error("version: 1\nqueue: many\n", 2, 8, "queue expects a number, got 'many'");
	/* quoted numbers are strings */
	l3t_error("version: \"1\"\n", 1, 10, "version expects a number, got '1'");
	l3t_error("version: 1\nqueue: -1\n", 2, 8, "queue expects a number, got '-1'");
	l3t_error("version: 1\nqueue: 010\n", 2, 8, "queue expects a number, got '010'");
	l3t_error("version: 1\nqueue: 65536\n", 2, 8, "queue must be 0..65535, got 65536");
	l3t_error("version: 1\nqueue: [1]\n", 2, 8, "queue expects a number, got a list");
	l3t_error("version: 1\nqueue: ~\n", 2, 8, "queue expects a number, got nothing");
}
END_TEST

START_TEST(test_socket_layer)
{
	static const char *const ok[] = { "auto", "required", "off" };
	char buf[64];
	size_t i;

	for (i = 0; i < 3; i++) {
		struct l3_cfg *cfg;

		snprintf(buf, sizeof(buf), "version: 1\nsocket_layer: %s\n", ok[i]);
		cfg = l3t_ok(buf);
		ck_assert_int_eq(cfg->socket_layer, (int)i);
		ck_assert_str_eq(l3_cfg_socket_layer_name(cfg->socket_layer), ok[i]);
		ck_assert_int_eq(cfg->socket_layer_pos.line, 2);
		l3_cfg_free(cfg);
	}
	l3t_error("version: 1\nsocket_layer: on\n", 2, 15,
		  "socket_layer expects 'auto', 'required' or 'off', got 'on'");
}
END_TEST

START_TEST(test_quarantine)
{
	static const char ns[] = "namespaces:\n"
		"  a: {cgroup: t.slice/a.service, addresses: [192.0.2.1/24]}\n"
		"  b: {cgroup: u/v/b, addresses: [192.0.2.2/24]}\n";
	char buf[512];
	struct l3_cfg *cfg;

	snprintf(buf, sizeof(buf), "version: 1\nquarantine: [/t.slice/, u]\n%s", ns);
	cfg = l3t_ok(buf);
	ck_assert_uint_eq(cfg->nquarantine, 2);
	ck_assert_str_eq(cfg->quarantine[0].cgroup, "t.slice");
	ck_assert_int_eq(cfg->quarantine[0].cgroup_depth, 1);
	ck_assert_int_eq(cfg->quarantine[0].pos.line, 2);
	ck_assert_str_eq(cfg->quarantine[1].cgroup, "u");
	l3_cfg_free(cfg);
	l3t_error("version: 1\nquarantine: t.slice\n", 2, 13,
		  "quarantine expects a list of parent cgroups, got a scalar");
	l3t_error("version: 1\nquarantine: [/]\n", 2, 14,
		  "quarantine: cgroup path must name a cgroup below the cgroup2 root");
	snprintf(buf, sizeof(buf), "version: 1\nquarantine: [t.slice/a.service]\n%s", ns);
	l3t_error(buf, 2, 14, "quarantine parent 't.slice/a.service' is the cgroup "
		  "'t.slice/a.service' of namespace 'a' (line 4): a parent must hold namespaces, "
		  "not be one");
	snprintf(buf, sizeof(buf), "version: 1\nquarantine: [t.slice/a.service/x]\n%s", ns);
	l3t_error(buf, 2, 14, "quarantine parent 't.slice/a.service/x' is inside cgroup "
		  "'t.slice/a.service' of namespace 'a' (line 4): a parent must hold namespaces, "
		  "not be one");
	snprintf(buf, sizeof(buf), "version: 1\nquarantine: [t]\n%s", ns);
	l3t_error(buf, 2, 14, "quarantine parent 't' holds no namespace's cgroup: list the "
		  "parent of the namespaces' cgroups (e.g. tenants.slice for "
		  "tenants.slice/web.service)");
	snprintf(buf, sizeof(buf), "version: 1\nquarantine: [u, u/]\n%s", ns);
	l3t_error(buf, 2, 17, "quarantine lists 'u' twice (line 2)");
}
END_TEST

START_TEST(test_err_type_bool)
{
	l3t_error("version: 1\nfail_open: yes\n", 2, 12,
		  "fail_open expects true or false, got 'yes'");
	l3t_error("version: 1\nfail_open: \"true\"\n", 2, 12,
		  "fail_open expects true or false, got 'true'");
	l3t_error("version: 1\nnamespaces:\n  a:\n    ping: {x: 1}\n"
		  "    addresses: [192.0.2.1/24]\n", 4, 11,
		  "ping expects true or false, got a mapping");
}
END_TEST

START_TEST(test_err_type_string)
{
	l3t_error("version: 1\ntable: [a, b]\n", 2, 8, "table expects a string, got a list");
	l3t_error("version: 1\ntable:\n", 2, 7, "table expects a string, got nothing");
	l3t_error("version: 1\nnamespaces:\n  a:\n    cgroup: {x: y}\n"
		  "    addresses: [192.0.2.1/24]\n", 4, 13, "cgroup expects a string, got a mapping");
	l3t_error("version: 1\nnamespaces:\n  a:\n    addresses: [[192.0.2.1/24]]\n", 4, 17,
		  "an address expects a string, got a list");
	l3t_error("version: 1\nnamespaces:\n  a:\n    loopback: open\n"
		  "    addresses: [192.0.2.1/24]\n", 4, 15,
		  "loopback expects 'isolated' or 'shared', got 'open'");
}
END_TEST

START_TEST(test_err_type_list)
{
	/* and no second "has no addresses" for the same mistake */
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses: 192.0.2.1/24\n", 4, 16,
		  "addresses expects a list, got a scalar");
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses: [192.0.2.1/24]\n"
		  "    listen: broadcast:137/udp\n", 5, 13, "listen expects a list, got a scalar");
}
END_TEST

START_TEST(test_err_type_mapping)
{
	l3t_error("- version: 1\n", 1, 1,
		  "the policy must be a mapping (version:, namespaces:), got a list");
	l3t_error("version: 1\nnamespaces: [web]\n", 2, 13,
		  "namespaces expects a mapping of names, got a list");
	l3t_error("version: 1\nnamespaces:\n  web: 192.0.2.1/24\n", 3, 8,
		  "namespace 'web' expects a mapping, got a scalar");
	l3t_error("version: 1\nnamespaces:\n  web:\n", 3, 7,
		  "namespace 'web' expects a mapping, got nothing");
}
END_TEST

#define L3T_NS_ADDR(a) "version: 1\nnamespaces:\n  web:\n    addresses: [" a "]\n"

START_TEST(test_err_address_malformed)
{
	l3t_error(L3T_NS_ADDR("192.0.2.300/24"), 4, 17, "malformed address: '192.0.2.300/24'");
	l3t_error(L3T_NS_ADDR("010.0.0.1/8"), 4, 17, "malformed address: '010.0.0.1/8'");
	l3t_error(L3T_NS_ADDR("10.1/8"), 4, 17, "malformed address: '10.1/8'");
	l3t_error(L3T_NS_ADDR("\"2001:db8:::1/64\""), 4, 17,
		  "malformed address: '2001:db8:::1/64'");
	l3t_error(L3T_NS_ADDR("/24"), 4, 17, "malformed address: '/24'");
}
END_TEST

START_TEST(test_err_address_prefix_missing)
{
	l3t_error(L3T_NS_ADDR("192.0.2.1"), 4, 17,
		  "an address needs a prefix length, e.g. 192.0.2.10/24: '192.0.2.1'");
}
END_TEST

START_TEST(test_err_address_prefix_bad)
{
	l3t_error(L3T_NS_ADDR("192.0.2.1/33"), 4, 17, "prefix length must be 1..32: '192.0.2.1/33'");
	l3t_error(L3T_NS_ADDR("192.0.2.1/024"), 4, 17,
		  "prefix length must be 1..32: '192.0.2.1/024'");
	l3t_error(L3T_NS_ADDR("192.0.2.1/0"), 4, 17, "prefix length must be 1..32: '192.0.2.1/0'");
	l3t_error(L3T_NS_ADDR("192.0.2.1/"), 4, 17, "prefix length must be 1..32: '192.0.2.1/'");
	l3t_error(L3T_NS_ADDR("192.0.2.1/+8"), 4, 17, "prefix length must be 1..32: '192.0.2.1/+8'");
	l3t_error(L3T_NS_ADDR("\"2001:db8::1/129\""), 4, 17,
		  "prefix length must be 1..128: '2001:db8::1/129'");
}
END_TEST

START_TEST(test_err_address_special)
{
	static const char *const special[] = {
		"127.0.0.1/8", "224.0.0.1/4", "::1/128", "fe80::1/64", "0.0.0.0/8",
		"255.255.255.255/32", "240.0.0.1/4", "ff02::1/16", "::/0", "::ffff:192.0.2.1/96",
	};
	const char *s = special[_i];
	char yaml[256], msg[256];

	snprintf(yaml, sizeof(yaml), L3T_NS_ADDR("\"%s\""), s);
	snprintf(msg, sizeof(msg),
		 s[strlen(s) - 1] == '0' && s[strlen(s) - 2] == '/'
		 ? "prefix length must be 1..128: '%s'"
		 : "not a unicast address a namespace can own (loopback, multicast, "
		   "link-local, unspecified or reserved): '%s'", s);
	l3t_error(yaml, 4, 17, msg);
}
END_TEST

START_TEST(test_err_duplicate_key)
{
	l3t_error("version: 1\nversion: 1\n", 2, 1, "duplicate key 'version' (first at line 1)");
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses: [192.0.2.1/24]\n"
		  "  web:\n    addresses: [192.0.2.2/24]\n", 5, 3,
		  "duplicate key 'web' (first at line 3)");
	l3t_error("version: 1\nnamespaces:\n  web:\n    ping: true\n"
		  "    addresses: [192.0.2.1/24]\n    ping: false\n", 6, 5,
		  "duplicate key 'ping' (first at line 4)");
	/* quoting does not make it another key */
	l3t_error("version: 1\n\"version\": 1\n", 2, 1, "duplicate key 'version' (first at line 1)");
}
END_TEST

START_TEST(test_err_address_two_namespaces)
{
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses: [192.0.2.3/24]\n"
		  "  mail:\n    addresses: [192.0.2.3/25]\n", 6, 17,
		  "192.0.2.3 already belongs to namespace 'web' (line 4)");
	/* the same IPv6 address spelt differently */
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses: [\"2001:db8::1/64\"]\n"
		  "  mail:\n    addresses: [\"2001:db8:0:0::1/64\"]\n", 6, 17,
		  "2001:db8::1 already belongs to namespace 'web' (line 4)");
}
END_TEST

START_TEST(test_err_address_twice)
{
	/* on one line, the later column is the one reported */
	l3t_error(L3T_NS_ADDR("192.0.2.3/24, 192.0.2.4/24, 192.0.2.3/25"), 4, 45,
		  "192.0.2.3 is listed twice in namespace 'web'");
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses:\n      - 192.0.2.3/24\n"
		  "      - 192.0.2.3/24\n", 6, 9, "192.0.2.3 is listed twice in namespace 'web'");
}
END_TEST

START_TEST(test_err_cgroup_equal)
{
	l3t_error("version: 1\nnamespaces:\n"
		  "  a:\n    cgroup: x/y\n    addresses: [192.0.2.1/24]\n"
		  "  b:\n    cgroup: /x//y/\n    addresses: [192.0.2.2/24]\n", 7, 13,
		  "namespace 'b' has the same cgroup 'x/y' as 'a' (line 3)");
	/* a default cgroup counts too */
	l3t_error("version: 1\nnamespaces:\n"
		  "  web:\n    addresses: [192.0.2.1/24]\n"
		  "  b:\n    cgroup: l3nft/web\n    addresses: [192.0.2.2/24]\n", 6, 13,
		  "namespace 'b' has the same cgroup 'l3nft/web' as 'web' (line 3)");
}
END_TEST

START_TEST(test_err_cgroup_nested)
{
	l3t_error("version: 1\nnamespaces:\n"
		  "  a:\n    cgroup: x\n    addresses: [192.0.2.1/24]\n"
		  "  b:\n    cgroup: x/y/z\n    addresses: [192.0.2.2/24]\n", 7, 13,
		  "cgroup 'x/y/z' of namespace 'b' is inside cgroup 'x' of namespace 'a' (line 3)");
	/* the inner one is reported, wherever it is in the file */
	l3t_error("version: 1\nnamespaces:\n"
		  "  b:\n    cgroup: l3nft/web/inner\n    addresses: [192.0.2.2/24]\n"
		  "  web:\n    addresses: [192.0.2.1/24]\n", 4, 13,
		  "cgroup 'l3nft/web/inner' of namespace 'b' is inside cgroup 'l3nft/web' of "
		  "namespace 'web' (line 6)");
}
END_TEST

#define L3T_NS_CG(c) "version: 1\nnamespaces:\n  web:\n    cgroup: " c "\n" \
	"    addresses: [192.0.2.1/24]\n"

START_TEST(test_err_cgroup_path)
{
	static const char chars[] = "cgroup path may hold only letters, digits, '/' and _.-@:+";
	static const char dots[] = "cgroup path may not contain '.' or '..' components";
	char big[1100];

	l3t_error(L3T_NS_CG("a/../b"), 4, 13, dots);
	l3t_error(L3T_NS_CG(".."), 4, 13, dots);
	l3t_error(L3T_NS_CG("a/./b"), 4, 13, dots);
	l3t_error(L3T_NS_CG("a/b/."), 4, 13, dots);
	l3t_error(L3T_NS_CG("\"a b\""), 4, 13, chars);
	l3t_error(L3T_NS_CG("\"a\\\"b\""), 4, 13, chars);
	l3t_error(L3T_NS_CG("\"a\\\\b\""), 4, 13, chars);
	l3t_error(L3T_NS_CG("\"a\\nb\""), 4, 13, chars);
	l3t_error(L3T_NS_CG("a;b"), 4, 13, chars);
	l3t_error(L3T_NS_CG("\"a}b\""), 4, 13, chars);
	l3t_error(L3T_NS_CG("\"a#b\""), 4, 13, chars);
	l3t_error(L3T_NS_CG("\"l3nft/w\xc3\xa9\""), 4, 13, chars);
	l3t_error(L3T_NS_CG("\"\""), 4, 13, "cgroup path must be 1..1024 characters");
	l3t_error(L3T_NS_CG("//"), 4, 13, "cgroup path must name a cgroup below the cgroup2 root");
	memset(big, 'a', 1025);
	strcpy(big + 1025, "\n    addresses: [192.0.2.1/24]\n");
	{
		char yaml[1200];

		snprintf(yaml, sizeof(yaml), "version: 1\nnamespaces:\n  web:\n    cgroup: %s", big);
		l3t_error(yaml, 4, 13, "cgroup path must be 1..1024 characters");
	}
}
END_TEST

START_TEST(test_err_id_repeated)
{
	l3t_error("version: 1\nnamespaces:\n"
		  "  a:\n    id: 7\n    addresses: [192.0.2.1/24]\n"
		  "  b:\n    id: 7\n    addresses: [192.0.2.2/24]\n", 7, 9,
		  "id 7 is already used by namespace 'a' (line 4)");
}
END_TEST

START_TEST(test_err_id_range)
{
	l3t_error("version: 1\nnamespaces:\n  a:\n    id: 0\n    addresses: [192.0.2.1/24]\n",
		  4, 9, "id must be 1..255, got 0");
	l3t_error("version: 1\nnamespaces:\n  a:\n    id: 256\n    addresses: [192.0.2.1/24]\n",
		  4, 9, "id must be 1..255, got 256");
	l3t_error("version: 1\nmark_mask: 0x30\nnamespaces:\n  a:\n    id: 4\n"
		  "    addresses: [192.0.2.1/24]\n", 5, 9, "id must be 1..3, got 4");
	/* ids run out */
	l3t_error("version: 1\nmark_mask: 0x80000000\nnamespaces:\n"
		  "  a: {addresses: [192.0.2.1/24]}\n  b: {addresses: [192.0.2.2/24]}\n", 5, 3,
		  "no id left for namespace 'b': mark_mask 0x80000000 allows ids 1..1 only");
}
END_TEST

START_TEST(test_err_mark_mask)
{
	l3t_error("version: 1\nmark_mask: 0x00ff00ff\n", 2, 12,
		  "mark_mask 0x00ff00ff is not one contiguous run of bits");
	l3t_error("version: 1\nmark_mask: 0x80000001\n", 2, 12,
		  "mark_mask 0x80000001 is not one contiguous run of bits");
	l3t_error("version: 1\nmark_mask: 0\n", 2, 12, "mark_mask must not be 0");
	l3t_error("version: 1\nmark_mask: 0x100000000\n", 2, 12,
		  "mark_mask must be 0..4294967295, got 0x100000000");
}
END_TEST

START_TEST(test_err_ns_name)
{
	l3t_error("version: 1\nnamespaces:\n  Web:\n    addresses: [192.0.2.1/24]\n", 3, 3,
		  "namespace name 'Web' must match [a-z][a-z0-9_-]{0,30}");
	l3t_error("version: 1\nnamespaces:\n  abcdefghijabcdefghijabcdefghijab:\n"
		  "    addresses: [192.0.2.1/24]\n", 3, 3,
		  "namespace name 'abcdefghijabcdefghijabcdefghijab' must match [a-z][a-z0-9_-]{0,30}");
	l3t_error("version: 1\nnamespaces:\n  w\xc3\xa9\x62:\n    addresses: [192.0.2.1/24]\n", 3, 3,
		  "namespace name 'w\xc3\xa9\x62' must match [a-z][a-z0-9_-]{0,30}");
	l3t_error("version: 1\nnamespaces:\n  1web:\n    addresses: [192.0.2.1/24]\n", 3, 3,
		  "namespace name '1web' must match [a-z][a-z0-9_-]{0,30}");
	l3t_error("version: 1\nnamespaces:\n  \"\":\n    addresses: [192.0.2.1/24]\n", 3, 3,
		  "namespace name '' must match [a-z][a-z0-9_-]{0,30}");
}
END_TEST

/* A namespace with a bad name is still checked inside. */
START_TEST(test_err_ns_name_body)
{
	struct l3_diag d;
	struct l3_cfg *cfg = l3t_parse(&d, "version: 1\nnamespaces:\n  Web:\n    pign: true\n"
				      "    addresses: [192.0.2.1]\n");

	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(d.nerrors, 3);
	l3_diag_fini(&d);
}
END_TEST

START_TEST(test_err_table_name)
{
	l3t_error("version: 1\ntable: bad-name\n", 2, 8,
		  "table name 'bad-name' must match [A-Za-z][A-Za-z0-9_]{0,63}");
	l3t_error("version: 1\ntable: 1st\n", 2, 8,
		  "table name '1st' must match [A-Za-z][A-Za-z0-9_]{0,63}");
	l3t_error("version: 1\ntable: \"\"\n", 2, 8,
		  "table name '' must match [A-Za-z][A-Za-z0-9_]{0,63}");
	l3t_error("version: 1\ntable: \"t\\u00e9\"\n", 2, 8,
		  "table name 't\xc3\xa9' must match [A-Za-z][A-Za-z0-9_]{0,63}");
	l3t_error("version: 1\ntable: a123456789b123456789b123456789b123456789b123456789b123456789b1234\n", 2, 8,
		  /* names in messages are cut at 64 bytes */
		  "table name 'a123456789b123456789b123456789b123456789b123456789b123456789b123' "
		  "must match [A-Za-z][A-Za-z0-9_]{0,63}");
	l3t_error("version: 1\ntable: counter\n", 2, 8,
		  "table name 'counter' is an nft keyword, which nft -f refuses as a name");
}
END_TEST

#define L3T_NS_LISTEN(l) "version: 1\nnamespaces:\n  web:\n    addresses: [192.0.2.1/24]\n" \
	"    listen: [" l "]\n"

START_TEST(test_err_listen_not_group)
{
	l3t_error(L3T_NS_LISTEN("192.0.2.1:137/udp"), 5, 14,
		  "not a multicast group; use broadcast:PORT/udp for broadcast: '192.0.2.1:137/udp'");
	l3t_error(L3T_NS_LISTEN("255.255.255.255:137/udp"), 5, 14,
		  "not a multicast group; use broadcast:PORT/udp for broadcast: "
		  "'255.255.255.255:137/udp'");
	l3t_error(L3T_NS_LISTEN("\"[2001:db8::1]:53/udp\""), 5, 14,
		  "not a multicast group; use broadcast:PORT/udp for broadcast: "
		  "'[2001:db8::1]:53/udp'");
}
END_TEST

START_TEST(test_err_listen_not_udp)
{
	l3t_error(L3T_NS_LISTEN("239.1.1.1:5000/tcp"), 5, 14,
		  "only udp can be broadcast or multicast: '239.1.1.1:5000/tcp'");
	l3t_error(L3T_NS_LISTEN("239.1.1.1:5000"), 5, 14,
		  "a listen entry names its protocol: write '239.1.1.1:5000/udp'");
	l3t_error(L3T_NS_LISTEN("239.1.1.1"), 5, 14,
		  "expected ADDR:PORT/udp, broadcast:PORT/udp or [V6ADDR]:PORT/udp: '239.1.1.1'");
	l3t_error(L3T_NS_LISTEN("239.1.1.1:0/udp"), 5, 14, "port must be 1..65535: '239.1.1.1:0/udp'");
	l3t_error(L3T_NS_LISTEN("239.1.1.1:65536/udp"), 5, 14,
		  "port must be 1..65535: '239.1.1.1:65536/udp'");
}
END_TEST

START_TEST(test_err_listen_brackets)
{
	l3t_error(L3T_NS_LISTEN("ff02::fb:5353/udp"), 5, 14,
		  "write an IPv6 group in brackets: [ff02::fb]:5353/udp: 'ff02::fb:5353/udp'");
	l3t_error(L3T_NS_LISTEN("\"[239.1.1.1]:5000/udp\""), 5, 14,
		  "only IPv6 addresses go in brackets: '[239.1.1.1]:5000/udp'");
}
END_TEST

START_TEST(test_err_listen_family)
{
	l3t_error(L3T_NS_LISTEN("\"[ff02::fb]:5353/udp\""), 5, 14,
		  "namespace 'web' has no IPv6 address to receive this on");
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses: [\"2001:db8::1/64\"]\n"
		  "    listen: [broadcast:137/udp]\n", 5, 14,
		  "namespace 'web' has no IPv4 address to receive this on");
}
END_TEST

START_TEST(test_err_listen_twice)
{
	l3t_error(L3T_NS_LISTEN("broadcast:137/udp, 239.1.1.1:1/udp, broadcast:137/udp"), 5, 50,
		  "'broadcast:137/udp' is listed twice");
}
END_TEST

START_TEST(test_err_no_addresses)
{
	l3t_error("version: 1\nnamespaces:\n  web: {}\n", 3, 3, "namespace 'web' has no addresses");
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses: []\n", 3, 3,
		  "namespace 'web' has no addresses");
	l3t_error("version: 1\nnamespaces:\n  web:\n    interface: eth0\n", 3, 3,
		  "namespace 'web' has no addresses");
}
END_TEST

START_TEST(test_err_interface)
{
	l3t_error("version: 1\nnamespaces:\n  web:\n    interface: eth0.with.a.long.name\n"
		  "    addresses: [192.0.2.1/24]\n", 4, 16,
		  "'eth0.with.a.long.name' is not a valid interface name");
	l3t_error("version: 1\nnamespaces:\n  web:\n    interface: \"eth 0\"\n"
		  "    addresses: [192.0.2.1/24]\n", 4, 16, "'eth 0' is not a valid interface name");
	l3t_error("version: 1\nnamespaces:\n  web:\n    interface: a/b\n"
		  "    addresses: [192.0.2.1/24]\n", 4, 16, "'a/b' is not a valid interface name");
}
END_TEST

START_TEST(test_err_empty)
{
	l3t_error("", 1, 1, "the policy is empty (it needs at least 'version: 1')");
	l3t_error("# only a comment\n\n", 1, 1,
		  "the policy is empty (it needs at least 'version: 1')");
	l3t_error("---\n...\n", 1, 1, "the policy is empty (it needs at least 'version: 1')");
}
END_TEST

START_TEST(test_err_syntax)
{
	l3t_error("version: 1\nnamespaces: [\n", 3, 1,
		  "YAML syntax error: did not find expected node content while parsing a flow node");
	l3t_error("version: 1\n  bad: indent\n", 2, 6,
		  "YAML syntax error: mapping values are not allowed in this context");
	l3t_error("version: 1\n\tnamespaces: {}\n", 2, 1,
		  "YAML syntax error: found a tab character that violates indentation "
		  "while scanning a plain scalar");
	l3t_error("{[a]: 1}\n", 1, 2, "a mapping key must be a plain string");
	/* not YAML at all: a C file */
	l3t_error("int main(void) { return 0; }\n", 1, 1,
		  "the policy must be a mapping (version:, namespaces:), got a scalar");
}
END_TEST

START_TEST(test_err_encoding)
{
	l3t_error("version: 1\nx: \xff\xfe\n", 2, 4, "YAML syntax error: invalid leading UTF-8 octet");
	l3t_error("version: 1\n# caf\xc3\xa9 \xc3", 2, 8,
		  "YAML syntax error: incomplete UTF-8 octet sequence");
	/* the character that the bad octet (here a newline) cuts short */
	l3t_error("version: 1\n# caf\xc3\xa9 \xc3\n", 2, 8,
		  "YAML syntax error: invalid trailing UTF-8 octet");
	l3t_error("version: 1\nx: a\x01\n", 2, 5,
		  "YAML syntax error: control characters are not allowed");
}
END_TEST

START_TEST(test_err_alias)
{
	l3t_error("version: &v 1\nqueue: *v\n", 2, 8,
		  "YAML aliases (*name) are not supported in a policy");
	/* merge keys are aliases too */
	l3t_error("version: 1\nbase: &b {ping: false}\nnamespaces:\n  web:\n    <<: *b\n", 5, 9,
		  "YAML aliases (*name) are not supported in a policy");
}
END_TEST

START_TEST(test_err_alias_bomb)
{
	static const char bomb[] =
		"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
		"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
		"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

	l3t_error(bomb, 2, 8, "YAML aliases (*name) are not supported in a policy");
}
END_TEST

START_TEST(test_err_second_document)
{
	l3t_error("version: 1\n---\nversion: 1\n", 2, 1,
		  "a policy file holds one YAML document, found a second");
	l3t_error("version: 1\n...\n--- x\n", 3, 1,
		  "a policy file holds one YAML document, found a second");
}
END_TEST

START_TEST(test_err_version)
{
	l3t_error("namespaces: {}\n", 1, 1, "missing required key 'version' (use version: 1)");
	l3t_error("\n\n  table: x\n", 3, 3, "missing required key 'version' (use version: 1)");
	l3t_error("version: 2\n", 1, 10, "unsupported version 2; only 1 exists");
	l3t_error("version: 0\n", 1, 10, "unsupported version 0; only 1 exists");
	l3t_error("version: 1.0\n", 1, 10, "version expects a number, got '1.0'");
}
END_TEST

START_TEST(test_err_nul)
{
	static const char raw[] = "version: 1\nname\0spaces: {}\n";
	static const char key[] = "version: 1\n\"version\\0x\": 2\n";

	/* a NUL read from the file: the file is not text */
	l3t_error_n(raw, sizeof(raw) - 1, 2, 5, "not a YAML file (contains NUL bytes)");
	/* a NUL written as an escape must not cut a key or value short */
	l3t_error(key, 2, 1, "key contains a NUL byte after 'version'");
	l3t_error("version: 1\ntable: \"l3\\0nft\"\n", 2, 8, "table contains a NUL byte");
	l3t_error("version: 1\nnamespaces:\n  web:\n    addresses: [\"192.0.2.1/24\\0x\"]\n",
		  4, 17, "an address contains a NUL byte");
}
END_TEST

START_TEST(test_err_deep)
{
	char yaml[200];
	int i;

	strcpy(yaml, "x: ");
	for (i = 0; i < 40; i++)
		strcat(yaml, "[");
	strcat(yaml, "\n");
	l3t_error(yaml, 1, 36, "nesting deeper than 32 levels");
	strcpy(yaml, "version: 1\nx:");
	for (i = 0; i < 40; i++)
		strcat(yaml, " {a:");
	/* the keys of the 32nd mapping would be the 33rd level */
	l3t_error(yaml, 2, 129, "nesting deeper than 32 levels");
}
END_TEST

/* The control characters in a key must not reach the terminal. */
START_TEST(test_err_message_sanitised)
{
	l3t_error("version: 1\n\"a\\nb\\e[31m\\u202e\": 1\n", 2, 1,
		  "unknown key 'a?b?[31m?' in the policy");
}
END_TEST

/* ---- files ---- */

struct l3t_dir {
	char path[64];
};

static void l3t_dir_make(struct l3t_dir *d)
{
	strcpy(d->path, "/tmp/l3nft-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->path));
}

static void l3t_load_error(const char *path, const char *text)
{
	struct l3_diag d;
	struct l3_cfg *cfg;

	l3_diag_init(&d, path);
	cfg = l3_cfg_load(path, &d);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(d.len, 1);
	ck_assert_int_eq(d.msgs[0].pos.line, 0);
	ck_assert_str_eq(d.msgs[0].text, text);
	l3_diag_fini(&d);
}

START_TEST(test_load_file)
{
	struct l3t_dir dir;
	char path[128];
	struct l3_diag d;
	struct l3_cfg *cfg;
	FILE *f;
	char *out;

	l3t_dir_make(&dir);
	snprintf(path, sizeof(path), "%s/p.yaml", dir.path);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("version: 1\nnamespaces:\n  web:\n    addresses: [192.0.2.10/24]\n", f);
	ck_assert_int_eq(fclose(f), 0);
	l3_diag_init(&d, "p.yaml");
	cfg = l3_cfg_load(path, &d);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(d.len, 0);
	ck_assert_str_eq(cfg->file, path);
	l3_cfg_free(cfg);
	l3_diag_fini(&d);

	/* errors print their source line after the load returned */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("version: 1\nqueue: x\n", f);
	ck_assert_int_eq(fclose(f), 0);
	l3_diag_init(&d, "p.yaml");
	ck_assert_ptr_null(l3_cfg_load(path, &d));
	out = l3t_print(&d);
	ck_assert_str_eq(out, "p.yaml:2:8: error: queue expects a number, got 'x'\n"
			      "  queue: x\n"
			      "         ^\n");
	free(out);
	l3_diag_fini(&d);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir.path), 0);
}
END_TEST

/* Tests run as root, so an unreadable file is a missing one or a
 * directory. */
START_TEST(test_load_unreadable)
{
	struct l3t_dir dir;
	char path[128];

	l3t_dir_make(&dir);
	snprintf(path, sizeof(path), "%s/missing.yaml", dir.path);
	l3t_load_error(path, "cannot read: No such file or directory");
	l3t_load_error(dir.path, "not a regular file");
	snprintf(path, sizeof(path), "%s/missing/p.yaml", dir.path);
	l3t_load_error(path, "cannot read: No such file or directory");
	ck_assert_int_eq(rmdir(dir.path), 0);
}
END_TEST

static void l3t_write(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Drop-ins: merged in name order after the main file; messages of
 * several files, each file's in order, with the caret from its own text. */
START_TEST(test_load_dropins)
{
	struct l3t_dir dir;
	char path[256], ddir[160], *out;
	struct l3_diag d;
	struct l3_cfg *cfg;

	l3t_dir_make(&dir);
	snprintf(path, sizeof(path), "%s/p.yaml", dir.path);
	snprintf(ddir, sizeof(ddir), "%s/l3nft.d", dir.path);
	ck_assert_int_eq(mkdir(ddir, 0700), 0);
	l3t_write(dir.path, "p.yaml", "version: 1\nnamespaces:\n  a: {addresses: [192.0.2.1/24]}\n");
	l3t_write(ddir, "20-c.yaml", "namespaces:\n  c: {addresses: [192.0.2.3/24]}\n");
	l3t_write(ddir, "10-b.yaml", "namespaces:\n  b: {addresses: [192.0.2.2/24]}\n");
	l3_diag_init(&d, "p.yaml");
	cfg = l3_cfg_load(path, &d);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nns, 3);
	ck_assert_str_eq(cfg->ns[1].name, "b");
	ck_assert_str_eq(cfg->ns[2].name, "c");
	ck_assert_int_eq(cfg->ns[2].pos.file, 2);
	ck_assert_uint_eq(cfg->ns[2].id, 3);
	l3_cfg_free(cfg);
	l3_diag_fini(&d);

	l3t_write(ddir, "10-b.yaml", "queue: 5\nnamespaces:\n  b: {addresses: [192.0.2.1/24]}\n");
	l3t_write(dir.path, "p.yaml", "version: 1\nqueue: x\nnamespaces:\n"
		  "  a: {addresses: [192.0.2.1/24]}\n");
	l3_diag_init(&d, "p.yaml");
	ck_assert_ptr_null(l3_cfg_load(path, &d));
	out = l3t_print(&d);
	ck_assert_msg(strstr(out, "p.yaml:2:8: error: queue expects a number, got 'x'\n"
			      "  queue: x\n         ^\n") == out, "%s", out);
	ck_assert_msg(strstr(out, "/l3nft.d/10-b.yaml:1:1: error: 'queue' may be set only in the "
			      "main policy file (p.yaml); a drop-in holds only 'namespaces'\n"
			      "  queue: 5\n  ^\n"), "%s", out);
	free(out);
	l3_diag_fini(&d);

	/* the same address in two files: both places */
	l3t_write(dir.path, "p.yaml", "version: 1\nnamespaces:\n  a: {addresses: [192.0.2.1/24]}\n");
	l3t_write(ddir, "10-b.yaml", "namespaces:\n  b: {addresses: [192.0.2.1/24]}\n");
	l3_diag_init(&d, "p.yaml");
	ck_assert_ptr_null(l3_cfg_load(path, &d));
	ck_assert_uint_eq(d.len, 1);
	ck_assert_int_eq(d.msgs[0].pos.file, 1);
	ck_assert_str_eq(d.msgs[0].text, "192.0.2.1 already belongs to namespace 'a' (p.yaml:3)");
	l3_diag_fini(&d);
	snprintf(path, sizeof(path), "%s/10-b.yaml", ddir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/20-c.yaml", ddir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/p.yaml", dir.path);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(ddir), 0);
	ck_assert_int_eq(rmdir(dir.path), 0);
}
END_TEST

START_TEST(test_load_too_large)
{
	struct l3t_dir dir;
	char path[128];
	int fd;

	l3t_dir_make(&dir);
	snprintf(path, sizeof(path), "%s/big.yaml", dir.path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	/* sparse: takes no space */
	ck_assert_int_eq(ftruncate(fd, (off_t)L3_CFG_MAX_FILE_SIZE + 1), 0);
	ck_assert_int_eq(close(fd), 0);
	l3t_load_error(path, "file larger than 32 MiB");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir.path), 0);
}
END_TEST

/* ---- many errors ---- */

/* Every error of the first pass in one run, printed in file order
 * although namespaces are read after the top-level keys. */
START_TEST(test_all_errors_reported)
{
	static const char yaml[] =
		"version: 1\n"				/* 1 */
		"namespaces:\n"				/* 2 */
		"  web:\n"				/* 3 */
		"    id: 0\n"				/* 4: id range */
		"    addresses: [192.0.2.300/24]\n"	/* 5: malformed */
		"    pign: true\n"			/* 6: unknown key */
		"  Mail:\n"				/* 7: name */
		"    addresses: [192.0.2.2/33]\n"	/* 8: prefix */
		"queue: x\n"				/* 9: type */
		"table: a-b\n"				/* 10: table name */
		"mark_mask: 0x0f0f\n"			/* 11: contiguous */
		"colour: 1\n";				/* 12: unknown key */
	static const char want[] =
		"t.yaml:4:9: error: id must be 1..255, got 0\n"
		"      id: 0\n"
		"          ^\n"
		"t.yaml:5:17: error: malformed address: '192.0.2.300/24'\n"
		"      addresses: [192.0.2.300/24]\n"
		"                  ^\n"
		"t.yaml:6:5: error: unknown key 'pign' in a namespace; did you mean 'ping'?\n"
		"      pign: true\n"
		"      ^\n"
		"t.yaml:7:3: error: namespace name 'Mail' must match [a-z][a-z0-9_-]{0,30}\n"
		"    Mail:\n"
		"    ^\n"
		"t.yaml:8:17: error: prefix length must be 1..32: '192.0.2.2/33'\n"
		"      addresses: [192.0.2.2/33]\n"
		"                  ^\n"
		"t.yaml:9:8: error: queue expects a number, got 'x'\n"
		"  queue: x\n"
		"         ^\n"
		"t.yaml:10:8: error: table name 'a-b' must match [A-Za-z][A-Za-z0-9_]{0,63}\n"
		"  table: a-b\n"
		"         ^\n"
		"t.yaml:11:12: error: mark_mask 0x00000f0f is not one contiguous run of bits\n"
		"  mark_mask: 0x0f0f\n"
		"             ^\n"
		"t.yaml:12:1: error: unknown key 'colour' in the policy\n"
		"  colour: 1\n"
		"  ^\n";
	struct l3_diag d;
	char *out;

	ck_assert_ptr_null(l3t_parse(&d, yaml));
	ck_assert_uint_eq(d.nerrors, 9);
	ck_assert_uint_eq(d.len, 9);
	out = l3t_print(&d);
	ck_assert_str_eq(out, want);
	free(out);
	l3_diag_fini(&d);
}
END_TEST

/* The cross-namespace checks report all their findings together. */
START_TEST(test_all_cross_errors_reported)
{
	static const char yaml[] =
		"version: 1\n"
		"namespaces:\n"
		"  a: {id: 2, cgroup: x, addresses: [192.0.2.1/24]}\n"
		"  b: {id: 2, cgroup: x, addresses: [192.0.2.1/24]}\n"
		"  c: {cgroup: x/y, addresses: [192.0.2.3/24], listen: [\"[ff02::1]:1/udp\"]}\n";
	struct l3_diag d;
	char *out;

	ck_assert_ptr_null(l3t_parse(&d, yaml));
	out = l3t_print(&d);
	ck_assert_str_eq(out,
		"t.yaml:4:11: error: id 2 is already used by namespace 'a' (line 3)\n"
		"    b: {id: 2, cgroup: x, addresses: [192.0.2.1/24]}\n"
		"            ^\n"
		"t.yaml:4:22: error: namespace 'b' has the same cgroup 'x' as 'a' (line 3)\n"
		"    b: {id: 2, cgroup: x, addresses: [192.0.2.1/24]}\n"
		"                       ^\n"
		"t.yaml:4:37: error: 192.0.2.1 already belongs to namespace 'a' (line 3)\n"
		"    b: {id: 2, cgroup: x, addresses: [192.0.2.1/24]}\n"
		"                                      ^\n"
		"t.yaml:5:15: error: cgroup 'x/y' of namespace 'c' is inside cgroup 'x' of namespace 'a' (line 3)\n"
		"    c: {cgroup: x/y, addresses: [192.0.2.3/24], listen: [\"[ff02::1]:1/udp\"]}\n"
		"                ^\n"
		"t.yaml:5:56: error: namespace 'c' has no IPv6 address to receive this on\n"
		"    c: {cgroup: x/y, addresses: [192.0.2.3/24], listen: [\"[ff02::1]:1/udp\"]}\n"
		"                                                         ^\n");
	free(out);
	l3_diag_fini(&d);
}
END_TEST

/* A flat mapping of 100,000 keys: the duplicate check must not be
 * quadratic (this took minutes before). */
START_TEST(test_many_keys)
{
	const size_t n = 100000;
	size_t cap = n * 48 + 64, len, i;
	char *yaml = malloc(cap);
	struct l3_diag d;
	struct l3_cfg *cfg;

	ck_assert_ptr_nonnull(yaml);
	len = (size_t)sprintf(yaml, "version: 1\nmark_mask: 0xffffffff\nnamespaces:\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(yaml + len, "  n%zu: {addresses: [\"2001:db8::%zx:%zx/64\"]}\n",
				       i, i >> 16, i & 0xffff);
	len += (size_t)sprintf(yaml + len, "  n7: {addresses: [192.0.2.1/24]}\n");
	cfg = l3t_parse_n(&d, yaml, len);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(d.len, 1);
	ck_assert_int_eq(d.msgs[0].pos.line, (int)n + 4);
	ck_assert_str_eq(d.msgs[0].text, "duplicate key 'n7' (first at line 11)");
	l3_diag_fini(&d);
	free(yaml);
}
END_TEST

/* 50,000 errors: each is printed with its source line, and finding the
 * lines must not start from the top of the file for every message. */
START_TEST(test_many_errors)
{
	static const char last[] =
		"t.yaml:50002:24: error: an address needs a prefix length, e.g. 192.0.2.10/24: "
		"'192.0.2.1'\n"
		"    n49999: {addresses: [192.0.2.1]}\n"
		"                         ^\n";
	const size_t n = 50000;
	size_t cap = n * 40 + 64, len, i, lines = 0;
	char *yaml = malloc(cap), *out, *p;
	struct l3_diag d;

	ck_assert_ptr_nonnull(yaml);
	len = (size_t)sprintf(yaml, "version: 1\nnamespaces:\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(yaml + len, "  n%zu: {addresses: [192.0.2.1]}\n", i);
	ck_assert_ptr_null(l3t_parse_n(&d, yaml, len));
	ck_assert_uint_eq(d.nerrors, n);
	out = l3t_print(&d);
	for (p = out; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 3 * n);
	ck_assert_uint_gt(strlen(out), strlen(last));
	ck_assert_str_eq(out + strlen(out) - strlen(last), last);
	free(out);
	l3_diag_fini(&d);
	free(yaml);
}
END_TEST

/* The caret counts characters, as libyaml's columns do. */
START_TEST(test_caret_utf8)
{
	static const char yaml[] = "version: 1\nnamespaces: {\"w\xc3\xa9\xc3\xa9\": {x: 1}}\n";
	struct l3_diag d;
	char *out;

	ck_assert_ptr_null(l3t_parse(&d, yaml));
	out = l3t_print(&d);
	ck_assert_str_eq(out,
		"t.yaml:2:14: error: namespace name 'w\xc3\xa9\xc3\xa9' must match [a-z][a-z0-9_-]{0,30}\n"
		"  namespaces: {\"w\xc3\xa9\xc3\xa9\": {x: 1}}\n"
		"               ^\n"
		"t.yaml:2:14: error: namespace 'w\xc3\xa9\xc3\xa9' has no addresses\n"
		"  namespaces: {\"w\xc3\xa9\xc3\xa9\": {x: 1}}\n"
		"               ^\n"
		"t.yaml:2:22: error: unknown key 'x' in a namespace; did you mean 'id'?\n"
		"  namespaces: {\"w\xc3\xa9\xc3\xa9\": {x: 1}}\n"
		"                       ^\n");
	free(out);
	l3_diag_fini(&d);
}
END_TEST

/* ---- the daemon's limits and allow-list ---- */

static bool l3t_allows(const struct l3_ns *ns, const char *spec)
{
	struct l3_listen l;
	const char *why;

	ck_assert_int_eq(l3_listen_parse(spec, &l, &why), 0);
	return l3_cfg_ns_allows(ns, &l);
}

START_TEST(test_daemon_limits_default)
{
	struct l3_cfg *cfg = l3t_ok(l3t_minimal);
	const struct l3_ns *ns = &cfg->ns[0];

	ck_assert_uint_eq(cfg->max_clients, L3_CFG_DEFAULT_MAX_CLIENTS);
	ck_assert_uint_eq(cfg->max_clients_per_uid, L3_CFG_DEFAULT_MAX_CLIENTS_PER_UID);
	ck_assert_uint_eq(ns->max_registrations, L3_CFG_DEFAULT_MAX_REGISTRATIONS);
	ck_assert(!ns->has_allows);
	/* the default: any group, broadcast only from port 1024 up */
	ck_assert(l3t_allows(ns, "239.9.9.9:5000/udp"));
	ck_assert(l3t_allows(ns, "[ff02::fb]:5353/udp"));
	ck_assert(l3t_allows(ns, "broadcast:1024/udp"));
	ck_assert(!l3t_allows(ns, "broadcast:68/udp"));
	ck_assert(!l3t_allows(ns, "broadcast:520/udp"));
	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_daemon_allow_list)
{
	struct l3_cfg *cfg = l3t_ok("version: 1\n"
				    "max_clients: 10\n"
				    "max_clients_per_uid: 2\n"
				    "namespaces:\n"
				    "  web:\n"
				    "    addresses: [192.0.2.10/24, 2001:db8::10/64]\n"
				    "    listen: [broadcast:67/udp]\n"
				    "    max_registrations: 3\n"
				    "    allow_listen: [239.2.0.0/16:5000-5010/udp, broadcast:137/udp,\n"
				    "                   \"[ff05::/16]:*/udp\"]\n"
				    "  none:\n"
				    "    addresses: [192.0.2.11/24]\n"
				    "    allow_listen: []\n");
	const struct l3_ns *ns = &cfg->ns[0];

	ck_assert_uint_eq(cfg->max_clients, 10);
	ck_assert_uint_eq(cfg->max_clients_per_uid, 2);
	ck_assert_uint_eq(ns->max_registrations, 3);
	ck_assert_uint_eq(ns->nallows, 3);
	ck_assert_int_eq(ns->allows[0].pos.line, 9);
	ck_assert(l3t_allows(ns, "239.2.200.1:5000/udp"));
	ck_assert(l3t_allows(ns, "239.2.0.1:5010/udp"));
	ck_assert(!l3t_allows(ns, "239.2.0.1:5011/udp"));
	ck_assert(!l3t_allows(ns, "239.3.0.1:5000/udp"));
	ck_assert(l3t_allows(ns, "broadcast:137/udp"));
	ck_assert(!l3t_allows(ns, "broadcast:138/udp"));
	ck_assert(l3t_allows(ns, "broadcast:67/udp"));	/* its own listen entry */
	ck_assert(l3t_allows(ns, "[ff05::1:3]:1/udp"));
	ck_assert(!l3t_allows(ns, "[ff02::fb]:5353/udp"));
	ck_assert(!l3t_allows(&cfg->ns[1], "239.1.1.1:5000/udp"));
	l3_cfg_free(cfg);
}
END_TEST

START_TEST(test_err_allow_listen)
{
	l3t_error("version: 1\n"
		  "namespaces:\n"
		  "  web:\n"
		  "    addresses: [192.0.2.10/24]\n"
		  "    allow_listen: [\"239.0.0.0/3:*/udp\"]\n",
		  5, 20, "a group prefix is /4../32 (IPv4) or /8../128 (IPv6), inside the "
			 "multicast range: '239.0.0.0/3:*/udp'");
	l3t_error("version: 1\nmax_clients: 0\n", 2, 14, "max_clients must be 1..4096, got 0");
}
END_TEST


Suite *l3_suite_cfg(void)
{
	Suite *s = suite_create("cfg");
	TCase *load = tcase_create("load");
	TCase *err = tcase_create("errors");
	TCase *file = tcase_create("files");

	tcase_add_test(load, test_defaults);
	tcase_add_test(load, test_all_keys);
	tcase_add_test(load, test_no_namespaces);
	tcase_add_test(load, test_number_forms);
	tcase_add_test(load, test_mark_helpers);
	tcase_add_test(load, test_host_bits_accepted);
	tcase_add_test(load, test_ids_assigned);
	tcase_add_test(load, test_cgroup_forms);
	tcase_add_test(load, test_exec_keys);
	tcase_add_test(load, test_bom_and_crlf);
	tcase_add_test(load, test_anchor_without_alias);
	tcase_add_test(load, test_listen_format);
	tcase_add_test(load, test_name_rules);
	suite_add_tcase(s, load);

	tcase_add_test(err, test_err_unknown_key);
	tcase_add_test(err, test_err_type_number);
	tcase_add_test(err, test_err_type_bool);
	tcase_add_test(err, test_socket_layer);
	tcase_add_test(err, test_err_type_string);
	tcase_add_test(err, test_err_type_list);
	tcase_add_test(err, test_err_type_mapping);
	tcase_add_test(err, test_err_address_malformed);
	tcase_add_test(err, test_err_address_prefix_missing);
	tcase_add_test(err, test_err_address_prefix_bad);
	tcase_add_loop_test(err, test_err_address_special, 0, 10);
	tcase_add_test(err, test_err_duplicate_key);
	tcase_add_test(err, test_err_address_two_namespaces);
	tcase_add_test(err, test_err_address_twice);
	tcase_add_test(err, test_err_cgroup_equal);
	tcase_add_test(err, test_err_cgroup_nested);
	tcase_add_test(err, test_err_cgroup_path);
	tcase_add_test(err, test_err_id_repeated);
	tcase_add_test(err, test_err_id_range);
	tcase_add_test(err, test_err_mark_mask);
	tcase_add_test(err, test_quarantine);
	tcase_add_test(err, test_err_ns_name);
	tcase_add_test(err, test_err_ns_name_body);
	tcase_add_test(err, test_err_table_name);
	tcase_add_test(err, test_err_listen_not_group);
	tcase_add_test(err, test_err_listen_not_udp);
	tcase_add_test(err, test_err_listen_brackets);
	tcase_add_test(err, test_err_listen_family);
	tcase_add_test(err, test_err_listen_twice);
	tcase_add_test(err, test_err_no_addresses);
	tcase_add_test(err, test_err_interface);
	tcase_add_test(err, test_err_empty);
	tcase_add_test(err, test_err_syntax);
	tcase_add_test(err, test_err_encoding);
	tcase_add_test(err, test_err_alias);
	tcase_add_test(err, test_err_alias_bomb);
	tcase_add_test(err, test_err_second_document);
	tcase_add_test(err, test_err_version);
	tcase_add_test(err, test_err_nul);
	tcase_add_test(err, test_err_deep);
	tcase_add_test(err, test_err_message_sanitised);
	tcase_add_test(err, test_all_errors_reported);
	tcase_add_test(err, test_all_cross_errors_reported);
	tcase_add_test(err, test_many_keys);
	tcase_add_test(err, test_many_errors);
	tcase_add_test(err, test_caret_utf8);
	tcase_add_test(err, test_err_allow_listen);
	tcase_set_timeout(err, 30);
	suite_add_tcase(s, err);

	tcase_add_test(file, test_daemon_limits_default);
	tcase_add_test(file, test_daemon_allow_list);
	tcase_add_test(file, test_load_file);
	tcase_add_test(file, test_load_unreadable);
	tcase_add_test(file, test_load_too_large);
	tcase_add_test(file, test_load_dropins);
	suite_add_tcase(s, file);
	return s;
}
