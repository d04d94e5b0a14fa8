/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_OTPGUARD_H
#define CKQ_OTPGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "proto.h"

/*
 * A budget of wrong TOTP codes per user key, charged only once the
 * request's signature verified: a thief holding a user's private key but
 * not the authenticator gets OTPGUARD_FREE guesses, then one guess per
 * lock, each lock twice the last (OTPGUARD_LOCK_MIN up to OTPGUARD_LOCK_MAX).
 * doc/protocol.md §4.1 gives the arithmetic. A right code clears it, and
 * so does the admin (ckq-admin unlock) or a new key for the user.
 *
 * A fixed table inside struct ckqd: it takes no allocation, and it only
 * holds users whose signature verified, so nobody without a user's key
 * can fill it. Not thread safe: the caller holds its lock.
 */
#define OTPGUARD_FREE 3			/* wrong codes before the first lock */
#define OTPGUARD_LOCK_MIN 60		/* seconds: the first lock */
#define OTPGUARD_LOCK_MAX (4 * 3600)	/* the longest */
#define OTPGUARD_FORGET (24 * 3600)	/* wrong codes older than this are forgiven */
#define OTPGUARD_SLOTS 256

struct otpguard_entry {
	char user[CKQ_USER_MAX + 1];
	uint8_t fp[CKQ_FP_LEN];		/* the key the wrong codes came with */
	uint32_t strikes;		/* wrong codes since the last right one */
	uint64_t last_fail;		/* Unix seconds */
	uint64_t locked_at, locked_until;
};

struct otpguard {
	struct otpguard_entry e[OTPGUARD_SLOTS];
	uint64_t lockouts;		/* locks begun, for the counters */
};

/* Seconds user's key stays locked from now; 0: it may try a code. */
uint64_t otpguard_locked(const struct otpguard *g, const char *user,
			 const uint8_t fp[CKQ_FP_LEN], uint64_t now);

enum otpguard_result {
	OTPGUARD_COUNTED,	/* under the budget */
	OTPGUARD_LOCKED,	/* this wrong code began a lock: *until */
	OTPGUARD_FIRST_LOCK,	/* ... the first since a right code: say it loudly */
	OTPGUARD_FULL,		/* no slot: the caller refuses, fail closed */
};

/* A wrong code, after a verified signature. */
enum otpguard_result otpguard_fail(struct otpguard *g, const char *user,
				   const uint8_t fp[CKQ_FP_LEN], uint64_t now,
				   uint64_t *until, uint32_t *strikes);
/* A right code: the budget is whole again. */
void otpguard_success(struct otpguard *g, const char *user, const uint8_t fp[CKQ_FP_LEN]);
/* The admin's unlock: forgets user, whatever key. True if it was locked. */
bool otpguard_clear(struct otpguard *g, const char *user, uint64_t now);
/* When user's lock began (0: none), to tell a stale unlock request from a new one. */
uint64_t otpguard_locked_at(const struct otpguard *g, const char *user, uint64_t now);
size_t otpguard_count_locked(const struct otpguard *g, uint64_t now);

#endif
