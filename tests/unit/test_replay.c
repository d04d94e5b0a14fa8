/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "err.h"
#include "replay.h"
#include "tap.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
	/* splitmix64: reproducible, so a failure can be replayed. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rand_digest(uint8_t d[REPLAY_DIGEST_LEN])
{
	uint64_t v;
	int i;

	for (i = 0; i < REPLAY_DIGEST_LEN; i += 8) {
		v = rng();
		memcpy(d + i, &v, 8);
	}
}

/* A digest whose first 8 bytes, the hash, are chosen. */
static void fixed_digest(uint8_t d[REPLAY_DIGEST_LEN], uint64_t hash, uint8_t tag)
{
	memset(d, 0, REPLAY_DIGEST_LEN);
	memcpy(d, &hash, 8);
	d[REPLAY_DIGEST_LEN - 1] = tag;
}

static void test_basic(void)
{
	struct replay *r = replay_new(4);
	uint8_t a[REPLAY_DIGEST_LEN], b[REPLAY_DIGEST_LEN];

	if (!r)
		bail_out("replay_new");
	errno = 0;
	ok(replay_new(0) == NULL && errno == EINVAL, "capacity 0 refused, errno EINVAL");
	ok(replay_new(SIZE_MAX) == NULL, "absurd capacity refused");
	replay_free(NULL);

	rand_digest(a);
	rand_digest(b);
	ok(!replay_contains(r, a, 100), "empty table holds nothing");
	is_int(replay_check_add(r, a, 100, 200), 0, "first sight is added");
	is_int(replay_check_add(r, a, 100, 300), CKQ_ERR_REPLAY, "repeat refused");
	is_int(replay_check_add(r, a, 199, 300), CKQ_ERR_REPLAY, "repeat refused until expiry");
	ok(replay_contains(r, a, 199), "contains while live");
	ok(!replay_contains(r, b, 199), "does not contain another digest");
	ok(!replay_contains(r, a, 200), "forgotten at its expiry");
	is_int(replay_count(r), 0, "the expired entry was dropped on lookup");
	is_int(replay_check_add(r, a, 200, 260), 0, "added again after expiry");
	is_int(replay_check_add(r, a, 259, 300), CKQ_ERR_REPLAY, "and refused again");
	is_int(replay_check_add(r, a, 260, 300), 0, "an expired entry is replaced in place");
	is_int(replay_count(r), 1, "count after in-place replacement");
	is_int(replay_check_add(r, b, 300, 300), CKQ_ERR_STALE, "expires == now refused");
	is_int(replay_check_add(r, b, 300, 10), CKQ_ERR_STALE, "expiry in the past refused");
	ok(!replay_contains(r, b, 0), "a refused digest is not stored");
	replay_free(r);
}

static void test_full(void)
{
	struct replay *r = replay_new(4);
	uint8_t d[7][REPLAY_DIGEST_LEN];
	int i;

	if (!r)
		bail_out("replay_new");
	for (i = 0; i < 7; i++)
		rand_digest(d[i]);
	for (i = 0; i < 4; i++)
		is_int(replay_check_add(r, d[i], 0, i < 2 ? 50 : 1000), 0, "fill %d", i);
	is_int(replay_check_add(r, d[4], 10, 1000), CKQ_ERR_FULL, "full table refuses");
	is_int(replay_check_add(r, d[4], 49, 1000), CKQ_ERR_FULL, "still full before expiry");
	for (i = 0; i < 4; i++)
		ok(replay_contains(r, d[i], 49), "no live entry evicted (%d)", i);
	ok(!replay_contains(r, d[4], 49), "refused digest not stored");
	is_int(replay_check_add(r, d[4], 50, 1000), 0, "expired entries make room");
	is_int(replay_check_add(r, d[5], 50, 1000), 0, "for a second one too");
	is_int(replay_check_add(r, d[6], 50, 1000), CKQ_ERR_FULL, "then full again");
	is_int(replay_count(r), 4, "count at capacity");
	is_int(replay_check_add(r, d[3], 50, 2000), CKQ_ERR_REPLAY,
	       "a full table still reports a replay as such");
	replay_expire(r, 1000);
	is_int(replay_count(r), 0, "replay_expire drops everything expired");
	replay_free(r);
}

/* Many digests with one home, wrapping around the end of the table. */
static void test_collisions(void)
{
	struct replay *r = replay_new(8);	/* 16 slots */
	uint8_t d[8][REPLAY_DIGEST_LEN];
	uint64_t hash[8] = { 15, 15, 15, 0, 15, 1, 14, 0 };
	int i, k, good;

	if (!r)
		bail_out("replay_new");
	for (i = 0; i < 8; i++) {
		fixed_digest(d[i], hash[i], (uint8_t)i);
		is_int(replay_check_add(r, d[i], 0, 10 + (uint64_t)i), 0, "colliding add %d", i);
	}
	/* Remove them one at a time, oldest first, checking the rest each time. */
	for (k = 0; k < 8; k++) {
		good = !replay_contains(r, d[k], 10 + (uint64_t)k);
		for (i = k + 1; i < 8; i++)
			good &= replay_contains(r, d[i], 10 + (uint64_t)k);
		for (i = 0; i <= k; i++)
			good &= !replay_contains(r, d[i], 10 + (uint64_t)k);
		ok(good, "after dropping %d of a colliding run the rest are found", k + 1);
	}
	is_int(replay_count(r), 0, "all dropped");

	/* The same through one sweep, removing every other entry. */
	for (i = 0; i < 8; i++)
		replay_check_add(r, d[i], 100, i % 2 ? 200 : 150);
	replay_expire(r, 150);
	is_int(replay_count(r), 4, "sweep over a wrapped run");
	good = 1;
	for (i = 0; i < 8; i++)
		good &= replay_contains(r, d[i], 150) == (i % 2 == 1);
	ok(good, "sweep kept exactly the live half");
	replay_free(r);
}

static int mem_file(const void *p, size_t n)
{
	int fd = memfd_create("replay", 0);

	if (fd < 0)
		bail_out("memfd_create");
	if (n && write(fd, p, n) != (ssize_t)n)
		bail_out("write");
	if (lseek(fd, 0, SEEK_SET) != 0)
		bail_out("lseek");
	return fd;
}

static size_t file_bytes(int fd, uint8_t *out, size_t cap)
{
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) != 0)
		bail_out("lseek");
	n = read(fd, out, cap);
	if (n < 0)
		bail_out("read");
	return (size_t)n;
}

static int load_bytes(struct replay *r, const uint8_t *p, size_t n, uint64_t now)
{
	int fd = mem_file(p, n), rc;

	rc = replay_load(r, fd, now);
	close(fd);
	return rc;
}

#define NSAVE 100

static void test_save_load(void)
{
	struct replay *r = replay_new(NSAVE), *r2;
	static uint8_t d[NSAVE][REPLAY_DIGEST_LEN], file[16 + NSAVE * 40 + 64], bad[sizeof(file)];
	uint8_t x[REPLAY_DIGEST_LEN];
	size_t len, i, cut;
	int fd, good, rc;

	if (!r)
		bail_out("replay_new");
	for (i = 0; i < NSAVE; i++) {
		rand_digest(d[i]);
		if (replay_check_add(r, d[i], 0, 10 + i) < 0)
			bail_out("replay_check_add");
	}
	fd = mem_file(NULL, 0);
	is_int(replay_save(r, fd, 5), 0, "save");
	len = file_bytes(fd, file, sizeof(file));
	close(fd);
	is_int(len, 16 + NSAVE * 40, "file size");
	ok(!memcmp(file, "CKQRPL1\0\0\0\0\0\0\0\0\x64", 16), "file header");

	{
		uint8_t *mem = NULL;
		size_t mlen = 0;

		is_int(replay_save_mem(r, 5, &mem, &mlen), 0, "save to memory");
		ok(mlen == len && mem && !memcmp(mem, file, len),
		   "the same bytes as the file (%zu)", mlen);
		free(mem);
	}

	/* Only what is live at the time of saving is written. */
	fd = mem_file(NULL, 0);
	is_int(replay_save(r, fd, 59), 0, "save later");
	len = file_bytes(fd, bad, sizeof(bad));
	close(fd);
	is_int(len, 16 + (NSAVE - 50) * 40, "expired entries not saved");

	r2 = replay_new(NSAVE);
	is_int(load_bytes(r2, file, 16 + NSAVE * 40, 5), 0, "load");
	is_int(replay_count(r2), NSAVE, "all loaded");
	good = 1;
	for (i = 0; i < NSAVE; i++)
		good &= replay_contains(r2, d[i], 5) && !replay_contains(r2, d[i], 10 + i);
	ok(good, "every digest loaded with its expiry");
	replay_free(r2);

	r2 = replay_new(NSAVE);
	is_int(load_bytes(r2, file, 16 + NSAVE * 40, 39), 0, "load later");
	is_int(replay_count(r2), NSAVE - 30, "records expired by then skipped");
	is_int(replay_check_add(r2, d[30], 39, 1000), CKQ_ERR_REPLAY, "loaded digest is a replay");
	is_int(replay_check_add(r2, d[29], 39, 1000), 0, "skipped digest is new");
	replay_free(r2);

	/* Malformed files change nothing in a table already holding x. */
	len = 16 + NSAVE * 40;
	r2 = replay_new(NSAVE);
	rand_digest(x);
	replay_check_add(r2, x, 0, 1000);
	good = 1;
	for (cut = 0; cut < len; cut++) {
		rc = load_bytes(r2, file, cut, 5);
		good &= rc == CKQ_ERR_FORMAT && replay_count(r2) == 1;
	}
	ok(good, "every truncation refused, table untouched");

	memcpy(bad, file, len);
	bad[0] = 'X';
	is_int(load_bytes(r2, bad, len, 5), CKQ_ERR_FORMAT, "bad magic refused");
	memcpy(bad, file, len);
	bad[6] = '2';
	is_int(load_bytes(r2, bad, len, 5), CKQ_ERR_FORMAT, "other version refused");
	memcpy(bad, file, len);
	bad[15]++;
	is_int(load_bytes(r2, bad, len, 5), CKQ_ERR_FORMAT, "count too large refused");
	bad[15] -= 2;
	is_int(load_bytes(r2, bad, len, 5), CKQ_ERR_FORMAT, "count too small refused");
	memcpy(bad, file, len);
	memset(bad + 8, 0xff, 8);
	is_int(load_bytes(r2, bad, len, 5), CKQ_ERR_FORMAT, "count 2^64-1 refused");
	memcpy(bad, file, len);
	bad[len] = 0;
	is_int(load_bytes(r2, bad, len + 1, 5), CKQ_ERR_FORMAT, "trailing byte refused");
	memcpy(bad, file, len);
	memcpy(bad + 16 + 99 * 40, bad + 16 + 98 * 40, 40);
	is_int(load_bytes(r2, bad, len, 5), CKQ_ERR_FORMAT, "duplicate record refused");
	is_int(replay_count(r2), 1, "table untouched by any of those");
	ok(replay_contains(r2, x, 5) && !replay_contains(r2, d[0], 5),
	   "it holds x and none of the file's digests");
	replay_free(r2);

	/* A file with expired records only is fine and adds nothing. */
	r2 = replay_new(4);
	is_int(load_bytes(r2, file, len, 1000), 0, "load of an all-expired file");
	is_int(replay_count(r2), 0, "adds nothing");
	is_int(load_bytes(r2, file, len, 5), CKQ_ERR_FULL, "too many live records: full");
	is_int(replay_count(r2), 0, "and none kept");
	replay_free(r2);

	r2 = replay_new(1);
	fd = mem_file(NULL, 0);
	is_int(replay_save(r2, fd, 0), 0, "save empty table");
	len = file_bytes(fd, bad, sizeof(bad));
	is_int(len, 16, "empty file is the header only");
	lseek(fd, 0, SEEK_SET);
	is_int(replay_load(r2, fd, 0), 0, "load empty file");
	close(fd);
	replay_free(r2);

	/* A digest already present keeps the later expiry. */
	r2 = replay_new(NSAVE);
	replay_check_add(r2, d[50], 5, 20);
	is_int(load_bytes(r2, file, 16 + NSAVE * 40, 5), 0, "load over a present digest");
	ok(replay_contains(r2, d[50], 59) && !replay_contains(r2, d[50], 60),
	   "it takes the file's later expiry");
	replay_free(r2);
	replay_free(r);
}

/*
 * Random operations on a small table against a plain array: a pool small
 * enough that digests repeat, and time that moves so entries expire.
 */
#define POOL 200
#define SMALL_CAP 64
#define OPS 100000

static void test_model(void)
{
	static uint8_t pool[POOL][REPLAY_DIGEST_LEN];
	uint64_t model[POOL] = { 0 };
	struct replay *r = replay_new(SMALL_CAP);
	uint64_t now = 1, exp;
	size_t live, i, k, n_ok = 0, n_replay = 0, n_full = 0;
	int rc, want, bad = 0;

	if (!r)
		bail_out("replay_new");
	/* Half the pool shares 4 hashes, for long probe runs. */
	for (i = 0; i < POOL; i++) {
		if (i % 2)
			fixed_digest(pool[i], rng() % 4 * 0x1111, (uint8_t)i);
		else
			rand_digest(pool[i]);
	}
	for (k = 0; k < OPS; k++) {
		i = rng() % POOL;
		switch (rng() % 8) {
		case 0:
			now += rng() % 3;
			break;
		case 1:
			if (replay_contains(r, pool[i], now) != (model[i] > now))
				bad++;
			break;
		case 2:
			replay_expire(r, now);
			live = 0;
			for (size_t j = 0; j < POOL; j++)
				live += model[j] > now;
			if (replay_count(r) != live)
				bad++;
			break;
		default:
			exp = now + 1 + rng() % 40;
			live = 0;
			for (size_t j = 0; j < POOL; j++)
				live += model[j] > now;
			if (model[i] > now)
				want = CKQ_ERR_REPLAY;
			else if (live >= SMALL_CAP)
				want = CKQ_ERR_FULL;
			else
				want = 0;
			rc = replay_check_add(r, pool[i], now, exp);
			if (rc != want)
				bad++;
			if (rc == 0)
				model[i] = exp;
			n_ok += rc == 0;
			n_replay += rc == CKQ_ERR_REPLAY;
			n_full += rc == CKQ_ERR_FULL;
			break;
		}
	}
	is_int(bad, 0, "%d random operations agree with the model", OPS);
	ok(n_ok > 1000 && n_replay > 1000 && n_full > 1000,
	   "the run exercised adds (%zu), replays (%zu) and a full table (%zu)",
	   n_ok, n_replay, n_full);
	replay_free(r);
}

#define BIG 100000

static void test_big(void)
{
	static uint8_t d[BIG][REPLAY_DIGEST_LEN];
	static uint64_t exp[BIG];
	struct replay *r = replay_new(BIG);
	uint8_t x[REPLAY_DIGEST_LEN];
	size_t i, live, bad = 0;

	if (!r)
		bail_out("replay_new");
	for (i = 0; i < BIG; i++) {
		rand_digest(d[i]);
		exp[i] = 1 + rng() % 1000;
		bad += replay_check_add(r, d[i], 0, exp[i]) != 0;
	}
	is_int(bad, 0, "%d random digests added", BIG);
	rand_digest(x);
	is_int(replay_check_add(r, x, 0, 10), CKQ_ERR_FULL, "one more is refused");
	for (i = 0; i < BIG; i++)
		bad += !replay_contains(r, d[i], 0);
	is_int(bad, 0, "all found");
	for (i = 0; i < BIG; i++) {
		rand_digest(x);
		bad += replay_contains(r, x, 0);
	}
	is_int(bad, 0, "%d other digests not found", BIG);
	for (i = 0; i < BIG; i++)
		bad += replay_check_add(r, d[i], 0, 5000) != CKQ_ERR_REPLAY;
	is_int(bad, 0, "all refused as replays");

	/* Lookups at a later time drop the expired entries one by one. */
	for (i = 0; i < BIG; i++)
		bad += replay_contains(r, d[i], 500) != (exp[i] > 500);
	is_int(bad, 0, "at t=500 exactly the live ones are found");
	replay_expire(r, 700);
	for (i = live = 0; i < BIG; i++)
		live += exp[i] > 700;
	is_int(replay_count(r), live, "count after expiry at t=700");
	for (i = 0; i < BIG; i++)
		bad += replay_contains(r, d[i], 700) != (exp[i] > 700);
	is_int(bad, 0, "at t=700 exactly the live ones are found");
	for (i = 0; i < BIG - live; i++) {
		rand_digest(x);
		bad += replay_check_add(r, x, 700, 2000) != 0;
	}
	is_int(bad, 0, "the room left is usable");
	rand_digest(x);
	is_int(replay_check_add(r, x, 700, 2000), CKQ_ERR_FULL, "and then the table is full");
	replay_free(r);
}

int main(void)
{
	test_basic();
	test_full();
	test_collisions();
	test_save_load();
	test_model();
	test_big();
	return done_testing();
}
