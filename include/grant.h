/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_GRANT_H
#define CKQ_GRANT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * Kernel-enforced grants: a granted client address sits in a per-port set
 * with its own timeout, and static rules match on the set, so the kernel
 * both opens the port and closes it again when the entry expires.
 *
 * Two backends with one behaviour: ipsets matched by iptables rules
 * (rules/ckq.rules), or nftables sets of "table inet ckq" matched by that
 * table's own chains (rules/ckq.nft). The set names are the same on both.
 * Talks nfnetlink directly; nothing here runs ipset(8), iptables(8) or nft(8).
 */

struct grant;

enum grant_backend {
	GRANT_IPSET,	/* ipsets of type hash:ip with timeout and comment */
	GRANT_NFT,	/* sets with flags timeout in table inet ckq */
};

/* The nftables table that holds the sets of the nft backend. */
#define GRANT_NFT_TABLE "ckq"

/* "ipset" or "nft", the words of ckqd.conf's grants setting. */
const char *grant_backend_name(enum grant_backend b);
/* 0, or CKQ_ERR_FORMAT for a word that names no backend. */
int grant_backend_parse(const char *s, enum grant_backend *b);

#define GRANT_SETNAME_LEN 32	/* IPSET_MAXNAMELEN, NUL included */
#define GRANT_COMMENT_MAX 32	/* characters of [A-Za-z0-9._-] */
#define GRANT_TIMEOUT_MAX 2147483U	/* the kernel's IPSET_MAX_TIMEOUT */

/*
 * "ckq-tcp-22" for CKQ_AF_INET, "ckq6-tcp-22" for CKQ_AF_INET6; an empty
 * string for an unknown family or protocol, which every call below refuses.
 */
void grant_set_name(char out[GRANT_SETNAME_LEN], uint8_t family,
		    uint8_t proto, uint16_t port);

/*
 * The inverse of grant_set_name: 0 with the family, protocol and port
 * (1..65535) of a name it makes, else CKQ_ERR_FORMAT (a set made by hand).
 */
int grant_set_parse(const char *set, uint8_t *family, uint8_t *proto,
		    uint16_t *port);

/*
 * Whether set is one of ckq's by its prefix, as grant_list_sets walks
 * them: CKQ_AF_INET for "ckq-", CKQ_AF_INET6 for "ckq6-", else 0. A set
 * made by hand with such a name is listed and shown, though
 * grant_set_parse refuses it.
 */
uint8_t grant_set_family(const char *set);

/*
 * Opens the netlink socket and checks that the kernel speaks ipset (or
 * nf_tables) and that we hold CAP_NET_ADMIN. NULL on failure with errno
 * set. Not thread safe: one handle, used from one thread.
 */
struct grant *grant_open(enum grant_backend b);
void grant_close(struct grant *g);

/*
 * Adds addr, or refreshes its timeout and comment if already present.
 * timeout_s must be 1..GRANT_TIMEOUT_MAX (CKQ_ERR_RANGE); comment is NULL or
 * 1..GRANT_COMMENT_MAX characters of [A-Za-z0-9._-] (CKQ_ERR_FORMAT).
 * CKQ_ERR_NOENT if the set does not exist, CKQ_ERR_IPSET on other failures.
 */
int grant_add(struct grant *g, const char *set, const struct ckq_addr *addr,
	      uint32_t timeout_s, const char *comment);

/* 0, or CKQ_ERR_NOENT if addr was not in the set or the set is missing. */
int grant_del(struct grant *g, const char *set, const struct ckq_addr *addr);

/* 1 present, 0 absent, negative CKQ_ERR_* (CKQ_ERR_NOENT: no such set). */
int grant_test(struct grant *g, const char *set, const struct ckq_addr *addr);

/*
 * Calls cb for every member of set with its remaining lifetime in seconds
 * (0: no expiry) and its comment ("" if none; bytes outside printable ASCII
 * shown as '?'). A non-zero return from cb stops the walk and is returned.
 * Otherwise 0, or CKQ_ERR_NOENT when the set does not exist.
 */
typedef int (*grant_list_cb)(const struct ckq_addr *addr,
			     uint32_t timeout_left, const char *comment,
			     void *arg);
int grant_list(struct grant *g, const char *set, grant_list_cb cb, void *arg);

/*
 * Calls cb with the name of every set whose name begins with "ckq-" or
 * "ckq6-"; a non-zero return from cb stops the walk and is returned.
 */
typedef int (*grant_set_cb)(const char *set, void *arg);
int grant_list_sets(struct grant *g, grant_set_cb cb, void *arg);

/* The names grant_list_sets gives, in one array. */
struct grant_sets {
	char (*name)[GRANT_SETNAME_LEN];
	size_t n, cap;
};
/* 0, or a negative CKQ_ERR_* with the names read so far. */
int grant_sets_read(struct grant *g, struct grant_sets *out);
void grant_sets_free(struct grant_sets *s);

/* An entry of a ckq set, as grant_list gives it. */
struct grant_entry {
	char set[GRANT_SETNAME_LEN];
	struct ckq_addr addr;
	uint32_t timeout_left;
	char comment[GRANT_COMMENT_MAX + 1];
};
struct grant_entries {
	struct grant_entry *e;
	size_t n, cap;
};
/*
 * Every entry of every ckq set, or with user only those whose comment is
 * user (a user's grants): set names first, then each set, one netlink dump
 * at a time on g's socket; a set destroyed in between is skipped. 0, or a
 * negative CKQ_ERR_* with the entries read so far. Free with
 * grant_entries_free, also after a failure.
 */
int grant_entries_read(struct grant *g, const char *user,
		       struct grant_entries *out);
void grant_entries_free(struct grant_entries *e);

/*
 * From the header of set: *refs, how many kernel objects use it (ipset:
 * each iptables rule with "-m set --match-set", each list:set holding it;
 * nft: each rule of table inet ckq that looks the set up; 0 means a grant
 * in it opens nothing), and *family, CKQ_AF_INET or CKQ_AF_INET6 (0 for
 * another; nft: from the key type, ipv4_addr or ipv6_addr). 0, or CKQ_ERR_NOENT when there is no such set.
 */
int grant_set_info(struct grant *g, const char *set, uint32_t *refs, uint8_t *family);

/*
 * Text of the last failure, worded as ipset(8) words it (e.g. "The set with
 * the given name does not exist"; the nft backend words the same failures
 * the same way); "" after a success. Valid until the next
 * call on g.
 */
const char *grant_errmsg(const struct grant *g);

#endif
