/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "srclimit.h"

#define PROBE 8

struct bucket {
	uint8_t key[17];	/* family + address (IPv6: the /64) */
	bool used;
	uint32_t milli_tokens;	/* tokens x 1000, for sub-token refills */
	uint64_t last_ms;
};

struct srclimit {
	struct bucket *b;
	size_t mask;
	uint32_t burst, per_sec;
	uint8_t hash_key[16];
};

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND do {							\
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);	\
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);	\
} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8), m, b = (uint64_t)len << 56;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (m = 0; left > 0; left--)
		m |= (uint64_t)in[i + left - 1] << (8 * (left - 1));
	b |= m;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct srclimit *srclimit_new(size_t capacity, uint32_t burst, uint32_t per_sec)
{
	struct srclimit *s;
	size_t n = PROBE;

	if (capacity == 0 || capacity > ((size_t)1 << 24) || burst == 0) {
		errno = EINVAL;
		return NULL;
	}
	while (n < capacity)
		n <<= 1;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->b = calloc(n, sizeof(*s->b));
	if (!s->b || ckq_random(s->hash_key, sizeof(s->hash_key)) < 0) {
		free(s->b);
		free(s);
		return NULL;
	}
	s->mask = n - 1;
	s->burst = burst;
	s->per_sec = per_sec;
	return s;
}

void srclimit_free(struct srclimit *s)
{
	if (!s)
		return;
	free(s->b);
	free(s);
}

size_t srclimit_memory(const struct srclimit *s)
{
	return sizeof(*s) + (s->mask + 1) * sizeof(*s->b);
}

static void refill(const struct srclimit *s, struct bucket *b, uint64_t now_ms)
{
	uint64_t full = (uint64_t)s->burst * 1000, add;

	if (now_ms <= b->last_ms)
		return;
	add = (now_ms - b->last_ms) * s->per_sec;
	b->milli_tokens = b->milli_tokens + add >= full ? (uint32_t)full
							: (uint32_t)(b->milli_tokens + add);
	b->last_ms = now_ms;
}

/*
 * Which slot a new source takes: a free one, else one whose bucket is full
 * (it holds no state: it behaves as a new source would), else the least
 * recently seen. The table never grows and a lookup reads PROBE slots.
 */
static int rank(const struct srclimit *s, const struct bucket *b)
{
	if (!b->used)
		return 0;
	return b->milli_tokens >= s->burst * 1000 ? 1 : 2;
}

bool srclimit_take(struct srclimit *s, const struct ckq_addr *src, uint64_t now_ms)
{
	struct bucket *victim = NULL;
	uint8_t key[17] = { 0 };
	size_t i, h;

	key[0] = src->family;
	memcpy(key + 1, src->a, src->family == CKQ_AF_INET6 ? 8 : 4);
	h = (size_t)siphash24(s->hash_key, key, sizeof(key));
	for (i = 0; i < PROBE; i++) {
		struct bucket *b = &s->b[(h + i) & s->mask];

		if (b->used && !memcmp(b->key, key, sizeof(key))) {
			victim = b;
			goto found;
		}
		if (b->used)
			refill(s, b, now_ms);
		if (!victim || rank(s, b) < rank(s, victim) ||
		    (rank(s, b) == rank(s, victim) && b->last_ms < victim->last_ms))
			victim = b;
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, sizeof(key));
	victim->used = true;
	victim->milli_tokens = s->burst * 1000;
	victim->last_ms = now_ms;
found:
	refill(s, victim, now_ms);
	if (victim->milli_tokens < 1000)
		return false;
	victim->milli_tokens -= 1000;
	return true;
}
