/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ckqd/ckqd.h"
#include "tap.h"

/*
 * The oracle: the table as it was before the index, every operation a scan
 * of every slot. The indexed table must answer as it does, operation by
 * operation, with many holders per chain (a small table hashes into few
 * buckets), expiry, removal and a full table.
 */
struct oracle {
	struct holder *h;
	size_t cap;
};

static bool o_is(const struct holder *h, const char *set, const struct ckq_addr *addr)
{
	return h->expires && !strcmp(h->set, set) && addr_equal(&h->addr, addr);
}

static struct holder *o_longest(struct oracle *o, const char *set, const struct ckq_addr *addr,
				const char *not, uint64_t now)
{
	struct holder *best = NULL;

	for (size_t i = 0; i < o->cap; i++) {
		struct holder *h = &o->h[i];

		if (h->expires && h->expires <= now)
			h->expires = 0;
		if (!o_is(h, set, addr) || (not && !strcmp(h->user, not)))
			continue;
		if (!best || h->expires > best->expires)
			best = h;
	}
	return best;
}

static void o_drop(struct oracle *o, const char *set, const struct ckq_addr *addr, const char *user)
{
	for (size_t i = 0; i < o->cap; i++)
		if (o_is(&o->h[i], set, addr) && (!user || !strcmp(o->h[i].user, user)))
			o->h[i].expires = 0;
}

static void o_set(struct oracle *o, const char *set, const struct ckq_addr *addr,
		  const char *user, uint64_t expires, uint64_t now)
{
	struct holder *slot = NULL;

	for (size_t i = 0; i < o->cap; i++) {
		struct holder *h = &o->h[i];

		if (h->expires && h->expires <= now)
			h->expires = 0;
		if (o_is(h, set, addr) && !strcmp(h->user, user)) {
			slot = h;
			break;
		}
		if (!slot || (slot->expires && h->expires < slot->expires))
			slot = h;
	}
	snprintf(slot->set, sizeof(slot->set), "%s", set);
	slot->addr = *addr;
	snprintf(slot->user, sizeof(slot->user), "%s", user);
	slot->expires = expires;
}

static size_t o_live(const struct oracle *o, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < o->cap; i++)
		n += o->h[i].expires > now;
	return n;
}

static size_t t_live(struct holdtab *t, const char *user, uint64_t now)
{
	size_t i = 0, n = 0;

	while (holdtab_next_of(t, user, &i, now))
		n++;
	return n;
}

static const char *const sets[] = { "ckq-tcp-22", "ckq-tcp-443", "ckq6-tcp-22" };

/* Addresses alike but for their last bytes, and the same bytes in both families. */
static void addr_of(struct ckq_addr *a, uint32_t k)
{
	memset(a, 0, sizeof(*a));
	a->family = k & 1 ? CKQ_AF_INET6 : CKQ_AF_INET;
	if (a->family == CKQ_AF_INET6)
		memset(a->a, 0x20, 12);
	a->a[a->family == CKQ_AF_INET ? 2 : 14] = (uint8_t)(k >> 9);
	a->a[a->family == CKQ_AF_INET ? 3 : 15] = (uint8_t)(k >> 1);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

static bool same(const struct holder *a, const struct holder *b)
{
	if (!a || !b)
		return !a && !b;
	return a->expires == b->expires && !strcmp(a->user, b->user) && !strcmp(a->set, b->set) &&
	       addr_equal(&a->addr, &b->addr);
}

/*
 * ops random operations on `keys` (set, address) pairs and `users` users,
 * grants of 1 to span ticks (2^20 time units).
 * Every end is unique (the low bits count the operations), so "the
 * longest" and "the one that ends first" name one holder in both tables.
 */
static void differential(size_t cap, uint32_t keys, uint32_t users, int ops, uint32_t span)
{
	struct holdtab *t = holdtab_new(cap);
	struct oracle o = { calloc(cap, sizeof(struct holder)), cap };
	uint64_t now = 1 << 20;
	int bad = 0, i, closes = 0, evicted_checks = 0;

	if (!tap_ok(t && o.h, "a table of %zu slots", cap))
		exit(1);
	for (i = 1; i <= ops && !bad; i++) {
		uint32_t k = rnd(keys), op = rnd(100);
		const char *set = sets[k % 3];
		char user[16], not[16];
		struct ckq_addr a;

		addr_of(&a, k / 3);
		snprintf(user, sizeof(user), "u%u", (unsigned)rnd(users));
		snprintf(not, sizeof(not), "u%u", (unsigned)rnd(users));
		if (op < 60) {
			uint64_t exp = ((now >> 20) + 1 + rnd(span)) << 20 | (uint64_t)i;

			holdtab_set(t, set, &a, user, exp, now);
			o_set(&o, set, &a, user, exp, now);
		} else if (op < 70) {
			const char *who = rnd(2) ? user : NULL;

			holdtab_drop(t, set, &a, who);
			o_drop(&o, set, &a, who);
		} else if (op < 72) {
			/* engine_close_user's walk: every live holder of one user goes. */
			size_t j = 0;
			struct holder *h;

			while ((h = holdtab_next_of(t, user, &j, now)))
				holdtab_forget(t, h);
			for (size_t s = 0; s < o.cap; s++)
				if (o.h[s].expires > now && !strcmp(o.h[s].user, user))
					o.h[s].expires = 0;
			closes++;
			bad += t_live(t, user, now) != 0;
		} else if (op < 75 && rnd(2)) {
			now += (uint64_t)rnd(8) << 20;
		} else if (op < 75) {
			/* To the end of the first to end: the instant it stops holding. */
			uint64_t first = 0;

			for (size_t s = 0; s < o.cap; s++)
				if (o.h[s].expires > now && (!first || o.h[s].expires < first))
					first = o.h[s].expires;
			now = first ? first : now;
		}
		/* Every operation: one answer from each table, compared whole. */
		k = rnd(keys);
		addr_of(&a, k / 3);
		{
			const char *n = rnd(3) ? NULL : not;

			if (!same(holdtab_longest(t, sets[k % 3], &a, n, now),
				  o_longest(&o, sets[k % 3], &a, n, now))) {
				bad++;
				tap_ok(0, "op %d: the longest holder of key %u differs", i, k);
			}
		}
		if (!(i & 7) && o_live(&o, now) == cap)
			evicted_checks++;
	}
	/* The end: every key, every user's count of live holders. */
	for (uint32_t k = 0; k < keys && !bad; k++) {
		struct ckq_addr a;

		addr_of(&a, k / 3);
		if (!same(holdtab_longest(t, sets[k % 3], &a, NULL, now),
			  o_longest(&o, sets[k % 3], &a, NULL, now)))
			bad++;
	}
	for (uint32_t u = 0; u < users && !bad; u++) {
		char user[16];
		size_t n = 0;

		snprintf(user, sizeof(user), "u%u", (unsigned)u);
		for (size_t s = 0; s < o.cap; s++)
			n += o.h[s].expires > now && !strcmp(o.h[s].user, user);
		bad += t_live(t, user, now) != n;
	}
	tap_ok(!bad, "%zu slots, %u keys, %u users, %d operations: as the scanning table "
	       "(%d closes, full at %d of every 8th)", cap, keys, users, ops, closes, evicted_checks);
	holdtab_free(t);
	free(o.h);
}

int main(void)
{
	struct holdtab *t = holdtab_new(HOLDERS_MAX);
	struct ckq_addr a, b;
	char name[16];
	size_t i;

	/* The cases doc/protocol.md 3.7 names, by hand. */
	addr_parse("192.0.2.1", &a);
	addr_parse("192.0.2.2", &b);
	tap_ok(t != NULL, "a table of HOLDERS_MAX slots");
	tap_ok(!holdtab_longest(t, "ckq-tcp-22", &a, NULL, 100), "empty: nobody holds");
	holdtab_set(t, "ckq-tcp-22", &a, "alice", 200, 100);
	holdtab_set(t, "ckq-tcp-22", &a, "bob", 300, 100);
	holdtab_set(t, "ckq-tcp-443", &a, "carol", 900, 100);
	holdtab_set(t, "ckq-tcp-22", &b, "dave", 800, 100);
	tap_ok(!strcmp(holdtab_longest(t, "ckq-tcp-22", &a, NULL, 100)->user, "bob"),
	       "the longest of two holders of one entry");
	tap_ok(!strcmp(holdtab_longest(t, "ckq-tcp-22", &a, "bob", 100)->user, "alice"),
	       "the longest but for one user");
	holdtab_set(t, "ckq-tcp-22", &a, "bob", 150, 100);
	tap_ok(!strcmp(holdtab_longest(t, "ckq-tcp-22", &a, NULL, 100)->user, "alice"),
	       "a user's new grant replaces their own, even a shorter one");
	tap_ok(!strcmp(holdtab_longest(t, "ckq-tcp-22", &a, NULL, 160)->user, "alice") &&
	       !holdtab_longest(t, "ckq-tcp-22", &a, "alice", 160),
	       "an expired holder holds nothing");
	holdtab_drop(t, "ckq-tcp-22", &a, "alice");
	tap_ok(!holdtab_longest(t, "ckq-tcp-22", &a, NULL, 100) &&
	       holdtab_longest(t, "ckq-tcp-443", &a, NULL, 100) &&
	       holdtab_longest(t, "ckq-tcp-22", &b, NULL, 100),
	       "a drop takes that user's holder of that entry alone");
	holdtab_drop(t, "ckq-tcp-443", &a, NULL);
	tap_ok(!holdtab_longest(t, "ckq-tcp-443", &a, NULL, 100), "a drop of everyone");

	/* Full: HOLDERS_MAX live holders, then one more. */
	for (i = 0; i < HOLDERS_MAX; i++) {
		struct ckq_addr x;

		addr_of(&x, (uint32_t)i);
		snprintf(name, sizeof(name), "f%zu", i);
		holdtab_set(t, "ckq-tcp-8080", &x, name, 1000 + (i + 7) % HOLDERS_MAX, 100);
	}
	{
		struct ckq_addr first, x;
		size_t n = 0, j = 0;

		addr_of(&first, HOLDERS_MAX - 7);	/* ends at 1000: first */
		addr_of(&x, 5);
		tap_ok(holdtab_longest(t, "ckq-tcp-8080", &first, NULL, 100) != NULL,
		       "a full table holds them all");
		holdtab_set(t, "ckq-tcp-8080", &b, "late", 20000, 100);
		tap_ok(!holdtab_longest(t, "ckq-tcp-8080", &first, NULL, 100) &&
		       holdtab_longest(t, "ckq-tcp-8080", &x, NULL, 100) &&
		       holdtab_longest(t, "ckq-tcp-8080", &b, NULL, 100),
		       "past full, the holder that ends first is given up");
		while (holdtab_next_of(t, "late", &j, 100))
			n++;
		tap_ok(n == 1, "a user's holders, walked");
		/* All expired at 10000 but "late": room without giving up anyone. */
		holdtab_set(t, "ckq-tcp-22", &a, "again", 30000, 10000);
		tap_ok(holdtab_longest(t, "ckq-tcp-8080", &b, NULL, 10000) &&
		       holdtab_longest(t, "ckq-tcp-22", &a, NULL, 10000),
		       "expired holders make room before a live one is given up");
	}
	holdtab_free(t);

	/* Against the scanning table: long chains, a table often full, a large one. */
	differential(4, 40, 5, 20000, 200);
	differential(64, 300, 20, 20000, 200);
	differential(HOLDERS_MAX, 3 * 12000, 1000, 24000, 100000);
	return done_testing();
}
