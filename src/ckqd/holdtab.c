/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckqd.h"
#include "crypto.h"
#include "grant.h"
#include "srclimit.h"

#define NIL UINT32_MAX

/*
 * The holders, with a hash index over (set, address): a knock touches one
 * chain, not every slot (with thousands of live grants, scanning the table
 * three times a knock cost ckqd a fifth of its time). Links are slot
 * numbers: every chain and the free list stay inside the table. A slot is
 * either in the chain of its (set, address) or in the free list; an
 * expired one stays chained until a walk of its chain or a full table
 * frees it.
 */
struct holdtab {
	struct holder *h;
	uint32_t *next;			/* the chain, or the free list */
	uint32_t *bucket;		/* the chain a slot is in; NIL: free */
	uint32_t *head;
	uint32_t cap, mask, free;
	/* Keyed, as pending.c's: a user cannot aim many grants at one chain. */
	uint8_t key[16];
};

struct holdtab *holdtab_new(size_t cap)
{
	struct holdtab *t;
	size_t i, nb = 1;

	if (cap == 0 || cap >= NIL)
		return NULL;
	while (nb < cap)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->h = calloc(cap, sizeof(*t->h));
	t->next = calloc(cap, sizeof(*t->next));
	t->bucket = calloc(cap, sizeof(*t->bucket));
	t->head = calloc(nb, sizeof(*t->head));
	if (!t->h || !t->next || !t->bucket || !t->head || ckq_random(t->key, sizeof(t->key)) < 0) {
		holdtab_free(t);
		return NULL;
	}
	t->cap = (uint32_t)cap;
	t->mask = (uint32_t)(nb - 1);
	for (i = 0; i < nb; i++)
		t->head[i] = NIL;
	for (i = 0; i < cap; i++) {
		t->next[i] = i + 1 < cap ? (uint32_t)(i + 1) : NIL;
		t->bucket[i] = NIL;
	}
	t->free = 0;
	return t;
}

void holdtab_free(struct holdtab *t)
{
	if (!t)
		return;
	free(t->h);
	free(t->next);
	free(t->bucket);
	free(t->head);
	free(t);
}

static uint32_t bucket_of(const struct holdtab *t, const char *set, const struct ckq_addr *addr)
{
	uint8_t k[GRANT_SETNAME_LEN + 1 + sizeof(addr->a)];
	size_t n = strnlen(set, GRANT_SETNAME_LEN), al = addr_len(addr);

	memcpy(k, set, n);
	k[n] = addr->family;
	memcpy(k + n + 1, addr->a, al);
	return (uint32_t)siphash24(t->key, k, n + 1 + al) & t->mask;
}

static bool holder_is(const struct holder *h, const char *set, const struct ckq_addr *addr)
{
	return addr_equal(&h->addr, addr) && !strcmp(h->set, set);
}

/* Slot i, which *link points at, leaves its chain for the free list. */
static void release(struct holdtab *t, uint32_t *link, uint32_t i)
{
	*link = t->next[i];
	t->h[i].expires = 0;
	t->bucket[i] = NIL;
	t->next[i] = t->free;
	t->free = i;
}

static void unlink_slot(struct holdtab *t, uint32_t i)
{
	uint32_t *link = &t->head[t->bucket[i]];

	while (*link != i)
		link = &t->next[*link];
	release(t, link, i);
}

struct holder *holdtab_longest(struct holdtab *t, const char *set, const struct ckq_addr *addr,
			       const char *not, uint64_t now)
{
	struct holder *best = NULL;
	uint32_t *link = &t->head[bucket_of(t, set, addr)], i;

	while ((i = *link) != NIL) {
		struct holder *h = &t->h[i];

		if (h->expires <= now) {
			release(t, link, i);
			continue;
		}
		link = &t->next[i];
		if (!holder_is(h, set, addr) || (not && !strcmp(h->user, not)))
			continue;
		if (!best || h->expires > best->expires)
			best = h;
	}
	return best;
}

void holdtab_drop(struct holdtab *t, const char *set, const struct ckq_addr *addr,
		  const char *user)
{
	uint32_t *link = &t->head[bucket_of(t, set, addr)], i;

	while ((i = *link) != NIL) {
		const struct holder *h = &t->h[i];

		if (holder_is(h, set, addr) && (!user || !strcmp(h->user, user)))
			release(t, link, i);
		else
			link = &t->next[i];
	}
}

/*
 * A full table: the expired holders go, and if none had, the one that
 * ends first. All cap slots are chained when this runs.
 */
static void reclaim(struct holdtab *t, uint64_t now)
{
	uint32_t i, victim = NIL;

	for (i = 0; i < t->cap; i++) {
		if (t->bucket[i] == NIL)
			continue;
		if (t->h[i].expires <= now)
			unlink_slot(t, i);
		else if (victim == NIL || t->h[i].expires < t->h[victim].expires)
			victim = i;
	}
	if (t->free == NIL)
		unlink_slot(t, victim);
}

void holdtab_set(struct holdtab *t, const char *set, const struct ckq_addr *addr,
		 const char *user, uint64_t expires, uint64_t now)
{
	uint32_t b = bucket_of(t, set, addr), *link = &t->head[b], i;
	struct holder *h;

	while ((i = *link) != NIL) {
		h = &t->h[i];
		if (h->expires <= now) {
			release(t, link, i);
			continue;
		}
		if (holder_is(h, set, addr) && !strcmp(h->user, user)) {
			h->expires = expires;
			return;
		}
		link = &t->next[i];
	}
	if (t->free == NIL)
		reclaim(t, now);
	i = t->free;
	t->free = t->next[i];
	h = &t->h[i];
	snprintf(h->set, sizeof(h->set), "%s", set);
	h->addr = *addr;
	snprintf(h->user, sizeof(h->user), "%s", user);
	h->expires = expires;
	t->bucket[i] = b;
	t->next[i] = t->head[b];
	t->head[b] = i;
}

struct holder *holdtab_next_of(struct holdtab *t, const char *user, size_t *i, uint64_t now)
{
	while (*i < t->cap) {
		struct holder *h = &t->h[(*i)++];

		if (t->bucket[*i - 1] != NIL && h->expires > now && !strcmp(h->user, user))
			return h;
	}
	return NULL;
}

void holdtab_forget(struct holdtab *t, struct holder *h)
{
	uint32_t i = (uint32_t)(h - t->h);

	if (t->bucket[i] != NIL)
		unlink_slot(t, i);
}
