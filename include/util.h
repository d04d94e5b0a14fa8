/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_UTIL_H
#define CKQ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CKQ_FILE_MAX (256 * 1024)

/*
 * Reads a whole regular file (O_NOFOLLOW: a symlink is refused). A secret
 * file is refused when group or others may read it. On failure `why` says
 * what was wrong, naming the file. The buffer is NUL-terminated; the caller
 * frees it (wiping it first if secret).
 */
int file_read(const char *path, bool secret, char **out, size_t *len,
	      char *why, size_t why_len);
/*
 * Secrets owned by uid are accepted as well as our own and root's: ckqd's
 * user owns the users files, which ckqd reads as root before it drops to it.
 */
void file_trust_uid(uid_t uid);
/*
 * And a secret readable by group gid as well (0640, ckqd's group): how
 * ckq-admin writes the users files, root's so that ckqd cannot change them.
 */
void file_trust_gid(gid_t gid);
/* Temporary file, fsync, rename, fsync of the directory. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same, the file given to uid:gid before it takes its name. */
int file_write_owned(const char *path, const void *data, size_t len, mode_t mode,
		     uid_t uid, gid_t gid);
int mkdir_mode(const char *path, mode_t mode);
/* mkdir -p: missing parents get the same mode. */
int mkdir_parents(const char *path, mode_t mode);

int parse_u32(const char *s, uint32_t max, uint32_t *out);
/* Seconds with an optional unit: 90, 90s, 15m, 2h, 1d. */
int parse_duration(const char *s, uint32_t *out);
/* Exactly "yes" or "no": the only booleans the configuration files take. */
int parse_yes_no(const char *s, bool *out);
/*
 * Every one of len bytes is one of [A-Za-z0-9._-]: what user names, grant
 * comments and ckqd's account name are made of, so that none of them needs
 * quoting in a path, a set name or a log line. Callers add their own rules
 * for length and first character.
 */
bool name_chars_ok(const char *s, size_t len);

/*
 * Iterates over "key = value" lines, skipping blanks and # comments, with
 * the line number for messages. key and value are NUL-terminated copies.
 */
struct kv_iter {
	const char *p, *end;
	unsigned int line;
	char key[64];
	char value[1024];
};
void kv_init(struct kv_iter *it, const char *text, size_t len);
/* 1 with a pair, 0 at the end, CKQ_ERR_FORMAT for a malformed line. */
int kv_next(struct kv_iter *it);

#endif
