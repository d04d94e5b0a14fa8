/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_REPLAY_H
#define CKQ_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A bounded set of message digests (uniformly random, e.g. SHA-256), each
 * remembered while now < expires. All memory is taken by replay_new; when
 * the live entries fill it, adding fails rather than forgetting one.
 */
#define REPLAY_DIGEST_LEN 32

struct replay;

/* NULL when capacity is 0, absurdly large, or memory is short. */
struct replay *replay_new(size_t capacity);
void replay_free(struct replay *r);

/*
 * 0: added. CKQ_ERR_REPLAY: present and live. CKQ_ERR_FULL: capacity live
 * entries. CKQ_ERR_STALE: expires <= now, so it could not be remembered.
 */
int replay_check_add(struct replay *r, const uint8_t digest[static REPLAY_DIGEST_LEN],
		     uint64_t now, uint64_t expires);
bool replay_contains(struct replay *r, const uint8_t digest[static REPLAY_DIGEST_LEN],
		     uint64_t now);
/* Entries held, including expired ones not dropped yet. */
size_t replay_count(const struct replay *r);
void replay_expire(struct replay *r, uint64_t now);

/*
 * File: "CKQRPL1\0", u64 count, then count records of digest and u64
 * expiry, big-endian; only entries live at now are written. replay_load
 * adds the live records to r, or on any error (CKQ_ERR_FORMAT, _IO, _FULL)
 * none of them; a digest r already holds keeps the later of the two
 * expiries. Making the file appear atomically is the caller's job.
 */
int replay_save(const struct replay *r, int fd, uint64_t now);
int replay_load(struct replay *r, int fd, uint64_t now);
/*
 * The bytes replay_save would write, in a malloc'd buffer: taken under a
 * lock, written to the file after it.
 */
int replay_save_mem(const struct replay *r, uint64_t now, uint8_t **out, size_t *len);

#endif
