/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "grant_impl.h"
#include "util.h"

/*
 * One place checks what callers pass, so both backends refuse the same
 * things with the same words, whatever the kernel would have made of them.
 */

void grant_msg(struct grant *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->msg, sizeof(g->msg), fmt, ap);
	va_end(ap);
}

const char *grant_backend_name(enum grant_backend b)
{
	return b == GRANT_NFT ? "nft" : b == GRANT_IPSET ? "ipset" : "";
}

int grant_backend_parse(const char *s, enum grant_backend *b)
{
	if (!strcmp(s, "ipset"))
		*b = GRANT_IPSET;
	else if (!strcmp(s, "nft"))
		*b = GRANT_NFT;
	else
		return CKQ_ERR_FORMAT;
	return 0;
}

void grant_set_name(char out[GRANT_SETNAME_LEN], uint8_t family,
		    uint8_t proto, uint16_t port)
{
	const char *pfx = family == CKQ_AF_INET ? "ckq" :
			  family == CKQ_AF_INET6 ? "ckq6" : NULL;

	if (!pfx || (proto != CKQ_PROTO_TCP && proto != CKQ_PROTO_UDP)) {
		out[0] = '\0';
		return;
	}
	snprintf(out, GRANT_SETNAME_LEN, "%s-%s-%u", pfx, proto_name(proto),
		 (unsigned int)port);
}

struct grant *grant_open(enum grant_backend b)
{
	const struct grant_ops *ops = b == GRANT_IPSET ? &grant_ipset_ops :
				      b == GRANT_NFT ? &grant_nft_ops : NULL;
	struct grant *g;

	if (!ops) {
		errno = EINVAL;
		return NULL;
	}
	g = ops->open();
	if (g)
		g->ops = ops;
	return g;
}

void grant_close(struct grant *g)
{
	if (g)
		g->ops->close(g);
}

const char *grant_errmsg(const struct grant *g)
{
	return g ? g->msg : "no grant handle";
}

static int check_set(struct grant *g, const char *set)
{
	size_t n = set ? strnlen(set, GRANT_SETNAME_LEN) : 0;

	if (n == 0 || n >= GRANT_SETNAME_LEN) {
		grant_msg(g, "invalid set name");
		return CKQ_ERR_FORMAT;
	}
	return 0;
}

static int check_comment(struct grant *g, const char *s)
{
	size_t i;

	if (!s)
		return 0;
	i = strnlen(s, GRANT_COMMENT_MAX + 1);
	if (!name_chars_ok(s, i)) {
		grant_msg(g, "comment may hold only [A-Za-z0-9._-]");
		return CKQ_ERR_FORMAT;
	}
	if (i == 0 || i > GRANT_COMMENT_MAX) {
		grant_msg(g, "comment must have 1..%d characters",
			  GRANT_COMMENT_MAX);
		return CKQ_ERR_FORMAT;
	}
	return 0;
}

static int check_args(struct grant *g, const char *set,
		      const struct ckq_addr *addr)
{
	int r = check_set(g, set);

	if (r)
		return r;
	if (!addr || !addr_len(addr)) {
		grant_msg(g, "invalid address");
		return CKQ_ERR_FORMAT;
	}
	return 0;
}

int grant_add(struct grant *g, const char *set, const struct ckq_addr *addr,
	      uint32_t timeout_s, const char *comment)
{
	int r = check_args(g, set, addr);

	if (!r)
		r = check_comment(g, comment);
	if (r)
		return r;
	/* A grant that never expires is never what ckq means. */
	if (timeout_s == 0 || timeout_s > GRANT_TIMEOUT_MAX) {
		grant_msg(g, "timeout must be 1..%u seconds", GRANT_TIMEOUT_MAX);
		return CKQ_ERR_RANGE;
	}
	r = g->ops->add(g, set, addr, timeout_s, comment);
	if (!r)
		g->msg[0] = '\0';
	return r;
}

int grant_del(struct grant *g, const char *set, const struct ckq_addr *addr)
{
	int r = check_args(g, set, addr);

	if (r)
		return r;
	r = g->ops->del(g, set, addr);
	if (!r)
		g->msg[0] = '\0';
	return r;
}

int grant_test(struct grant *g, const char *set, const struct ckq_addr *addr)
{
	int r = check_args(g, set, addr);

	if (r)
		return r;
	r = g->ops->test(g, set, addr);
	if (r >= 0)
		g->msg[0] = '\0';
	return r;
}

int grant_list(struct grant *g, const char *set, grant_list_cb cb, void *arg)
{
	int r = check_set(g, set);

	if (r)
		return r;
	return g->ops->list(g, set, cb, arg);
}

int grant_list_sets(struct grant *g, grant_set_cb cb, void *arg)
{
	return g->ops->list_sets(g, cb, arg);
}

int grant_set_info(struct grant *g, const char *set, uint32_t *refs, uint8_t *family)
{
	int r = check_set(g, set);

	if (r)
		return r;
	return g->ops->set_info(g, set, refs, family);
}
