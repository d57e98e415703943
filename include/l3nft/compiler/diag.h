/*
 * Diagnostics: every message carries FILE:LINE:COL and is printed with the
 * offending source line and a caret, like nftables' erec.c. All messages of
 * a run are collected and printed together, sorted by position.
 */
#ifndef L3NFT_DIAG_H
#define L3NFT_DIAG_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

/* A position in the policy; 1-based; line 0 means "no position". @file
 * is the diagnostics' file index: 0 the main file, then the drop-ins in
 * the order l3_diag_add_file() gave them. */
struct l3_pos {
	int line;
	int col;
	int file;
};

/* Safe inside macro arguments, unlike a compound literal with a comma. */
static inline struct l3_pos l3_pos_make(int line, int col)
{
	struct l3_pos p = { line, col, 0 };

	return p;
}
/* No position: the cause is not in the policy (a lock, the kernel); such
 * messages start with the program's name (l3_diag_set_prog) when it is
 * set, not with the file's. */
#define L3_NOPOS l3_pos_make(0, 0)

/* The file @file as a whole (cannot read it): named, without a line. */
static inline struct l3_pos l3_pos_file(int file)
{
	struct l3_pos p = { 0, 1, file };

	return p;
}

enum l3_severity {
	L3_ERROR,
	L3_WARNING,
};

struct l3_diag_msg {
	enum l3_severity sev;
	struct l3_pos pos;
	char *text;
	size_t seq;		/* order found in, to keep the sort stable */
};

/* A further file of the policy (a drop-in): its name and text. */
struct l3_diag_file {
	char *name;
	char *src;
	size_t len;
};

struct l3_diag {
	const char *file;	/* as the user named it (file index 0) */
	const char *src;	/* the file's text, for the caret line; may be NULL */
	size_t src_len;
	struct l3_diag_file *more;	/* files 1.., owned */
	size_t nmore;
	int cur;		/* the file index new positions get (ytree) */
	const char *prog;	/* "l3nft apply": starts messages without a position */
	struct l3_diag_msg *msgs;
	size_t len;
	size_t cap;
	size_t nerrors;
	int oom;		/* a message was lost to ENOMEM */
	char *owned_src;	/* freed by l3_diag_fini */
};

void l3_diag_init(struct l3_diag *d, const char *file);
void l3_diag_fini(struct l3_diag *d);
/* Messages at L3_NOPOS start with @prog ("l3nft apply") from now on. */
void l3_diag_set_prog(struct l3_diag *d, const char *prog);
void l3_diag_set_source(struct l3_diag *d, const char *src, size_t len);
/* Same for the current file (d->cur), and the diagnostics free @src
 * (malloc'd) when they are done. */
void l3_diag_take_source(struct l3_diag *d, char *src, size_t len);
/* Adds a further file (a drop-in); the diagnostics own copies of @name
 * and @src (malloc'd or NULL, freed by l3_diag_fini) from now on. Returns its file
 * index, which also becomes the current one; -1 when memory ran out. */
int l3_diag_add_file(struct l3_diag *d, const char *name, char *src, size_t len);
/* The name of file index @file. */
const char *l3_diag_file_name(const struct l3_diag *d, int file);
/* "line N" when @ref is in the same file as @at, else "FILE:N", into
 * @buf: for messages that point at a second place. */
const char *l3_diag_ref(const struct l3_diag *d, struct l3_pos at, struct l3_pos ref,
			char *buf, size_t size);
/* Orders positions: by file, line, then column. */
int l3_pos_cmp(struct l3_pos a, struct l3_pos b);
/* Adds one message; characters of the text that a terminal would not show
 * as themselves (controls, invalid UTF-8) are replaced by '?'. */
void l3_diag_add(struct l3_diag *d, enum l3_severity sev, struct l3_pos pos,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define l3_error(d, pos, ...) l3_diag_add((d), L3_ERROR, (pos), __VA_ARGS__)
#define l3_warn(d, pos, ...) l3_diag_add((d), L3_WARNING, (pos), __VA_ARGS__)
/* Length of the valid UTF-8 sequence at @s (1..4, at most @n bytes) and
 * its code point in @cp; 0 for bytes that start no valid sequence
 * (overlong forms, surrogates, past U+10FFFF). */
size_t l3_utf8_char(const unsigned char *s, size_t n, uint32_t *cp);
/* Prints all messages sorted by position (stable), each with its caret.
 * Text from the file (the source line, names in messages, the file name)
 * is printed with control characters and invalid UTF-8 shown as '?'. */
void l3_diag_print(struct l3_diag *d, FILE *out);
/* The line and column of byte @off of @src, counted as libyaml counts
 * them (columns in characters; CR, CRLF, LF, NEL, LS and PS end a line). */
struct l3_pos l3_diag_pos_at(const char *src, size_t len, size_t off);

/* The one of @keys closest to @word (at most two edits away), for "did
 * you mean"; NULL when none is. */
const char *l3_diag_suggest(const char *word, const char *const *keys, size_t n);

#endif
