/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_BUF_H
#define CKQ_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A bounds-checked reader over untrusted bytes. Every get fails once the
 * cursor is short and then keeps failing ("sticky"), so a parser can read a
 * whole layout and test cur.err once at the end; values read after a failure
 * are zero.
 */
struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

static inline struct cur cur_init(const void *p, size_t len)
{
	struct cur c = { .p = p, .len = len, .off = 0, .err = false };
	return c;
}

static inline size_t cur_left(const struct cur *c)
{
	return c->err ? 0 : c->len - c->off;
}

static inline const uint8_t *cur_pos(const struct cur *c)
{
	return c->p + c->off;
}

/* Returns a pointer to n bytes inside the buffer, or NULL (and sets err). */
static inline const uint8_t *cur_take(struct cur *c, size_t n)
{
	const uint8_t *r;

	if (c->err || n > c->len - c->off) {
		c->err = true;
		return NULL;
	}
	r = c->p + c->off;
	c->off += n;
	return r;
}

static inline bool cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *s = cur_take(c, n);
	size_t i;

	for (i = 0; i < n; i++)
		((uint8_t *)dst)[i] = s ? s[i] : 0;
	return s != NULL;
}

static inline uint8_t cur_u8(struct cur *c)
{
	const uint8_t *s = cur_take(c, 1);
	return s ? s[0] : 0;
}

static inline uint16_t cur_u16(struct cur *c)
{
	const uint8_t *s = cur_take(c, 2);
	return s ? (uint16_t)((uint16_t)s[0] << 8 | s[1]) : 0;
}

static inline uint32_t cur_u32(struct cur *c)
{
	const uint8_t *s = cur_take(c, 4);
	return s ? (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
		   (uint32_t)s[2] << 8 | s[3] : 0;
}

static inline uint64_t cur_u64(struct cur *c)
{
	uint64_t hi = cur_u32(c), lo = cur_u32(c);

	return c->err ? 0 : hi << 32 | lo;
}

/* The writer side: same sticky error, never writes past cap. */
struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool err;
};

static inline struct wbuf wbuf_init(void *p, size_t cap)
{
	struct wbuf w = { .p = p, .cap = cap, .len = 0, .err = false };
	return w;
}

static inline uint8_t *wbuf_reserve(struct wbuf *w, size_t n)
{
	uint8_t *r;

	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return NULL;
	}
	r = w->p + w->len;
	w->len += n;
	return r;
}

static inline void wbuf_put(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *d = wbuf_reserve(w, n);
	size_t i;

	if (d)
		for (i = 0; i < n; i++)
			d[i] = ((const uint8_t *)src)[i];
}

static inline void wbuf_u8(struct wbuf *w, uint8_t v)
{
	wbuf_put(w, &v, 1);
}

static inline void wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	wbuf_put(w, b, 2);
}

static inline void wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };
	wbuf_put(w, b, 4);
}

static inline void wbuf_u64(struct wbuf *w, uint64_t v)
{
	wbuf_u32(w, (uint32_t)(v >> 32));
	wbuf_u32(w, (uint32_t)v);
}

/* Store a big-endian u16 at a position reserved earlier (a length field). */
static inline void wbuf_patch_u16(struct wbuf *w, size_t at, uint16_t v)
{
	if (!w->err && w->len >= 2 && at <= w->len - 2) {
		w->p[at] = (uint8_t)(v >> 8);
		w->p[at + 1] = (uint8_t)v;
	}
}

#endif
