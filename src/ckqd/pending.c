/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "ckqd.h"
#include "crypto.h"
#include "err.h"
#include "srclimit.h"

#define NIL UINT32_MAX

enum { SLOT_FREE, SLOT_FRESH, SLOT_LIVE };

/*
 * Kept apart from the entries, which pending_release() wipes whole. Links
 * are slot numbers: every list and chain stays inside the table.
 */
struct pending_slot {
	uint32_t prev, next;		/* the fresh or live list; next: the free list */
	uint32_t sid_next, h1_next;	/* hash chains */
	uint32_t sid_bucket, h1_bucket;	/* as hashed, should the caller change a key */
	uint8_t state;
};

struct pending_list {
	uint32_t head, tail;
};

struct pending_ix {
	struct pending_slot *slot;
	uint32_t *by_sid, *by_h1;	/* bucket heads */
	size_t mask;
	uint32_t free;
	/* fresh: allocated, not yet indexed; live: indexed, by expiry */
	struct pending_list fresh, live;
	/* h1 hashes bytes a sender chose: keyed, it cannot aim at one chain. */
	uint8_t key[16];
};

int pending_init(struct pending *p, size_t cap)
{
	struct pending_ix *x;
	size_t i, nb = 1;
	int ret;

	memset(p, 0, sizeof(*p));
	if (cap == 0 || cap >= NIL)
		return CKQ_ERR_RANGE;
	while (nb < cap)
		nb <<= 1;
	p->e = calloc(cap, sizeof(*p->e));
	p->ix = x = calloc(1, sizeof(*x));
	if (!p->e || !x)
		goto nomem;
	p->cap = cap;
	x->slot = calloc(cap, sizeof(*x->slot));
	x->by_sid = calloc(nb, sizeof(*x->by_sid));
	x->by_h1 = calloc(nb, sizeof(*x->by_h1));
	if (!x->slot || !x->by_sid || !x->by_h1)
		goto nomem;
	ret = ckq_random(x->key, sizeof(x->key));
	if (ret < 0) {
		pending_free(p);
		return ret;
	}
	x->mask = nb - 1;
	for (i = 0; i < nb; i++)
		x->by_sid[i] = x->by_h1[i] = NIL;
	for (i = 0; i < cap; i++)
		x->slot[i].next = i + 1 < cap ? (uint32_t)(i + 1) : NIL;
	x->free = 0;
	x->fresh.head = x->fresh.tail = NIL;
	x->live.head = x->live.tail = NIL;
	return 0;
nomem:
	pending_free(p);
	return CKQ_ERR_NOMEM;
}

void pending_free(struct pending *p)
{
	struct pending_ix *x = p->ix;

	if (x) {
		wipe(x->key, sizeof(x->key));
		free(x->slot);
		free(x->by_sid);
		free(x->by_h1);
		free(x);
		p->ix = NULL;
	}
	if (p->e) {
		wipe(p->e, p->cap * sizeof(*p->e));
		free(p->e);
		p->e = NULL;
	}
	p->cap = p->count = 0;
}

static uint32_t slot_of(const struct pending *p, const struct pending_entry *e)
{
	return (uint32_t)(e - p->e);
}

static void list_unlink(struct pending_ix *x, struct pending_list *l, uint32_t i)
{
	struct pending_slot *s = &x->slot[i];

	if (s->prev != NIL)
		x->slot[s->prev].next = s->next;
	else
		l->head = s->next;
	if (s->next != NIL)
		x->slot[s->next].prev = s->prev;
	else
		l->tail = s->prev;
	s->prev = s->next = NIL;
}

/* at == NIL: at the head. */
static void list_insert_after(struct pending_ix *x, struct pending_list *l,
			      uint32_t at, uint32_t i)
{
	struct pending_slot *s = &x->slot[i];

	s->prev = at;
	s->next = at != NIL ? x->slot[at].next : l->head;
	if (at != NIL)
		x->slot[at].next = i;
	else
		l->head = i;
	if (s->next != NIL)
		x->slot[s->next].prev = i;
	else
		l->tail = i;
}

static void chain_unlink(struct pending_ix *x, uint32_t *head, uint32_t i, bool sid)
{
	uint32_t *pp = head;

	while (*pp != NIL && *pp != i)
		pp = sid ? &x->slot[*pp].sid_next : &x->slot[*pp].h1_next;
	if (*pp == i)
		*pp = sid ? x->slot[i].sid_next : x->slot[i].h1_next;
}

static void unindex(struct pending_ix *x, uint32_t i)
{
	struct pending_slot *s = &x->slot[i];

	chain_unlink(x, &x->by_sid[s->sid_bucket], i, true);
	chain_unlink(x, &x->by_h1[s->h1_bucket], i, false);
	list_unlink(x, &x->live, i);
}

void pending_index(struct pending *p, struct pending_entry *e)
{
	struct pending_ix *x = p->ix;
	uint32_t i = slot_of(p, e), at;
	struct pending_slot *s = &x->slot[i];

	if (s->state == SLOT_FREE)
		return;
	if (s->state == SLOT_LIVE)
		unindex(x, i);
	else
		list_unlink(x, &x->fresh, i);
	/* From the tail: one step while expiries come in allocation order. */
	for (at = x->live.tail; at != NIL && p->e[at].expires_ms > e->expires_ms;
	     at = x->slot[at].prev)
		;
	list_insert_after(x, &x->live, at, i);
	s->sid_bucket = (uint32_t)(siphash24(x->key, e->s.sid, CKQ_SID_LEN) & x->mask);
	s->h1_bucket = (uint32_t)(siphash24(x->key, e->s.h1, CKQ_HASH_LEN) & x->mask);
	s->sid_next = x->by_sid[s->sid_bucket];
	x->by_sid[s->sid_bucket] = i;
	s->h1_next = x->by_h1[s->h1_bucket];
	x->by_h1[s->h1_bucket] = i;
	s->state = SLOT_LIVE;
}

struct pending_entry *pending_by_sid(struct pending *p, const uint8_t sid[CKQ_SID_LEN])
{
	struct pending_ix *x = p->ix;
	uint32_t i;

	if (!x)
		return NULL;
	for (i = x->by_sid[siphash24(x->key, sid, CKQ_SID_LEN) & x->mask]; i != NIL;
	     i = x->slot[i].sid_next)
		if (!memcmp(p->e[i].s.sid, sid, CKQ_SID_LEN))
			return &p->e[i];
	return NULL;
}

struct pending_entry *pending_by_h1(struct pending *p, const uint8_t h1[CKQ_HASH_LEN])
{
	struct pending_ix *x = p->ix;
	uint32_t i;

	if (!x)
		return NULL;
	for (i = x->by_h1[siphash24(x->key, h1, CKQ_HASH_LEN) & x->mask]; i != NIL;
	     i = x->slot[i].h1_next)
		if (!memcmp(p->e[i].s.h1, h1, CKQ_HASH_LEN))
			return &p->e[i];
	return NULL;
}

void pending_release(struct pending *p, struct pending_entry *e)
{
	struct pending_ix *x = p->ix;
	uint32_t i = slot_of(p, e);
	struct pending_slot *s = &x->slot[i];

	if (s->state != SLOT_FREE) {
		if (s->state == SLOT_LIVE)
			unindex(x, i);
		else
			list_unlink(x, &x->fresh, i);
		s->state = SLOT_FREE;
		s->next = x->free;
		x->free = i;
		p->count--;
	}
	wipe(e, sizeof(*e));
}

struct pending_entry *pending_alloc(struct pending *p, uint64_t now_ms, bool *evicted)
{
	struct pending_ix *x = p->ix;
	uint32_t i, j;

	*evicted = false;
	if (x->free == NIL) {
		/*
		 * The live list's head expires first; entries not yet indexed
		 * have no place in it, but the engine indexes each before it
		 * lets go of its lock, so there are none to look at.
		 */
		i = x->live.head;
		for (j = x->fresh.head; j != NIL; j = x->slot[j].next)
			if (i == NIL || p->e[j].expires_ms < p->e[i].expires_ms)
				i = j;
		*evicted = p->e[i].expires_ms > now_ms;
		pending_release(p, &p->e[i]);
	}
	i = x->free;
	x->free = x->slot[i].next;
	list_insert_after(x, &x->fresh, x->fresh.tail, i);
	x->slot[i].state = SLOT_FRESH;
	p->e[i].used = true;
	p->count++;
	return &p->e[i];
}

size_t pending_expire(struct pending *p, uint64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < p->cap; i++)
		if (p->ix->slot[i].state != SLOT_FREE && p->e[i].expires_ms <= now_ms) {
			pending_release(p, &p->e[i]);
			n++;
		}
	return n;
}
