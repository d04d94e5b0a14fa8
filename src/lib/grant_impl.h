/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_GRANT_IMPL_H
#define CKQ_GRANT_IMPL_H

#include <stddef.h>
#include <sys/types.h>

#include "grant.h"

/*
 * What each backend implements behind grant.h. grant.c has already checked
 * the arguments (set name, address, timeout, comment) before a call gets
 * here, so a backend only talks to the kernel.
 */
struct grant_ops {
	struct grant *(*open)(void);
	void (*close)(struct grant *g);
	int (*add)(struct grant *g, const char *set, const struct ckq_addr *addr,
		   uint32_t timeout_s, const char *comment);
	int (*del)(struct grant *g, const char *set, const struct ckq_addr *addr);
	int (*test)(struct grant *g, const char *set, const struct ckq_addr *addr);
	int (*list)(struct grant *g, const char *set, grant_list_cb cb, void *arg);
	int (*list_sets)(struct grant *g, grant_set_cb cb, void *arg);
	int (*set_info)(struct grant *g, const char *set, uint32_t *refs,
			uint8_t *family);
};

/* The head of every backend's handle. */
struct grant {
	const struct grant_ops *ops;
	char msg[256];
};

__attribute__((format(printf, 2, 3)))
void grant_msg(struct grant *g, const char *fmt, ...);

extern const struct grant_ops grant_ipset_ops;
extern const struct grant_ops grant_nft_ops;

/*
 * The nft backend's requests, here for the unit tests. Each message of a
 * batch is given this much room: libnftnl writes without bounds, and ours
 * (a set name, a 16-byte key, a 32-character comment) need under 200 bytes.
 */
#define GRANT_NFT_MSG_MAX 512
/*
 * Batches (begin, messages, end) numbered from seq: an add that creates or
 * refreshes addr (seq .. seq + 4), a delete (seq .. seq + 2). Their length
 * in buf, or CKQ_ERR_INTERNAL when buf is too small or memory runs out.
 */
ssize_t grant_nft_build_add(uint8_t *buf, size_t size, uint32_t seq,
			    const char *set, const struct ckq_addr *addr,
			    uint32_t timeout_s, const char *comment);
ssize_t grant_nft_build_del(uint8_t *buf, size_t size, uint32_t seq,
			    const char *set, const struct ckq_addr *addr);
/* The comment in an element's user data, printable; "" if none. */
void grant_nft_comment(const void *udata, size_t len, char *out, size_t out_size);

#endif
