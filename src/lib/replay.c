/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "replay.h"

#define REC_LEN (REPLAY_DIGEST_LEN + 8)
#define HDR_LEN 16
#define IO_RECS 64

static const uint8_t replay_magic[8] = "CKQRPL1";

struct replay_slot {
	uint8_t digest[REPLAY_DIGEST_LEN];
	uint64_t expires;	/* 0: empty; entries always expire after now >= 0 */
	bool pending;		/* added by a replay_load not finished yet */
};

/*
 * Linear probing in a table at most half full, with backward-shift
 * deletion so that no tombstones lengthen the probes over time.
 */
struct replay {
	struct replay_slot *slot;
	size_t mask;
	size_t cap;
	size_t count;
	uint64_t min_expires;	/* no entry expires before this */
};

enum sweep_mode { SWEEP_KEEP, SWEEP_COMMIT, SWEEP_ROLLBACK };

struct replay *replay_new(size_t capacity)
{
	struct replay *r;
	size_t size = 1;

	if (!capacity || capacity > SIZE_MAX / 4 / sizeof(struct replay_slot)) {
		errno = EINVAL;
		return NULL;
	}
	while (size < 2 * capacity)
		size <<= 1;
	if (!(r = calloc(1, sizeof(*r))))
		return NULL;
	if (!(r->slot = calloc(size, sizeof(*r->slot)))) {
		free(r);
		return NULL;
	}
	r->mask = size - 1;
	r->cap = capacity;
	r->min_expires = UINT64_MAX;
	return r;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	free(r->slot);
	free(r);
}

size_t replay_count(const struct replay *r)
{
	return r ? r->count : 0;
}

static size_t slot_home(const struct replay *r, const uint8_t *d)
{
	uint64_t h;

	memcpy(&h, d, sizeof(h));
	return (size_t)h & r->mask;
}

/* The slot holding d, or the empty slot that ends its probe. */
static size_t slot_find(const struct replay *r, const uint8_t *d)
{
	size_t i = slot_home(r, d), n;

	for (n = 0; n <= r->mask; n++, i = (i + 1) & r->mask)
		if (!r->slot[i].expires || !memcmp(r->slot[i].digest, d, REPLAY_DIGEST_LEN))
			return i;
	return SIZE_MAX;	/* unreachable: half the slots are empty */
}

static void slot_remove(struct replay *r, size_t i)
{
	size_t j = i, n;

	for (n = 0; n < r->mask; n++) {
		j = (j + 1) & r->mask;
		if (!r->slot[j].expires)
			break;
		/* An entry whose home lies in (i, j] would be lost before i. */
		if (((j - slot_home(r, r->slot[j].digest)) & r->mask) < ((j - i) & r->mask))
			continue;
		r->slot[i] = r->slot[j];
		i = j;
	}
	memset(&r->slot[i], 0, sizeof(r->slot[i]));
	r->count--;
}

/*
 * Entries only move backwards past the hole, into slots not visited yet,
 * so one pass that re-reads a slot after each removal sees every entry.
 */
static void replay_sweep(struct replay *r, uint64_t now, enum sweep_mode mode)
{
	uint64_t min = UINT64_MAX;
	size_t i = 0, n, limit = r->mask + 1 + r->count;
	struct replay_slot *s;

	for (n = 0; n < limit && i <= r->mask; n++) {
		s = &r->slot[i];
		if (s->expires && (s->expires <= now || (s->pending && mode == SWEEP_ROLLBACK))) {
			slot_remove(r, i);
			continue;
		}
		if (s->expires && s->expires < min)
			min = s->expires;
		/* Only where set: touching every slot would make the table resident. */
		if (mode == SWEEP_COMMIT && s->pending)
			s->pending = false;
		i++;
	}
	r->min_expires = min;
}

void replay_expire(struct replay *r, uint64_t now)
{
	if (r)
		replay_sweep(r, now, SWEEP_KEEP);
}

static int replay_insert(struct replay *r, const uint8_t *d, uint64_t now,
			 uint64_t expires, bool pending)
{
	size_t i;

	if (expires <= now)
		return CKQ_ERR_STALE;
	if ((i = slot_find(r, d)) == SIZE_MAX)
		return CKQ_ERR_INTERNAL;
	if (r->slot[i].expires > now)
		return CKQ_ERR_REPLAY;
	if (!r->slot[i].expires && r->count >= r->cap) {
		/* Nothing can have expired yet: spare the sweep under a flood. */
		if (now < r->min_expires)
			return CKQ_ERR_FULL;
		replay_sweep(r, now, SWEEP_KEEP);
		if (r->count >= r->cap)
			return CKQ_ERR_FULL;
		if ((i = slot_find(r, d)) == SIZE_MAX)
			return CKQ_ERR_INTERNAL;
	}
	if (!r->slot[i].expires)
		r->count++;
	memcpy(r->slot[i].digest, d, REPLAY_DIGEST_LEN);
	r->slot[i].expires = expires;
	r->slot[i].pending = pending;
	if (expires < r->min_expires)
		r->min_expires = expires;
	return 0;
}

int replay_check_add(struct replay *r, const uint8_t digest[static REPLAY_DIGEST_LEN],
		     uint64_t now, uint64_t expires)
{
	if (!r)
		return CKQ_ERR_INTERNAL;
	return replay_insert(r, digest, now, expires, false);
}

bool replay_contains(struct replay *r, const uint8_t digest[static REPLAY_DIGEST_LEN],
		     uint64_t now)
{
	size_t i;

	if (!r || (i = slot_find(r, digest)) == SIZE_MAX || !r->slot[i].expires)
		return false;
	if (r->slot[i].expires > now)
		return true;
	slot_remove(r, i);
	return false;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CKQ_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until n bytes or end of file; returns the count or -1. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int replay_save(const struct replay *r, int fd, uint64_t now)
{
	uint8_t buf[IO_RECS * REC_LEN];
	struct wbuf w = wbuf_init(buf, sizeof(buf));
	uint64_t live = 0;
	size_t i;
	int rc;

	if (!r)
		return CKQ_ERR_INTERNAL;
	for (i = 0; i <= r->mask; i++)
		if (r->slot[i].expires > now)
			live++;
	wbuf_put(&w, replay_magic, sizeof(replay_magic));
	wbuf_u64(&w, live);
	for (i = 0; i <= r->mask; i++) {
		if (r->slot[i].expires <= now)
			continue;
		if (w.cap - w.len < REC_LEN) {
			if ((rc = write_full(fd, buf, w.len)) < 0)
				return rc;
			w = wbuf_init(buf, sizeof(buf));
		}
		wbuf_put(&w, r->slot[i].digest, REPLAY_DIGEST_LEN);
		wbuf_u64(&w, r->slot[i].expires);
	}
	if (w.err)
		return CKQ_ERR_INTERNAL;
	return write_full(fd, buf, w.len);
}

int replay_save_mem(const struct replay *r, uint64_t now, uint8_t **out, size_t *len)
{
	struct wbuf w;
	uint64_t live = 0;
	uint8_t *buf;
	size_t i, size;

	if (!r)
		return CKQ_ERR_INTERNAL;
	for (i = 0; i <= r->mask; i++)
		if (r->slot[i].expires > now)
			live++;
	size = HDR_LEN + (size_t)live * REC_LEN;
	buf = malloc(size);
	if (!buf)
		return CKQ_ERR_NOMEM;
	w = wbuf_init(buf, size);
	wbuf_put(&w, replay_magic, sizeof(replay_magic));
	wbuf_u64(&w, live);
	for (i = 0; i <= r->mask; i++) {
		if (r->slot[i].expires <= now)
			continue;
		wbuf_put(&w, r->slot[i].digest, REPLAY_DIGEST_LEN);
		wbuf_u64(&w, r->slot[i].expires);
	}
	if (w.err || w.len != size) {
		free(buf);
		return CKQ_ERR_INTERNAL;
	}
	*out = buf;
	*len = size;
	return 0;
}

/*
 * Records go in marked pending and are dropped again if anything later in
 * the file is wrong, so a damaged file never half-fills the table.
 */
int replay_load(struct replay *r, int fd, uint64_t now)
{
	uint8_t buf[IO_RECS * REC_LEN];
	const uint8_t *magic, *d;
	struct replay_slot *s;
	uint64_t left, n, k, exp;
	struct cur c;
	bool full = false;
	ssize_t got;
	int rc = 0;

	if (!r)
		return CKQ_ERR_INTERNAL;
	if ((got = read_full(fd, buf, HDR_LEN)) < 0)
		return CKQ_ERR_IO;
	c = cur_init(buf, (size_t)got);
	magic = cur_take(&c, sizeof(replay_magic));
	left = cur_u64(&c);
	if (c.err || memcmp(magic, replay_magic, sizeof(replay_magic)))
		return CKQ_ERR_FORMAT;

	for (; left && !rc; left -= n) {
		n = left < IO_RECS ? left : IO_RECS;
		if ((got = read_full(fd, buf, (size_t)n * REC_LEN)) < 0) {
			rc = CKQ_ERR_IO;
			break;
		}
		c = cur_init(buf, (size_t)got);
		for (k = 0; k < n && !rc; k++) {
			d = cur_take(&c, REPLAY_DIGEST_LEN);
			exp = cur_u64(&c);
			if (c.err)
				rc = CKQ_ERR_FORMAT;
			else if (exp > now && !full)
				rc = replay_insert(r, d, now, exp, true);
			/* Read on: a damaged file should say so, not that r is full. */
			if (rc == CKQ_ERR_FULL) {
				full = true;
				rc = 0;
			}
			if (rc != CKQ_ERR_REPLAY)
				continue;
			/* replay_save never writes a digest twice. */
			s = &r->slot[slot_find(r, d)];
			if (s->pending) {
				rc = CKQ_ERR_FORMAT;
			} else {
				if (exp > s->expires)
					s->expires = exp;
				rc = 0;
			}
		}
	}
	if (!rc) {
		if ((got = read_full(fd, buf, 1)) < 0)
			rc = CKQ_ERR_IO;
		else if (got)
			rc = CKQ_ERR_FORMAT;
		else if (full)
			rc = CKQ_ERR_FULL;
	}
	replay_sweep(r, now, rc ? SWEEP_ROLLBACK : SWEEP_COMMIT);
	return rc;
}
