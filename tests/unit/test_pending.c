/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "../../src/ckqd/ckqd.h"
#include "err.h"
#include "tap.h"

static void set_keys(struct pending_entry *e, uint32_t sid, uint32_t h1)
{
	/* Keys alike but for their last bytes: lookups must compare them whole. */
	memset(e->s.sid, 0xa5, CKQ_SID_LEN);
	memset(e->s.h1, 0x5a, CKQ_HASH_LEN);
	memcpy(e->s.sid + CKQ_SID_LEN - 4, &sid, 4);
	memcpy(e->s.h1 + CKQ_HASH_LEN - 4, &h1, 4);
}

static struct pending_entry *find_sid(struct pending *p, uint32_t k)
{
	struct pending_entry t;

	set_keys(&t, k, 0);
	return pending_by_sid(p, t.s.sid);
}

static struct pending_entry *find_h1(struct pending *p, uint32_t k)
{
	struct pending_entry t;

	set_keys(&t, 0, k);
	return pending_by_h1(p, t.s.h1);
}

static bool wiped(const struct pending_entry *e)
{
	static const uint8_t zero[CKQ_HASH_LEN];

	return e->used && !e->done && e->expires_ms == 0 &&
	       !memcmp(e->s.sid, zero, CKQ_SID_LEN) && !memcmp(e->s.h1, zero, CKQ_HASH_LEN);
}

static void test_basic(void)
{
	struct pending p;
	struct pending_entry *e, *first;
	uint8_t sid[CKQ_SID_LEN], h1[CKQ_HASH_LEN];
	bool evicted;
	size_t i;

	is_int(pending_init(&p, 4), 0, "init");
	for (i = 0; i < 4; i++) {
		e = pending_alloc(&p, 1000, &evicted);
		ok(e && !evicted, "slot %zu without eviction", i);
		memset(e->s.sid, (int)i + 1, CKQ_SID_LEN);
		memset(e->s.h1, (int)i + 0x10, CKQ_HASH_LEN);
		e->expires_ms = 2000 + i;
		pending_index(&p, e);
	}
	is_int(p.count, 4, "four pending");
	memset(sid, 3, sizeof(sid));
	e = pending_by_sid(&p, sid);
	ok(e && e->expires_ms == 2002, "found by session id");
	memset(h1, 0x11, sizeof(h1));
	e = pending_by_h1(&p, h1);
	ok(e && e->expires_ms == 2001, "found by message-1 digest");
	memset(sid, 9, sizeof(sid));
	ok(!pending_by_sid(&p, sid), "unknown session id not found");

	/* Full and nothing expired: the oldest goes, the table never grows. */
	e = pending_alloc(&p, 1500, &evicted);
	ok(evicted, "full table evicts");
	memset(sid, 1, sizeof(sid));
	ok(!pending_by_sid(&p, sid), "the oldest entry was the one evicted");
	memset(h1, 0x10, sizeof(h1));
	ok(!pending_by_h1(&p, h1), "the evicted entry left the digest index too");
	ok(e->s.sid[0] == 0 && e->expires_ms == 0, "an evicted slot is wiped");
	is_int(p.count, 4, "count stays at capacity");
	e->expires_ms = 5000;
	pending_index(&p, e);

	/* Past their expiry, entries make room without eviction. */
	first = pending_alloc(&p, 2001, &evicted);
	ok(first && !evicted, "an expired slot is reused");
	first->expires_ms = 4000;
	pending_index(&p, first);
	is_int(pending_expire(&p, 3000), 2, "expire drops what is past its time");
	is_int(p.count, 2, "two left");
	pending_release(&p, first);
	is_int(p.count, 1, "release");
	pending_release(&p, first);
	is_int(p.count, 1, "releasing a free slot again changes nothing");
	is_int(pending_expire(&p, 6000), 1, "the last one expires");
	is_int(p.count, 0, "empty");
	pending_free(&p);
	pending_free(&p);
	ok(1, "free is idempotent");
	is_int(pending_init(&p, 0), CKQ_ERR_RANGE, "an empty table is refused");
	pending_free(&p);
}

/* Thousands of allocations and releases through a small table. */
static void test_cycles(void)
{
	enum { CAP = 16, ROUNDS = 5000 };
	struct pending p;
	struct pending_entry *e;
	uint32_t live[CAP], k;
	size_t n = 0, i, bad = 0, lost = 0;
	bool evicted, any_evicted = false;

	is_int(pending_init(&p, CAP), 0, "cycles: init");
	for (k = 1; k <= ROUNDS; k++) {
		e = pending_alloc(&p, k, &evicted);
		any_evicted |= evicted;
		set_keys(e, k, k * 7919u);
		e->expires_ms = k + 100000;
		pending_index(&p, e);
		live[n++] = k;
		/* Release one entry in three, an old one, so holes move around. */
		if (k % 3 == 0) {
			i = (k / 3) % n;
			if ((e = find_sid(&p, live[i])))
				pending_release(&p, e);
			else
				lost++;
			live[i] = live[--n];
		}
		if (n == CAP - 1) {
			/* Never full: drop one, by its digest this time. */
			if ((e = find_h1(&p, live[0] * 7919u)))
				pending_release(&p, e);
			else
				lost++;
			live[0] = live[--n];
		}
	}
	is_int(lost, 0, "cycles: every entry found when released");
	ok(!any_evicted, "cycles: never full, never evicts");
	is_int(p.count, n, "cycles: count matches");
	for (i = 0; i < n; i++) {
		e = find_sid(&p, live[i]);
		if (!e || e != find_h1(&p, live[i] * 7919u))
			bad++;
	}
	is_int(bad, 0, "cycles: every live entry found by both keys");
	for (k = 1, bad = 0; k <= ROUNDS; k++) {
		bool is_live = false;

		for (i = 0; i < n; i++)
			is_live |= live[i] == k;
		if (!is_live && (find_sid(&p, k) || find_h1(&p, k * 7919u)))
			bad++;
	}
	is_int(bad, 0, "cycles: no released entry found");
	pending_free(&p);
}

static void test_eviction(void)
{
	/* Expiries out of allocation order: the smallest goes, not the first. */
	static const uint64_t exp[6] = { 5000, 3000, 9000, 2500, 7000, 2600 };
	struct pending p;
	struct pending_entry *e;
	bool evicted;
	size_t i, found;

	is_int(pending_init(&p, 6), 0, "eviction: init");
	for (i = 0; i < 6; i++) {
		e = pending_alloc(&p, 1000, &evicted);
		set_keys(e, (uint32_t)i, (uint32_t)i);
		e->expires_ms = exp[i];
		pending_index(&p, e);
	}
	e = pending_alloc(&p, 1000, &evicted);
	ok(evicted && wiped(e), "eviction: full table evicts, slot wiped");
	ok(!find_sid(&p, 3) && !find_h1(&p, 3), "eviction: the first to expire went");
	set_keys(e, 10, 10);
	e->expires_ms = 10000;
	pending_index(&p, e);
	e = pending_alloc(&p, 1000, &evicted);
	ok(evicted && !find_sid(&p, 5), "eviction: then the next to expire");
	set_keys(e, 11, 11);
	e->expires_ms = 10000;
	pending_index(&p, e);
	for (i = found = 0; i < 6; i++)
		found += find_sid(&p, (uint32_t)i) != NULL;
	is_int(found, 4, "eviction: the others stay");

	/* Allocated late but expired: it makes room, not the first allocated. */
	e = find_sid(&p, 2);
	e->expires_ms = 1500;
	pending_index(&p, e);
	e = pending_alloc(&p, 2000, &evicted);
	ok(!evicted && !find_sid(&p, 2), "expired: reused before evicting anyone");
	set_keys(e, 12, 12);
	e->expires_ms = 10000;
	pending_index(&p, e);
	e = pending_alloc(&p, 3000, &evicted);
	ok(!evicted && !find_sid(&p, 1) && find_sid(&p, 0), "expired: the expired one, only");
	pending_release(&p, e);
	e = pending_alloc(&p, 3000, &evicted);
	ok(!evicted && wiped(e), "expired: a released slot is free again");
	/* Not indexed yet, yet it expires first: it is the one evicted. */
	e->expires_ms = 3500;
	e = pending_alloc(&p, 3000, &evicted);
	ok(evicted && wiped(e) && p.count == 6, "unindexed: evicted on its expiry");
	ok(find_sid(&p, 0) && find_sid(&p, 4) && find_sid(&p, 10) && find_sid(&p, 11) &&
	   find_sid(&p, 12), "unindexed: the indexed ones stay");
	pending_free(&p);
}

static void test_release(void)
{
	struct pending p;
	struct pending_entry *a, *b, *c;
	bool evicted;

	is_int(pending_init(&p, 8), 0, "release: init");
	a = pending_alloc(&p, 0, &evicted);
	b = pending_alloc(&p, 0, &evicted);
	c = pending_alloc(&p, 0, &evicted);
	set_keys(a, 1, 2);
	set_keys(b, 1, 3);	/* the same session id as a */
	set_keys(c, 4, 2);	/* the same digest as a */
	a->expires_ms = b->expires_ms = c->expires_ms = 100;
	pending_index(&p, a);
	pending_index(&p, b);
	pending_index(&p, c);
	ok(find_sid(&p, 1) == a || find_sid(&p, 1) == b, "release: a shared id finds one of its two");
	pending_release(&p, a);
	ok(find_sid(&p, 1) == b, "release: gone from the id index, the other found");
	ok(find_h1(&p, 2) == c, "release: gone from the digest index, the other found");
	ok(find_h1(&p, 3) == b && find_sid(&p, 4) == c, "release: the rest untouched");
	pending_release(&p, b);
	pending_release(&p, c);
	ok(!find_sid(&p, 1) && !find_sid(&p, 4) && !find_h1(&p, 2) && !find_h1(&p, 3),
	   "release: an empty table finds nothing");

	/* Keys changed after indexing: indexing again moves the entry. */
	a = pending_alloc(&p, 0, &evicted);
	set_keys(a, 20, 21);
	pending_index(&p, a);
	set_keys(a, 22, 23);
	pending_index(&p, a);
	ok(find_sid(&p, 22) == a && find_h1(&p, 23) == a, "reindex: found by the new keys");
	ok(!find_sid(&p, 20) && !find_h1(&p, 21), "reindex: not by the old ones");
	pending_release(&p, a);
	ok(!find_sid(&p, 22) && !find_h1(&p, 23) && p.count == 0, "reindex: released whole");

	/* An entry not yet indexed is not found, and leaves cleanly. */
	a = pending_alloc(&p, 0, &evicted);
	set_keys(a, 30, 31);
	ok(!find_sid(&p, 30) && !find_h1(&p, 31), "unindexed: not found");
	pending_release(&p, a);
	is_int(p.count, 0, "unindexed: released");
	pending_free(&p);
}

/*
 * 256 keys in 256 buckets share some bucket but with probability 1e-110,
 * so a full table has chains longer than one whatever the hash key.
 */
static void test_full_collisions(void)
{
	enum { CAP = 256 };
	struct pending p;
	struct pending_entry *e, *ent[CAP];
	size_t i, bad = 0;
	bool evicted, any = false;

	is_int(pending_init(&p, CAP), 0, "full: init");
	for (i = 0; i < CAP; i++) {
		ent[i] = e = pending_alloc(&p, 0, &evicted);
		any |= evicted;
		set_keys(e, (uint32_t)i << 24, (uint32_t)i << 24);
		e->expires_ms = 1000;
		pending_index(&p, e);
	}
	ok(!any && p.count == CAP, "full: filled without eviction");
	for (i = 0; i < CAP; i++)
		if (find_sid(&p, (uint32_t)i << 24) != ent[i] ||
		    find_h1(&p, (uint32_t)i << 24) != ent[i])
			bad++;
	is_int(bad, 0, "full: every entry found by both keys");
	ok(!find_sid(&p, 1) && !find_h1(&p, 1), "full: a near miss not found");
	/* Equal expiries: the first allocated goes first. */
	e = pending_alloc(&p, 0, &evicted);
	ok(evicted && e == ent[0], "full: ties evict in allocation order");
	pending_free(&p);
}

/* A naive linear model of the table, slot for slot. */
struct model {
	bool used, indexed;
	uint32_t sid, h1;
	uint64_t expires;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static void test_differential(void)
{
	enum { CAP = 24, OPS = 40000, KEYS = 40 };
	struct pending p;
	struct model m[CAP];
	struct pending_entry *e;
	uint64_t now = 1000, min, timeout = 300;
	size_t i, n = 0, slot, fails = 0, evictions = 0, reuses = 0, hits = 0, expired;
	uint32_t op, k;
	bool evicted, any_exp, want;

	memset(m, 0, sizeof(m));
	is_int(pending_init(&p, CAP), 0, "model: init");
	for (op = 0; op < OPS && fails < 10; op++) {
		now += rnd(40);
		/* Short lifetimes reuse expired slots, long ones fill the table. */
		if (op % 2000 == 0)
			timeout = timeout == 300 ? 3000 : 300;
		switch (rnd(10)) {
		case 0: case 1: case 2: case 3:
			e = pending_alloc(&p, now, &evicted);
			slot = (size_t)(e - p.e);
			min = UINT64_MAX;
			any_exp = false;
			for (i = 0; i < CAP; i++)
				if (m[i].used) {
					any_exp |= m[i].expires <= now;
					if (m[i].expires < min)
						min = m[i].expires;
				}
			if (n < CAP)
				want = !evicted && (!m[slot].used || m[slot].expires <= now);
			else if (any_exp)
				want = !evicted && m[slot].expires <= now;
			else
				want = evicted && m[slot].expires == min;
			if (!want || !wiped(e)) {
				fails++;
				printf("# op %u: alloc gave slot %zu evicted=%d (n=%zu)\n",
				       op, slot, evicted, n);
			}
			evictions += evicted;
			reuses += m[slot].used && !evicted;
			if (!m[slot].used)
				n++;
			m[slot].used = true;
			m[slot].indexed = false;
			m[slot].sid = rnd(KEYS);
			m[slot].h1 = rnd(KEYS);
			/* Mostly in allocation order, as in ckqd; not always. */
			m[slot].expires = now + (rnd(4) ? timeout : rnd(2 * timeout));
			set_keys(e, m[slot].sid, m[slot].h1);
			e->expires_ms = m[slot].expires;
			if (rnd(8)) {
				pending_index(&p, e);
				m[slot].indexed = true;
			}
			break;
		case 4:
			slot = rnd(CAP);
			if (m[slot].used && rnd(2)) {
				/* Index late, or again with changed keys and expiry. */
				m[slot].sid = rnd(KEYS);
				m[slot].expires = now + rnd(2 * timeout);
				set_keys(&p.e[slot], m[slot].sid, m[slot].h1);
				p.e[slot].expires_ms = m[slot].expires;
				pending_index(&p, &p.e[slot]);
				m[slot].indexed = true;
				break;
			}
			pending_release(&p, &p.e[slot]);
			if (m[slot].used)
				n--;
			memset(&m[slot], 0, sizeof(m[slot]));
			break;
		case 5:
			if (rnd(8))
				break;
			for (i = expired = 0; i < CAP; i++)
				if (m[i].used && m[i].expires <= now) {
					memset(&m[i], 0, sizeof(m[i]));
					expired++;
					n--;
				}
			if (pending_expire(&p, now) != expired) {
				fails++;
				printf("# op %u: expire count differs\n", op);
			}
			break;
		default:
			k = rnd(KEYS);
			if (rnd(2)) {
				e = find_sid(&p, k);
				for (i = 0, want = false; i < CAP; i++)
					want |= m[i].used && m[i].indexed && m[i].sid == k;
				slot = e ? (size_t)(e - p.e) : 0;
				if (e ? !want || !m[slot].used || !m[slot].indexed ||
					m[slot].sid != k : want) {
					fails++;
					printf("# op %u: sid lookup %u differs\n", op, k);
				}
			} else {
				e = find_h1(&p, k);
				for (i = 0, want = false; i < CAP; i++)
					want |= m[i].used && m[i].indexed && m[i].h1 == k;
				slot = e ? (size_t)(e - p.e) : 0;
				if (e ? !want || !m[slot].used || !m[slot].indexed ||
					m[slot].h1 != k : want) {
					fails++;
					printf("# op %u: h1 lookup %u differs\n", op, k);
				}
			}
			hits += e != NULL;
			break;
		}
		if (p.count != n) {
			fails++;
			printf("# op %u: count %zu, model %zu\n", op, p.count, n);
		}
	}
	is_int(fails, 0, "model: %u operations agree with the linear model", op);
	/* Or the run did not reach the paths it is meant to. */
	ok(evictions > 100 && reuses > 100 && hits > 1000,
	   "model: %zu evictions, %zu expired reuses, %zu hits", evictions, reuses, hits);
	pending_free(&p);
}

int main(void)
{
	test_basic();
	test_cycles();
	test_eviction();
	test_release();
	test_full_collisions();
	test_differential();
	return done_testing();
}
