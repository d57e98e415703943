/* Arena and growable arrays: see include/l3nft/compiler/util.h. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/compiler/util.h"

struct l3_chunk {
	struct l3_chunk *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

struct l3_arena {
	struct l3_chunk *head;
};

#define L3_CHUNK_MIN (64u * 1024u)

struct l3_arena *l3_arena_new(void)
{
	return calloc(1, sizeof(struct l3_arena));
}

void l3_arena_free(struct l3_arena *a)
{
	struct l3_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static struct l3_chunk *l3_arena_grow(struct l3_arena *a, size_t need)
{
	size_t size = need > L3_CHUNK_MIN ? need : L3_CHUNK_MIN;
	struct l3_chunk *c = malloc(sizeof(*c) + size);

	if (!c)
		return NULL;
	c->used = 0;
	c->size = size;
	c->next = a->head;
	a->head = c;
	return c;
}

/* @size bytes of the arena, not cleared: for a vector's items, whose old
 * part is copied over and whose new slots are cleared one by one. */
static void *l3_arena_take(struct l3_arena *a, size_t size)
{
	const size_t align = sizeof(max_align_t);
	struct l3_chunk *c = a->head;
	void *p;

	if (size > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	size = (size + align - 1) / align * align;
	if (!c || c->size - c->used < size) {
		c = l3_arena_grow(a, size);
		if (!c)
			return NULL;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

void *l3_arena_alloc(struct l3_arena *a, size_t size)
{
	void *p = l3_arena_take(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

char *l3_arena_strndup(struct l3_arena *a, const char *s, size_t n)
{
	char *p = l3_arena_alloc(a, n + 1);

	if (p)
		memcpy(p, s, n);
	return p;
}

char *l3_arena_strdup(struct l3_arena *a, const char *s)
{
	return l3_arena_strndup(a, s, strlen(s));
}

char *l3_arena_printf(struct l3_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = l3_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *l3_vec_push(struct l3_arena *a, struct l3_vec *v, size_t size)
{
	if (v->len == v->cap) {
		/* from one item up: most rule vectors (a chain per namespace)
		 * hold one rule, and a rule is ~800 bytes; starting at 8 made
		 * the IR of 10,000 namespaces 57 MB larger */
		size_t cap = v->cap ? v->cap * 2 : 1;
		/* not cleared: clearing every grown copy was a third of an
		 * unchanged re-apply's CPU at 10,000 namespaces */
		void *items = l3_arena_take(a, cap * size);

		if (!items)
			return NULL;
		if (v->len)
			memcpy(items, v->items, v->len * size);
		v->items = items;
		v->cap = cap;
	}
	return memset((char *)v->items + v->len++ * size, 0, size);
}
