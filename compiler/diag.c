/* Diagnostics with FILE:LINE:COL, the source line and a caret. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/diag.h"

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
	memset(d, 0, sizeof(*d));
}

void l3_diag_set_source(struct l3_diag *d, const char *src, size_t len)
{
	d->src = src;
	d->src_len = len;
}

void l3_diag_take_source(struct l3_diag *d, char *src, size_t len)
{
	free(d->owned_src);
	d->owned_src = src;
	l3_diag_set_source(d, src, len);
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

/* Finds line @line (1-based) of the source; returns its length. */
static size_t l3_diag_line(const struct l3_diag *d, int line, const char **start)
{
	const char *p = d->src, *end = d->src + d->src_len, *nl;
	int n;

	if (!p || line < 1)
		return 0;
	for (n = 1; n < line; n++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return 0;
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*start = p;
	return (size_t)((nl ? nl : end) - p);
}

/* Prints the source line (control bytes shown as '?', long lines cut) and a
 * caret under @col. */
static void l3_diag_print_caret(const struct l3_diag *d, const struct l3_pos *pos,
				FILE *out)
{
	const size_t max = 160;
	const char *s = NULL;
	size_t len = l3_diag_line(d, pos->line, &s), i;
	int col;

	if (!s)
		return;
	if (len > max)
		len = max;
	fputs("  ", out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c == '\t' || (c >= 0x20 && c != 0x7f) ? c : '?', out);
	}
	fputs("\n  ", out);
	for (col = 1; col < pos->col && (size_t)col <= len; col++)
		fputc(s[col - 1] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

static int l3_diag_cmp(const void *a, const void *b)
{
	const struct l3_diag_msg *x = a, *y = b;

	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	/* equal positions keep the order they were found in */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void l3_diag_print(struct l3_diag *d, FILE *out)
{
	size_t i;

	qsort(d->msgs, d->len, sizeof(*d->msgs), l3_diag_cmp);
	for (i = 0; i < d->len; i++) {
		const struct l3_diag_msg *m = &d->msgs[i];
		const char *sev = m->sev == L3_ERROR ? "error" : "warning";

		if (m->pos.line > 0)
			fprintf(out, "%s:%d:%d: %s: %s\n", d->file, m->pos.line,
				m->pos.col, sev, m->text);
		else
			fprintf(out, "%s: %s: %s\n", d->file, sev, m->text);
		if (m->pos.line > 0)
			l3_diag_print_caret(d, &m->pos, out);
	}
	if (d->oom)
		fprintf(out, "%s: error: out of memory; some messages were lost\n",
			d->file);
}
