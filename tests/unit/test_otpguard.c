/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "otpguard.h"
#include "tap.h"

/* Wrong codes a thief gets checked in `secs`, guessing whenever not locked. */
static unsigned int guesses_in(uint64_t secs)
{
	struct otpguard *g = calloc(1, sizeof(*g));
	uint8_t fp[CKQ_FP_LEN] = { 7 };
	uint64_t t, until = 0, left;
	uint32_t strikes;
	unsigned int n = 0;

	for (t = 1000; t < 1000 + secs; t += left ? left : 1) {
		left = otpguard_locked(g, "alice", fp, t);
		if (left)
			continue;
		otpguard_fail(g, "alice", fp, t, &until, &strikes);
		n++;
	}
	free(g);
	return n;
}

int main(void)
{
	struct otpguard *g = calloc(1, sizeof(*g));
	uint8_t fp[CKQ_FP_LEN] = { 1 }, fp2[CKQ_FP_LEN] = { 2 };
	uint64_t until = 0;
	uint32_t strikes = 0;
	unsigned int i, n;

	if (!g)
		bail_out("out of memory");
	ok(otpguard_locked(g, "alice", fp, 100) == 0, "a user with no wrong codes is not locked");
	ok(otpguard_fail(g, "alice", fp, 100, &until, &strikes) == OTPGUARD_COUNTED &&
	   strikes == 1, "a first wrong code is counted");
	ok(otpguard_fail(g, "alice", fp, 101, &until, &strikes) == OTPGUARD_COUNTED,
	   "a second too");
	ok(otpguard_locked(g, "alice", fp, 101) == 0, "two wrong codes do not lock");
	ok(otpguard_fail(g, "alice", fp, 102, &until, &strikes) == OTPGUARD_FIRST_LOCK &&
	   until == 102 + OTPGUARD_LOCK_MIN, "the third locks for OTPGUARD_LOCK_MIN, loudly");
	ok(otpguard_locked(g, "alice", fp, 103) == OTPGUARD_LOCK_MIN - 1, "... and stays locked");
	ok(otpguard_locked(g, "bob", fp, 103) == 0, "another user is not locked");
	ok(otpguard_locked(g, "alice", fp2, 103) == 0, "nor the same user's new key");
	ok(otpguard_locked_at(g, "alice", 103) == 102, "the lock began at 102");
	ok(otpguard_locked(g, "alice", fp, 102 + OTPGUARD_LOCK_MIN) == 0, "the lock ends");
	ok(otpguard_fail(g, "alice", fp, 200, &until, &strikes) == OTPGUARD_LOCKED &&
	   until == 200 + 2 * OTPGUARD_LOCK_MIN, "the next wrong code doubles it, quietly");
	ok(otpguard_fail(g, "alice", fp, 400, &until, &strikes) == OTPGUARD_LOCKED &&
	   until == 400 + 4 * OTPGUARD_LOCK_MIN, "and the next again");
	for (i = 0; i < 40; i++)
		otpguard_fail(g, "alice", fp, 100000 + i * 20000ULL, &until, &strikes);
	ok(until - (100000 + 39 * 20000ULL) == OTPGUARD_LOCK_MAX, "locks stop growing at the cap");
	otpguard_success(g, "alice", fp);
	ok(otpguard_locked(g, "alice", fp, until - 1) == 0, "a right code clears it");

	for (i = 0; i < OTPGUARD_FREE; i++)
		otpguard_fail(g, "carol", fp, 5000, &until, &strikes);
	ok(otpguard_locked(g, "carol", fp, 5001) > 0, "carol is locked");
	ok(otpguard_count_locked(g, 5001) == 1, "one locked user counted");
	ok(otpguard_clear(g, "carol", 5001), "the admin's unlock clears a lock");
	ok(otpguard_locked(g, "carol", fp, 5001) == 0, "... and carol may try again");
	ok(!otpguard_clear(g, "carol", 5001), "unlocking an unlocked user says so");

	otpguard_fail(g, "dave", fp, 1000, &until, &strikes);
	otpguard_fail(g, "dave", fp, 1000, &until, &strikes);
	otpguard_fail(g, "dave", fp, 1000 + OTPGUARD_FORGET, &until, &strikes);
	ok(strikes == 1, "wrong codes a day old are forgiven");

	/* The table is bounded, and never forgets a lock to make room. */
	memset(g, 0, sizeof(*g));
	for (i = 0; i < OTPGUARD_SLOTS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "u%u", i);
		for (n = 0; n < OTPGUARD_FREE; n++)
			otpguard_fail(g, name, fp, 7000, &until, &strikes);
	}
	ok(otpguard_fail(g, "late", fp, 7001, &until, &strikes) == OTPGUARD_FULL,
	   "with every slot locked a new user's wrong code finds no room (fail closed)");
	ok(otpguard_locked(g, "u0", fp, 7001) > 0, "and the old locks hold");
	ok(otpguard_fail(g, "late", fp, 7000 + OTPGUARD_LOCK_MIN, &until, &strikes) ==
	   OTPGUARD_COUNTED, "once they expire, a slot is reused");

	/* doc/protocol.md §4.1: at most 15 wrong codes a day, 3 in 10^6 each. */
	n = guesses_in(86400);
	printf("# a thief gets %u wrong codes checked in a day: chance <= %u x 3e-6 = 1 in %u\n",
	       n, n, 1000000 / (3 * n));
	is_int(n, 15, "15 guesses in a day");
	ok(n * 3 * 10000 < 1000000, "the chance in a day stays below 1 in 10,000");
	free(g);
	return done_testing();
}
