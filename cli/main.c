/* l3nft: the command line. Only this file decides to exit. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "l3nft/cli/apply.h"
#include "l3nft/cli/exec.h"
#include "l3nft/cli/status.h"
#include "l3nft/cli/sync.h"
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/emit_text.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/kernel/sock_layer.h"
#include "l3nft/kernel/cgroup.h"
#include "l3nft/kernel/ctl.h"

enum { L3_EXIT_OK = 0, L3_EXIT_INPUT = 1, L3_EXIT_SYSTEM = 2 };

struct l3_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
};

static int l3_cmd_check(int argc, char **argv);
static int l3_cmd_compile(int argc, char **argv);
static int l3_cmd_apply(int argc, char **argv);
static int l3_cmd_diff(int argc, char **argv);
static int l3_cmd_delete(int argc, char **argv);
static int l3_cmd_status(int argc, char **argv);
static int l3_cmd_exec(int argc, char **argv);
static int l3_cmd_sync(int argc, char **argv);
static int l3_cmd_listen(int argc, char **argv);
static int l3_cmd_listeners(int argc, char **argv);
static int l3_cmd_names(int argc, char **argv);

static const struct l3_cmd l3_cmds[] = {
	{ "check", l3_cmd_check, "[FILE]", "validate the policy; silent when valid" },
	{ "compile", l3_cmd_compile, "[FILE] [--cgroup-mount DIR] [--defines]",
	  "print the equivalent nft script" },
	{ "apply", l3_cmd_apply, "[FILE] [--dry-run] [-v] [--force] [--json]",
	  "make the table the policy's atomically; add missing aliases" },
	{ "diff", l3_cmd_diff, "[FILE] [-v] [--json]",
	  "what apply would change (exit 0 same, 1 different, 2 trouble)" },
	{ "delete", l3_cmd_delete, "[FILE] [--dry-run] [-v] [--force]",
	  "remove the table and the aliases l3nft added" },
	{ "status", l3_cmd_status, "[FILE] [--json|--format=FMT] [--check]",
	  "per namespace: cgroup, addresses, members, counters" },
	{ "exec", l3_cmd_exec,
	  "NAME [-c FILE] [-u USER[:GROUP]] [--keep-net-raw] -- CMD [ARG...]",
	  "run CMD inside namespace NAME" },
	{ "sync", l3_cmd_sync, "NAME [FILE]",
	  "put NAME's cgroup (created if missing) into the table now" },
	{ "listen", l3_cmd_listen, "NAME ADDR:PORT/udp", "register a listener with l3nftd" },
	{ "unlisten", l3_cmd_listen, "NAME ADDR:PORT/udp", "take a registration back" },
	{ "listeners", l3_cmd_listeners, "[--json]", "the registrations l3nftd holds" },
};

/* Commands for scripts (completion), left out of the usage. */
static const struct l3_cmd l3_hidden_cmds[] = {
	{ "names", l3_cmd_names, "[FILE]", "the policy's namespace names, one a line" },
};

static void l3_usage(FILE *out)
{
	size_t i;

	fputs("usage: l3nft [-h|--help] [-V|--version] COMMAND [ARGS]\n\ncommands:\n", out);
	for (i = 0; i < L3_ARRAY_SIZE(l3_cmds); i++)
		fprintf(out, "  %-9s %s\n            %s\n", l3_cmds[i].name, l3_cmds[i].args,
			l3_cmds[i].help);
	fprintf(out, "\nFILE (or -c/--config FILE) defaults to %s. Exit status: 0 success,\n"
		     "1 invalid input or usage, 2 the system refused, 3 (status --check) not as\n"
		     "the policy says. l3nft COMMAND --help shows one command.\n",
		L3_CFG_DEFAULT_FILE);
}

/* `l3nft CMD --help`: the command's line of the usage. */
static void l3_cmd_usage(const struct l3_cmd *cmd, FILE *out)
{
	fprintf(out, "usage: l3nft %s %s\n  %s\nSee l3nft(8).\n", cmd->name, cmd->args,
		cmd->help);
}

/* "l3nft CMD", for messages whose cause is not in the policy. */
static char l3_main_prog[64] = "l3nft";

/* Loads and validates @file into @diag (which the caller prints and
 * frees, so later errors can point into the file too). */
static struct l3_cfg *l3_main_load(const char *file, struct l3_diag *diag, int *status)
{
	struct l3_cfg *cfg;

	l3_diag_init(diag, file);
	l3_diag_set_prog(diag, l3_main_prog);
	cfg = l3_cfg_load(file, diag);
	if (!cfg && diag->nerrors == 0)
		l3_error(diag, l3_pos_file(0), "%s", strerror(errno));
	*status = !cfg && errno == ENOMEM ? L3_EXIT_SYSTEM : L3_EXIT_INPUT;
	return cfg;
}

static void l3_main_diag_done(struct l3_diag *diag)
{
	l3_diag_print(diag, stderr);
	l3_diag_fini(diag);
}

/* The policy file: -c/--config FILE (@given), or the one operand left at
 * @first once getopt has taken the options, or the default; NULL after
 * printing a usage error. */
static const char *l3_main_file_arg(int argc, char **argv, int first, const char *given)
{
	if (argc - first > 1 || (given && argc > first)) {
		fprintf(stderr, "l3nft %s: %s\n", argv[0],
			given ? "the policy is given twice (-c and FILE)" : "too many arguments");
		return NULL;
	}
	return given ? given : argc > first ? argv[first] : L3_CFG_DEFAULT_FILE;
}

#define L3_MAIN_OPTS_MAX 16

/* A command's options: getopt's, without -c/--config, which every
 * command takes the same way (l3_main_getopt()). */
struct l3_main_args {
	const char *opts;		/* short options; a leading '+' stops at operands */
	const struct option *longopts;	/* may be NULL */
	/* one of the command's own options (@c as getopt returns it, optarg
	 * set); -1 refuses it */
	int (*take)(int c, void *ctx);
	void *ctx;
	const char **name;		/* exec: NAME, before or after the options */
};

/* The command's options with "config" added, into @all. */
static void l3_main_longopts(const struct l3_main_args *a, struct option *all)
{
	size_t n = 0;

	while (a->longopts && a->longopts[n].name && n + 2 < L3_MAIN_OPTS_MAX) {
		all[n] = a->longopts[n];
		n++;
	}
	all[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
}

/*
 * Runs getopt over @argv for every command: -c/--config FILE into
 * *@given (the last one wins), anything else to @a->take. 0, or -1 for a
 * usage error (getopt or @a->take said why).
 */
static int l3_main_getopt(int argc, char **argv, const struct l3_main_args *a,
			  const char **given)
{
	struct option all[L3_MAIN_OPTS_MAX];
	char opts[32];
	int c;

	l3_main_longopts(a, all);
	snprintf(opts, sizeof(opts), "%sc:", a->opts);
	*given = NULL;
	for (;;) {
		c = getopt_long(argc, argv, opts, all, NULL);
		if (c == 'c')
			*given = optarg;
		else if (c == -1 && a->name && !*a->name && optind < argc &&
			 strcmp(argv[optind - 1], "--"))
			*a->name = argv[optind++];	/* then more options may follow */
		else if (c == -1)
			return 0;
		else if (c == '?' || !a->take || a->take(c, a->ctx) < 0)
			return -1;
	}
}

/* The policy file of a command whose operands are @skip names, then
 * [FILE]: -c/--config or the operand; NULL after a usage error. */
static const char *l3_main_policy(int argc, char **argv, const struct l3_main_args *a,
				  int skip)
{
	const char *given;

	if (l3_main_getopt(argc, argv, a, &given) < 0)
		return NULL;
	return l3_main_file_arg(argc, argv, optind + skip, given);
}

static int l3_cmd_check(int argc, char **argv)
{
	static const struct l3_main_args a = { .opts = "" };
	const char *file = l3_main_policy(argc, argv, &a, 0);
	struct l3_diag diag;
	struct l3_cfg *cfg;
	int status;

	if (!file)
		return L3_EXIT_INPUT;
	cfg = l3_main_load(file, &diag, &status);
	l3_main_diag_done(&diag);
	if (!cfg)
		return status;
	l3_cfg_free(cfg);
	return L3_EXIT_OK;
}

struct l3_compile_args {
	struct l3_cgroup_mount mnt;
	bool mount_given, defines;
};

static int l3_compile_take(int c, void *ctx)
{
	struct l3_compile_args *ca = ctx;

	if (c == 'd') {
		ca->defines = true;
		return 0;
	}
	if (c != 'm')
		return -1;
	if (strlen(optarg) >= sizeof(ca->mnt.path)) {
		fprintf(stderr, "l3nft compile: --cgroup-mount: path too long\n");
		return -1;
	}
	strcpy(ca->mnt.path, optarg);
	ca->mount_given = true;
	return 0;
}

static int l3_cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup-mount", required_argument, NULL, 'm' },
		{ "defines", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct l3_compile_args ca = { .mnt = { .path = "/sys/fs/cgroup" } };
	const struct l3_main_args a = { .opts = "", .longopts = opts, .take = l3_compile_take,
					.ctx = &ca };
	const char *file = l3_main_policy(argc, argv, &a, 0);
	struct l3_cgroup_mount mnt;
	struct l3_ir_opts iro = { 0 };
	struct l3_diag diag;
	struct l3_cfg *cfg;
	struct l3_ir *ir;
	int status;

	if (!file)
		return L3_EXIT_INPUT;
	mnt = ca.mnt;
	/* without a cgroup2 mount, print paths as if it were at the usual place */
	if (!ca.mount_given && l3_cgroup_find_mount(NULL, &mnt) < 0)
		strcpy(mnt.path, "/sys/fs/cgroup");
	iro.cgroup_mount = mnt.path;
	iro.cgroup_root_level = mnt.root_level;
	cfg = l3_main_load(file, &diag, &status);
	l3_main_diag_done(&diag);
	if (!cfg)
		return status;
	ir = l3_ir_build(cfg, &iro);
	if (!ir) {
		fprintf(stderr, "l3nft compile: %s\n", strerror(errno));
		l3_cfg_free(cfg);
		return errno == E2BIG ? L3_EXIT_INPUT : L3_EXIT_SYSTEM;
	}
	if (ca.defines)
		status = l3_emit_defines(ir, stdout) < 0 ? L3_EXIT_SYSTEM : L3_EXIT_OK;
	else
		status = l3_emit_text(ir, stdout) < 0 || l3_sock_layer_print(ir, stdout) < 0
			 ? L3_EXIT_SYSTEM : L3_EXIT_OK;
	if (status)
		fprintf(stderr, "l3nft compile: write error: %s\n", strerror(errno));
	l3_ir_free(ir);
	l3_cfg_free(cfg);
	return status;
}

struct l3_live_args {
	struct l3_apply_opts ao;
	bool changes;		/* apply, delete: --dry-run, --force */
	bool json_ok;		/* apply, diff: --json */
};

static int l3_live_take(int c, void *ctx)
{
	struct l3_live_args *la = ctx;

	if (c == 'n' && la->changes)
		la->ao.dry_run = true;
	else if (c == 'f' && la->changes)
		la->ao.force = true;
	else if (c == 'v')
		la->ao.verbose = true;
	else if (c == 'j' && la->json_ok)
		la->ao.json = true;
	else
		return -1;
	return 0;
}

/* apply, diff and delete share their arguments: [FILE] [--dry-run] [-v]
 * [--force] (diff takes neither --dry-run nor --force). */
static int l3_cmd_live(int argc, char **argv,
		       enum l3_status (*op)(const struct l3_cfg *, const struct l3_apply_opts *,
					    struct l3_diag *),
		       bool changes, int invalid)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct l3_live_args la = { .ao = { .log = stdout }, .changes = changes,
				   .json_ok = op == l3_apply || op == l3_diff };
	const struct l3_main_args a = { .opts = "nv", .longopts = opts, .take = l3_live_take,
					.ctx = &la };
	const char *file = l3_main_policy(argc, argv, &a, 0);
	struct l3_apply_opts ao = la.ao;
	struct l3_diag diag;
	struct l3_cfg *cfg;
	int status;

	if (!file)
		return invalid;	/* diff: 1 means "differs", never a bad option */
	/* stdout is the JSON document alone; progress only for a person
	 * watching a terminal, never into a pipe or a log */
	if (ao.json)
		ao.log = stderr;
	ao.progress = !ao.json && isatty(STDERR_FILENO);
	cfg = l3_main_load(file, &diag, &status);
	if (cfg)
		status = (int)op(cfg, &ao, &diag);
	else if (status == L3_EXIT_INPUT)
		status = invalid;
	l3_main_diag_done(&diag);
	l3_cfg_free(cfg);
	return status;
}

static int l3_cmd_apply(int argc, char **argv)
{
	return l3_cmd_live(argc, argv, l3_apply, true, L3_EXIT_INPUT);
}

/* diff: 0 equal, 1 different, 2 any error (an invalid policy included) */
static int l3_cmd_diff(int argc, char **argv)
{
	return l3_cmd_live(argc, argv, l3_diff, false, L3_EXIT_SYSTEM);
}

static int l3_cmd_delete(int argc, char **argv)
{
	return l3_cmd_live(argc, argv, l3_delete, true, L3_EXIT_INPUT);
}

/* --format=text|json|openmetrics */
static int l3_status_format(const char *fmt, struct l3_status_opts *so)
{
	so->json = !strcmp(fmt, "json");
	so->openmetrics = !strcmp(fmt, "openmetrics");
	if (so->json || so->openmetrics || !strcmp(fmt, "text"))
		return 0;
	fprintf(stderr, "l3nft status: unknown format '%s' (text, json, openmetrics)\n", fmt);
	return -1;
}

static int l3_status_take(int c, void *ctx)
{
	struct l3_status_opts *so = ctx;

	if (c == 'j')
		so->json = true;
	else if (c == 'k')
		so->check = true;
	else if (c != 'F' || l3_status_format(optarg, so) < 0)
		return -1;
	return 0;
}

static int l3_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct l3_status_opts so = { 0 };
	const struct l3_main_args a = { .opts = "j", .longopts = opts, .take = l3_status_take,
					.ctx = &so };
	const char *file = l3_main_policy(argc, argv, &a, 0);
	struct l3_diag diag;
	struct l3_cfg *cfg;
	int status;

	if (!file)
		return L3_EXIT_INPUT;
	cfg = l3_main_load(file, &diag, &status);
	if (cfg)
		status = (int)l3_status_print(cfg, &so, stdout, &diag);
	l3_main_diag_done(&diag);
	l3_cfg_free(cfg);
	return status;
}

static void l3_exec_names(const struct l3_cfg *cfg)
{
	size_t i;

	fputs("l3nft exec: namespaces in the policy:", stderr);
	for (i = 0; i < cfg->nns; i++)
		fprintf(stderr, " %s", cfg->ns[i].name);
	fputc('\n', stderr);
}

static int l3_exec_take(int c, void *ctx)
{
	struct l3_exec_opts *eo = ctx;

	if (c == 'u')
		eo->user = optarg;
	else if (c == 'r')
		eo->keep_net_raw = true;
	else
		return -1;
	return 0;
}

static int l3_cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep-net-raw", no_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct l3_exec_opts eo = { 0 };
	const char *file, *name = NULL;
	/* NAME may stand before or after the options; "--" ends them */
	const struct l3_main_args a = { .opts = "+u:", .longopts = opts, .take = l3_exec_take,
					.ctx = &eo, .name = &name };
	const struct l3_ns *ns;
	struct l3_diag diag;
	struct l3_cfg *cfg;
	int status;

	if (l3_main_getopt(argc, argv, &a, &file) < 0)
		return L3_EXIT_INPUT;
	if (!file)
		file = L3_CFG_DEFAULT_FILE;
	if (!name || optind >= argc || strcmp(argv[optind - 1], "--")) {
		fprintf(stderr, "usage: l3nft exec NAME [-c FILE] [-u USER[:GROUP]] [--keep-net-raw]"
			" -- CMD [ARG...]\n");
		return L3_EXIT_INPUT;
	}
	cfg = l3_main_load(file, &diag, &status);
	if (cfg && !(ns = l3_cfg_find_ns(cfg, name))) {
		fprintf(stderr, "l3nft exec: no namespace '%s' in %s\n", name, file);
		l3_exec_names(cfg);
		status = L3_EXIT_INPUT;
	} else if (cfg) {
		status = l3_exec(cfg, ns, &eo, argv + optind, &diag);
	}
	l3_main_diag_done(&diag);
	l3_cfg_free(cfg);
	return status;
}

static int l3_cmd_sync(int argc, char **argv)
{
	static const struct l3_main_args a = { .opts = "" };
	const char *file = l3_main_policy(argc, argv, &a, 1);
	const struct l3_ns *ns;
	struct l3_diag diag;
	struct l3_cfg *cfg;
	int status;

	if (!file)
		return L3_EXIT_INPUT;
	if (optind >= argc) {
		fprintf(stderr, "usage: l3nft sync NAME [FILE]\n");
		return L3_EXIT_INPUT;
	}
	cfg = l3_main_load(file, &diag, &status);
	if (cfg && !(ns = l3_cfg_find_ns(cfg, argv[optind]))) {
		fprintf(stderr, "l3nft sync: no namespace '%s' in %s\n", argv[optind], file);
		status = L3_EXIT_INPUT;
	} else if (cfg) {
		status = (int)l3_sync(cfg, ns, stdout, &diag);
	}
	l3_main_diag_done(&diag);
	l3_cfg_free(cfg);
	return status;
}

/* `l3nft names [FILE]`, hidden (for completion): the policy's namespace
 * names, one a line, as the real loader reads them (drop-ins too). */
static int l3_cmd_names(int argc, char **argv)
{
	static const struct l3_main_args a = { .opts = "" };
	const char *file = l3_main_policy(argc, argv, &a, 0);
	struct l3_diag diag;
	struct l3_cfg *cfg;
	int status;
	size_t i;

	if (!file)
		return L3_EXIT_INPUT;
	cfg = l3_main_load(file, &diag, &status);
	l3_main_diag_done(&diag);
	if (!cfg)
		return status;
	for (i = 0; i < cfg->nns; i++)
		printf("%s\n", cfg->ns[i].name);
	l3_cfg_free(cfg);
	return fflush(stdout) == 0 ? L3_EXIT_OK : L3_EXIT_SYSTEM;
}

/* Runs one control request; the status as the SPEC says: 1 refused, 2
 * daemon unreachable. */
static int l3_main_ctl(const struct l3_ctl_req *req, FILE *out)
{
	char err[256];
	int rc = l3_ctl_request(req, out, err, sizeof(err));

	if (rc)
		fprintf(stderr, "l3nft: %s\n", err);
	return rc == 0 ? L3_EXIT_OK : rc == 1 ? L3_EXIT_INPUT : L3_EXIT_SYSTEM;
}

static int l3_cmd_listen(int argc, char **argv)
{
	struct l3_ctl_req req = { 0 };
	const char *why;

	if (argc != 3) {
		fprintf(stderr, "usage: l3nft %s NAME ADDR:PORT/udp\n", argv[0]);
		return L3_EXIT_INPUT;
	}
	req.verb = !strcmp(argv[0], "listen") ? L3_CTL_LISTEN : L3_CTL_UNLISTEN;
	if (!l3_name_valid(argv[1])) {
		fprintf(stderr, "l3nft %s: '%s' is not a namespace name\n", argv[0], argv[1]);
		return L3_EXIT_INPUT;
	}
	snprintf(req.name, sizeof(req.name), "%s", argv[1]);
	if (l3_listen_parse(argv[2], &req.spec, &why) < 0) {
		fprintf(stderr, "l3nft %s: %s: '%s'\n", argv[0], why, argv[2]);
		return L3_EXIT_INPUT;
	}
	return l3_main_ctl(&req, stdout);
}

/* "NAME SPEC static|dynamic" lines as one JSON document (schema 1, see
 * l3nft(8)); -1 when it could not be made. */
static int l3_listeners_json(const char *text, FILE *out)
{
	char name[64], spec[64], kind[16];
	json_t *list = json_array(), *doc;
	const char *p = text;
	int n;

	while (list && sscanf(p, "%63s %63s %15s%n", name, spec, kind, &n) == 3) {
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "namespace", name,
						      "listen", spec, "dynamic",
						      !strcmp(kind, "dynamic")));
		p += n;
	}
	doc = json_pack("{s:i, s:o}", "schema", L3_JSON_SCHEMA, "listeners", list);
	if (!doc || json_dumpf(doc, out, JSON_COMPACT) < 0)
		return -1;
	fputc('\n', out);
	json_decref(doc);
	return 0;
}

static int l3_cmd_listeners(int argc, char **argv)
{
	struct l3_ctl_req req = { .verb = L3_CTL_LIST };
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int rc;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		fprintf(stderr, "usage: l3nft listeners [--json]\n");
		return L3_EXIT_INPUT;
	}
	if (argc == 1)
		return l3_main_ctl(&req, stdout);
	mem = open_memstream(&text, &len);
	if (!mem)
		return L3_EXIT_SYSTEM;
	rc = l3_main_ctl(&req, mem);
	fclose(mem);
	if (rc == L3_EXIT_OK && l3_listeners_json(text, stdout) < 0) {
		fprintf(stderr, "l3nft listeners: writing JSON: %s\n", strerror(ENOMEM));
		rc = L3_EXIT_SYSTEM;
	}
	free(text);
	return rc;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		l3_usage(stderr);
		return L3_EXIT_INPUT;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		l3_usage(stdout);
		return L3_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("l3nft %s\n", PACKAGE_VERSION);
		return L3_EXIT_OK;
	}
	for (i = 0; i < L3_ARRAY_SIZE(l3_cmds) + L3_ARRAY_SIZE(l3_hidden_cmds); i++) {
		const struct l3_cmd *cmd = i < L3_ARRAY_SIZE(l3_cmds) ? &l3_cmds[i]
					   : &l3_hidden_cmds[i - L3_ARRAY_SIZE(l3_cmds)];

		if (!strcmp(argv[1], cmd->name)) {
			if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
				l3_cmd_usage(cmd, stdout);
				return L3_EXIT_OK;
			}
			opterr = 1;
			snprintf(l3_main_prog, sizeof(l3_main_prog), "l3nft %s", cmd->name);
			return cmd->run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "l3nft: unknown command '%s'\n", argv[1]);
	l3_usage(stderr);
	return L3_EXIT_INPUT;
}
