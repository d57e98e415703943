/* Small helpers shared by the compiler, the daemon and the tests. */
#ifndef L3NFT_UTIL_H
#define L3NFT_UTIL_H

#include <stddef.h>

#define L3_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * An arena owns every string and node of one configuration or IR, so a
 * whole model is freed at once and no error path can leak half of it.
 */
struct l3_arena;

struct l3_arena *l3_arena_new(void);
void l3_arena_free(struct l3_arena *a);
/* Zeroed memory; NULL (errno ENOMEM) on failure. */
void *l3_arena_alloc(struct l3_arena *a, size_t size);
char *l3_arena_strdup(struct l3_arena *a, const char *s);
char *l3_arena_strndup(struct l3_arena *a, const char *s, size_t n);
char *l3_arena_printf(struct l3_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A growable array inside an arena: items are fixed-size, the array
 * doubles when full. Old storage stays in the arena until it is freed.
 */
struct l3_vec {
	void *items;
	size_t len;
	size_t cap;
};

/* Appends one zeroed item of @size bytes and returns it, NULL on ENOMEM. */
void *l3_vec_push(struct l3_arena *a, struct l3_vec *v, size_t size);

#endif
