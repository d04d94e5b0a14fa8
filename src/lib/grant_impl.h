/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_GRANT_IMPL_H
#define CKQ_GRANT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/netlink.h>

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
	/* Every set the backend sees: grant.c keeps ckq's. */
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

/* The failures both backends word alike: CKQ_ERR_IPSET, g's message set. */
int grant_sys_fail(struct grant *g, const char *what);
int grant_bad_reply(struct grant *g);
/* len bytes up to the first NUL, made safe to print ('?' for the rest). */
void grant_printable(char *out, size_t out_size, const void *p, size_t len);

/* grant_nl.c: the netlink socket each backend talks nfnetlink on. */
struct mnl_socket;
#define GRANT_NL_RCVBUF 65536	/* twice the kernel's 32 KiB dump datagram */
struct grant_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	uint32_t seq;
	bool broken;	/* a read failed: replies may be half read */
	_Alignas(struct nlmsghdr) uint8_t rbuf[GRANT_NL_RCVBUF];
};
typedef int (*grant_nl_cb)(const struct nlmsghdr *nlh, void *arg);
/* (Re)opens the socket: 0, or -1 with errno set. */
int grant_nl_open(struct grant_nl *n);
void grant_nl_close(struct grant_nl *n);
/*
 * Sends len bytes holding requests numbered first..last and reads until
 * the ack of last, the first error, or the end of a dump, passing each
 * data message (of type, if not 0) to cb until cb returns non-zero:
 * negative for an error, positive to stop. Replies to earlier requests
 * are skipped; a dump is always read to its end, because the kernel
 * refuses another dump on a socket that is still dumping. Returns 0, a
 * negative CKQ_ERR_* (g's message set), or the kernel's positive error
 * code for the caller to word.
 */
int grant_nl_talk(struct grant *g, struct grant_nl *n, const void *req,
		  size_t len, uint32_t first, uint32_t last, uint16_t type,
		  grant_nl_cb cb, void *arg);
/*
 * Calls each for every attribute of this type nested in list (already
 * validated as nested) until one returns non-zero, which is returned.
 */
int grant_nl_each(const struct nlattr *list, uint16_t type,
		  int (*each)(void *x, const struct nlattr *a), void *x);

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
