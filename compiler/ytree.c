/* YAML event stream → struct l3_ynode tree; see include/l3nft/compiler/ytree.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <yaml.h>
#include "l3nft/compiler/ytree.h"

struct l3_yaml_ctx {
	struct l3_arena *arena;
	const char *buf;
	size_t len;
	struct l3_diag *diag;
	yaml_parser_t parser;
	size_t nodes;
	int failed;
	int oom;
};

static struct l3_pos l3_yaml_pos(const struct l3_yaml_ctx *c, const yaml_mark_t *m)
{
	struct l3_pos p = { (int)m->line + 1, (int)m->column + 1, c->diag->cur };

	return p;
}

static struct l3_ynode *l3_yaml_node(struct l3_yaml_ctx *c, enum l3_ynode_kind kind,
				     const yaml_event_t *ev)
{
	struct l3_ynode *n;

	if (++c->nodes > L3_YAML_MAX_NODES) {
		l3_error(c->diag, l3_yaml_pos(c, &ev->start_mark),
			 "document too large (more than %u nodes)", L3_YAML_MAX_NODES);
		c->failed = 1;
		return NULL;
	}
	n = l3_arena_alloc(c->arena, sizeof(*n));
	if (!n) {
		c->oom = 1;
		return NULL;
	}
	n->kind = kind;
	n->pos = l3_yaml_pos(c, &ev->start_mark);
	return n;
}

/* The offset of the character that libyaml's reader refused: for a bad
 * trailing octet it names that octet, but the character starts earlier. */
static size_t l3_yaml_bad_char(const struct l3_yaml_ctx *c, const yaml_parser_t *p)
{
	const unsigned char *u = (const unsigned char *)c->buf;
	size_t off = p->problem_offset, back;

	if (off > c->len || !p->problem || strcmp(p->problem, "invalid trailing UTF-8 octet"))
		return off;
	for (back = 0; back < 3 && off > 0 && u[off - 1] >= 0x80; back++, off--)
		if (u[off - 1] >= 0xc0)
			return off - 1;
	return p->problem_offset;
}

/* The column (1-based) of a tab in the leading white space of line @line,
 * 0 when there is none: libyaml reports tabs as "found character that
 * cannot start any token", which says nothing to someone who typed one. */
static int l3_yaml_tab_col(const struct l3_yaml_ctx *c, int line)
{
	const char *p = c->buf, *end = c->buf + c->len;
	int l = 1, col = 1;

	while (p < end && l < line)
		if (*p++ == '\n')
			l++;
	for (; p < end && (*p == ' ' || *p == '\t'); p++, col++)
		if (*p == '\t')
			return col;
	return 0;
}

/* Reports a libyaml error at the place it names. */
static void l3_yaml_syntax_error(struct l3_yaml_ctx *c)
{
	const yaml_parser_t *p = &c->parser;
	struct l3_pos pos = l3_yaml_pos(c, p->problem ? &p->problem_mark : &p->mark);

	if (p->error == YAML_MEMORY_ERROR) {
		c->oom = 1;
		return;
	}
	/* the reader (encoding errors) names a byte offset, not a mark */
	if (p->error == YAML_READER_ERROR)
		pos = l3_diag_pos_at(c->buf, c->len, l3_yaml_bad_char(c, p));
	pos.file = c->diag->cur;
	if (p->problem && strstr(p->problem, "cannot start any token") &&
	    l3_yaml_tab_col(c, pos.line)) {
		pos.col = l3_yaml_tab_col(c, pos.line);
		l3_error(c->diag, pos, "a tab indents this line: YAML indents with spaces only");
	} else if (p->context)
		l3_error(c->diag, pos, "YAML syntax error: %s %s",
			 p->problem ? p->problem : "invalid input", p->context);
	else
		l3_error(c->diag, pos, "YAML syntax error: %s",
			 p->problem ? p->problem : "invalid input");
	c->failed = 1;
}

static int l3_yaml_next(struct l3_yaml_ctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->parser, ev)) {
		l3_yaml_syntax_error(c);
		return -1;
	}
	return 0;
}

static struct l3_ynode *l3_yaml_value(struct l3_yaml_ctx *c, yaml_event_t *ev, int depth);

static struct l3_ynode *l3_yaml_scalar(struct l3_yaml_ctx *c, const yaml_event_t *ev)
{
	struct l3_ynode *n = l3_yaml_node(c, L3_Y_SCALAR, ev);

	if (!n)
		return NULL;
	n->len = ev->data.scalar.length;
	n->str = l3_arena_strndup(c->arena, (const char *)ev->data.scalar.value, n->len);
	if (!n->str) {
		c->oom = 1;
		return NULL;
	}
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return n;
}

/* Reads the items of a sequence up to its end event. */
static int l3_yaml_seq_items(struct l3_yaml_ctx *c, struct l3_ynode *seq, int depth)
{
	yaml_event_t ev;

	for (;;) {
		struct l3_ynode *item, **slot;

		if (l3_yaml_next(c, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		item = l3_yaml_value(c, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!item)
			return -1;
		slot = l3_vec_push(c->arena, &seq->items, sizeof(*slot));
		if (!slot) {
			c->oom = 1;
			return -1;
		}
		*slot = item;
	}
}

/* Reads key/value pairs of a mapping up to its end event. */
static int l3_yaml_map_items(struct l3_yaml_ctx *c, struct l3_ynode *map, int depth)
{
	yaml_event_t ev;

	for (;;) {
		struct l3_ypair *pair;
		struct l3_ynode *key, *value;

		if (l3_yaml_next(c, &ev) < 0)
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT && ev.type != YAML_ALIAS_EVENT) {
			l3_error(c->diag, l3_yaml_pos(c, &ev.start_mark),
				 "a mapping key must be a plain string");
			yaml_event_delete(&ev);
			c->failed = 1;
			return -1;
		}
		key = l3_yaml_value(c, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!key)
			return -1;
		if (l3_yaml_next(c, &ev) < 0)
			return -1;
		value = l3_yaml_value(c, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!value)
			return -1;
		pair = l3_vec_push(c->arena, &map->items, sizeof(*pair));
		if (!pair) {
			c->oom = 1;
			return -1;
		}
		pair->key = key;
		pair->value = value;
	}
}

/* Builds the node that starts with @ev (which the caller deletes). */
static struct l3_ynode *l3_yaml_value(struct l3_yaml_ctx *c, yaml_event_t *ev, int depth)
{
	struct l3_ynode *n;

	if (depth > L3_YAML_MAX_DEPTH) {
		l3_error(c->diag, l3_yaml_pos(c, &ev->start_mark),
			 "nesting deeper than %d levels", L3_YAML_MAX_DEPTH);
		c->failed = 1;
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return l3_yaml_scalar(c, ev);
	case YAML_ALIAS_EVENT:
		l3_error(c->diag, l3_yaml_pos(c, &ev->start_mark),
			 "YAML aliases (*name) are not supported in a policy");
		c->failed = 1;
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
		n = l3_yaml_node(c, L3_Y_SEQ, ev);
		if (!n || l3_yaml_seq_items(c, n, depth) < 0)
			return NULL;
		return n;
	case YAML_MAPPING_START_EVENT:
		n = l3_yaml_node(c, L3_Y_MAP, ev);
		if (!n || l3_yaml_map_items(c, n, depth) < 0)
			return NULL;
		return n;
	default:
		l3_error(c->diag, l3_yaml_pos(c, &ev->start_mark), "unexpected YAML event");
		c->failed = 1;
		return NULL;
	}
}

/* Reads events until the first document's root node starts. Returns the
 * root, or NULL when the stream holds no document. */
static struct l3_ynode *l3_yaml_document(struct l3_yaml_ctx *c)
{
	struct l3_ynode *root;
	yaml_event_t ev;

	for (;;) {
		if (l3_yaml_next(c, &ev) < 0)
			return NULL;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return NULL;
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		root = l3_yaml_value(c, &ev, 0);
		yaml_event_delete(&ev);
		return root;
	}
}

/* After the root: the document must end, and no second one may follow. */
static void l3_yaml_expect_end(struct l3_yaml_ctx *c)
{
	yaml_event_t ev;

	if (l3_yaml_next(c, &ev) < 0)
		return;
	yaml_event_delete(&ev);		/* DOCUMENT-END */
	if (l3_yaml_next(c, &ev) < 0)
		return;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		l3_error(c->diag, l3_yaml_pos(c, &ev.start_mark),
			 "a policy file holds one YAML document, found a second");
		c->failed = 1;
	}
	yaml_event_delete(&ev);
}

struct l3_ynode *l3_yaml_parse(struct l3_arena *a, const char *buf, size_t len,
			       struct l3_diag *diag, bool *failed)
{
	struct l3_yaml_ctx c = { .arena = a, .buf = buf, .len = len, .diag = diag };
	struct l3_ynode *root = NULL;

	*failed = false;
	if (!yaml_parser_initialize(&c.parser)) {
		errno = ENOMEM;
		*failed = true;
		return NULL;
	}
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&c.parser, YAML_UTF8_ENCODING);
	root = l3_yaml_document(&c);
	if (root && !c.failed && !c.oom)
		l3_yaml_expect_end(&c);
	yaml_parser_delete(&c.parser);
	if (c.oom) {
		errno = ENOMEM;
		l3_error(diag, L3_NOPOS, "out of memory");
	}
	if (c.failed || c.oom) {
		*failed = true;
		return NULL;
	}
	return root;
}

bool l3_yaml_is_null(const struct l3_ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->kind != L3_Y_SCALAR || !n->plain)
		return false;
	for (i = 0; i < L3_ARRAY_SIZE(nulls); i++)
		if (!strcmp(n->str, nulls[i]) && n->len == strlen(nulls[i]))
			return true;
	return false;
}

const char *l3_yaml_kind_name(const struct l3_ynode *n)
{
	switch (n->kind) {
	case L3_Y_SCALAR:
		return l3_yaml_is_null(n) ? "nothing" : "a scalar";
	case L3_Y_SEQ:
		return "a list";
	case L3_Y_MAP:
		return "a mapping";
	}
	return "?";
}
