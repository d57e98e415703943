/* Diagnostics with FILE:LINE:COL, the source line and a caret. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/compiler/diag.h"
#include "l3nft/compiler/util.h"

void l3_diag_init(struct l3_diag *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

void l3_diag_fini(struct l3_diag *d)
{
	size_t i;

	for (i = 0; i < d->len; i++)
		free(d->msgs[i].text);
	free(d->msgs);
	free(d->owned_src);
	for (i = 0; i < d->nmore; i++) {
		free(d->more[i].name);
		free(d->more[i].src);
	}
	free(d->more);
	memset(d, 0, sizeof(*d));
}

void l3_diag_set_prog(struct l3_diag *d, const char *prog)
{
	d->prog = prog;
}

void l3_diag_set_source(struct l3_diag *d, const char *src, size_t len)
{
	d->src = src;
	d->src_len = len;
}

void l3_diag_take_source(struct l3_diag *d, char *src, size_t len)
{
	if (d->cur > 0 && (size_t)d->cur <= d->nmore) {
		free(d->more[d->cur - 1].src);
		d->more[d->cur - 1].src = src;
		d->more[d->cur - 1].len = len;
		return;
	}
	free(d->owned_src);
	d->owned_src = src;
	l3_diag_set_source(d, src, len);
}

int l3_diag_add_file(struct l3_diag *d, const char *name, char *src, size_t len)
{
	struct l3_diag_file *more = realloc(d->more, (d->nmore + 1) * sizeof(*more));
	char *copy = strdup(name);

	if (!more || !copy) {
		if (more)
			d->more = more;
		free(copy);
		free(src);
		return -1;
	}
	d->more = more;
	more[d->nmore].name = copy;
	more[d->nmore].src = src;
	more[d->nmore].len = len;
	d->cur = (int)++d->nmore;
	return d->cur;
}

const char *l3_diag_file_name(const struct l3_diag *d, int file)
{
	if (file > 0 && (size_t)file <= d->nmore)
		return d->more[file - 1].name;
	return d->file ? d->file : "-";
}

const char *l3_diag_ref(const struct l3_diag *d, struct l3_pos at, struct l3_pos ref,
			char *buf, size_t size)
{
	if (at.file == ref.file)
		snprintf(buf, size, "line %d", ref.line);
	else
		snprintf(buf, size, "%s:%d", l3_diag_file_name(d, ref.file), ref.line);
	return buf;
}

int l3_pos_cmp(struct l3_pos a, struct l3_pos b)
{
	if (a.file != b.file)
		return a.file < b.file ? -1 : 1;
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	return a.col < b.col ? -1 : a.col > b.col;
}

/* The text of file index @file (NULL when unknown) and its length. */
static const char *l3_diag_src(const struct l3_diag *d, int file, size_t *len)
{
	if (file > 0 && (size_t)file <= d->nmore) {
		*len = d->more[file - 1].len;
		return d->more[file - 1].src;
	}
	*len = d->src_len;
	return d->src;
}

/* ---- text that is safe to print ---- */

size_t l3_utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;
	uint32_t c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (len == 0 || len > n || s[0] >= 0xf8)
		return 0;
	c = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past Unicode */
	if (c < min[len] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* A character a terminal shows as itself: no C0/C1 controls, no line
 * separators, no bidi overrides that would reorder the message. */
static int l3_printable(uint32_t c)
{
	return c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0) && c != 0x2028 &&
	       c != 0x2029 && !(c >= 0x202a && c <= 0x202e) &&
	       !(c >= 0x2066 && c <= 0x2069) && c != 0xfeff;
}

/* Length of the character at @s (1 for a byte of invalid UTF-8); *@ok
 * tells whether it may be printed as it is. */
static size_t l3_safe_char(const char *s, size_t n, int keep_tab, int *ok)
{
	uint32_t c;
	size_t len = l3_utf8_char((const unsigned char *)s, n, &c);

	*ok = len && (l3_printable(c) || (keep_tab && c == '\t'));
	return len ? len : 1;
}

/* Writes @s[0..n) with each unsafe character shown as '?'. */
static void l3_diag_put(FILE *out, const char *s, size_t n, int keep_tab)
{
	size_t i = 0, len;
	int ok;

	while (i < n) {
		len = l3_safe_char(s + i, n - i, keep_tab, &ok);
		if (ok)
			fwrite(s + i, 1, len, out);
		else
			fputc('?', out);
		i += len;
	}
}

/* Message text comes from the file too (key names, values): a newline or
 * an escape sequence in it must not reach the terminal. In place: a '?'
 * is never longer than what it replaces. */
static void l3_diag_sanitize(char *s)
{
	size_t n = strlen(s), i = 0, o = 0, len;
	int ok;

	while (i < n) {
		len = l3_safe_char(s + i, n - i, 0, &ok);
		if (ok)
			memmove(s + o, s + i, len);
		else
			s[o] = '?';
		o += ok ? len : 1;
		i += len;
	}
	s[o] = '\0';
}

void l3_diag_add(struct l3_diag *d, enum l3_severity sev, struct l3_pos pos,
		 const char *fmt, ...)
{
	struct l3_diag_msg *m;
	va_list ap;
	char *text;

	if (sev == L3_ERROR)
		d->nerrors++;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text)
		goto oom;
	l3_diag_sanitize(text);
	if (d->len == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		void *msgs = realloc(d->msgs, cap * sizeof(*d->msgs));

		if (!msgs) {
			free(text);
			goto oom;
		}
		d->msgs = msgs;
		d->cap = cap;
	}
	m = &d->msgs[d->len++];
	m->sev = sev;
	m->pos = pos;
	m->text = text;
	m->seq = d->len - 1;
	return;
oom:
	d->oom = 1;
}

/* ---- positions, counted the way libyaml counts them ---- */

/* Length of the line break at @p, 0 if none: YAML 1.1 (and libyaml)
 * also break lines at a lone CR, NEL, LS and PS. */
static size_t l3_line_break(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = (size_t)(end - p);

	if (n >= 1 && u[0] == '\n')
		return 1;
	if (n >= 1 && u[0] == '\r')
		return n >= 2 && u[1] == '\n' ? 2 : 1;
	if (n >= 2 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	return 0;
}

/* One character (or one invalid byte) at @p. */
static size_t l3_char_len(const char *p, const char *end)
{
	uint32_t c;
	size_t len = l3_utf8_char((const unsigned char *)p, (size_t)(end - p), &c);

	return len ? len : 1;
}

struct l3_pos l3_diag_pos_at(const char *src, size_t len, size_t off)
{
	const char *p = src, *end = src + (off < len ? off : len);
	struct l3_pos pos = { 1, 1, 0 };
	size_t br;

	while (p < end) {
		br = l3_line_break(p, src + len);
		if (br) {
			pos.line++;
			pos.col = 1;
			p += br;
		} else {
			pos.col++;
			p += l3_char_len(p, src + len);
		}
	}
	return pos;
}

/* A forward-only walk over the source lines: messages are printed sorted
 * by position, so the whole file is scanned once however many there are. */
struct l3_diag_cursor {
	const char *src;	/* the file being walked */
	size_t src_len;
	int file;
	const char *p;		/* start of line @line */
	int line;
	size_t len;		/* its length; (size_t)-1 until measured */
	/* the last window's start on it (NULL for none) and its column:
	 * messages come sorted by column, so each goes on from there */
	const char *at;
	int col;
};

/* Moves @c to line @line and returns that line's length (without its
 * break), or (size_t)-1 when the source has no such line. */
static size_t l3_diag_seek(struct l3_diag_cursor *c, int line)
{
	const char *end = c->src + c->src_len, *q;
	size_t br = 0;

	/* many messages on one long line must not rescan it each time */
	if (c->line == line && c->len != (size_t)-1)
		return c->len;
	for (;;) {
		for (q = c->p; q < end && !(br = l3_line_break(q, end)); q++)
			;
		if (c->line == line) {
			c->len = (size_t)(q - c->p);
			return c->len;
		}
		if (q == end)
			return (size_t)-1;
		c->p = q + br;
		c->line++;
		c->len = (size_t)-1;
		c->at = NULL;
	}
}

/* Advances over up to @n characters; returns where it stopped. */
static const char *l3_diag_skip(const char *p, const char *end, int n)
{
	for (; n > 0 && p < end; n--)
		p += l3_char_len(p, end);
	return p;
}

/* Prints the source line (unsafe characters shown as '?') and a caret under
 * @col, which counts characters as libyaml does. A long line shows a window
 * of it around the column, with "..." where it was cut. */
static void l3_diag_print_caret(const struct l3_diag *d, struct l3_diag_cursor *cur,
				const struct l3_pos *pos, FILE *out)
{
	const int width = 160;
	const char *s, *end, *from, *to, *p;
	size_t len;
	int first = 1, col;

	/* messages come sorted by file: a new file starts a new walk */
	if (!cur->src || cur->file != pos->file) {
		cur->src = l3_diag_src(d, pos->file, &cur->src_len);
		cur->file = pos->file;
		cur->p = cur->src;
		cur->line = 1;
		cur->len = (size_t)-1;
		cur->at = NULL;
	}
	if (!cur->src || pos->line < cur->line)
		return;
	len = l3_diag_seek(cur, pos->line);
	if (len == (size_t)-1)
		return;
	s = cur->p;
	/* libyaml does not count a byte order mark as a column */
	if (s == cur->src && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		len -= 3;
	}
	end = s + len;
	if (pos->col > width - 20)
		first = pos->col - width / 2;
	/* go on from the previous message's window, not from the line start */
	if (!cur->at || cur->at < s || cur->col > first) {
		cur->at = s;
		cur->col = 1;
	}
	cur->at = l3_diag_skip(cur->at, end, first - cur->col);
	cur->col = first;
	from = cur->at;
	to = l3_diag_skip(from, end, width);
	fputs(from > s ? "  ..." : "  ", out);
	l3_diag_put(out, from, (size_t)(to - from), 1);
	fputs(to < end ? "...\n  " : "\n  ", out);
	if (from > s)
		fputs("   ", out);
	for (p = from, col = first; col < pos->col && p < to; col++) {
		fputc(*p == '\t' ? '\t' : ' ', out);
		p += l3_char_len(p, end);
	}
	fputs("^\n", out);
}

static int l3_diag_cmp(const void *a, const void *b)
{
	const struct l3_diag_msg *x = a, *y = b;
	int r = l3_pos_cmp(x->pos, y->pos);

	if (r)
		return r;
	/* equal positions keep the order they were found in */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void l3_diag_file(const struct l3_diag *d, int file, FILE *out)
{
	const char *f = l3_diag_file_name(d, file);

	l3_diag_put(out, f, strlen(f), 0);
}

static void l3_diag_print_all(struct l3_diag *d, FILE *out)
{
	struct l3_diag_cursor cur = { NULL, 0, 0, NULL, 1, (size_t)-1, NULL, 0 };
	size_t i;

	for (i = 0; i < d->len; i++) {
		const struct l3_diag_msg *m = &d->msgs[i];
		const char *sev = m->sev == L3_ERROR ? "error" : "warning";

		/* the cause is elsewhere: not the file's name first */
		if (m->pos.line == 0 && m->pos.col == 0 && d->prog)
			l3_diag_put(out, d->prog, strlen(d->prog), 0);
		else
			l3_diag_file(d, m->pos.file, out);
		if (m->pos.line > 0)
			fprintf(out, ":%d:%d: %s: %s\n", m->pos.line, m->pos.col, sev, m->text);
		else
			fprintf(out, ": %s: %s\n", sev, m->text);
		if (m->pos.line > 0)
			l3_diag_print_caret(d, &cur, &m->pos, out);
	}
	if (d->oom) {
		l3_diag_file(d, 0, out);
		fputs(": error: out of memory; some messages were lost\n", out);
	}
}

void l3_diag_print(struct l3_diag *d, FILE *out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	if (d->len)
		qsort(d->msgs, d->len, sizeof(*d->msgs), l3_diag_cmp);
	/* stderr is unbuffered: one write instead of one per character */
	mem = open_memstream(&buf, &len);
	if (!mem) {
		l3_diag_print_all(d, out);
		return;
	}
	l3_diag_print_all(d, mem);
	if (fclose(mem) == 0)
		fwrite(buf, 1, len, out);
	else
		l3_diag_print_all(d, out);
	free(buf);
}

/* ---- did-you-mean ---- */

static size_t l3_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[40];

	if (lb >= L3_ARRAY_SIZE(row) || la >= 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0], cur;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j] > row[j - 1] + 1)
				row[j] = row[j - 1] + 1;
			if (row[j] > cur + 1)
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return row[lb];
}

const char *l3_diag_suggest(const char *word, const char *const *keys, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3, i;	/* suggest only close matches */

	for (i = 0; i < n; i++) {
		size_t d = l3_edit_distance(word, keys[i]);

		if (d < best_d) {
			best_d = d;
			best = keys[i];
		}
	}
	return best;
}
