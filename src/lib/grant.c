/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

uint8_t grant_set_family(const char *set)
{
	if (!strncmp(set, "ckq-", 4))
		return CKQ_AF_INET;
	if (!strncmp(set, "ckq6-", 5))
		return CKQ_AF_INET6;
	return 0;
}

int grant_set_parse(const char *set, uint8_t *family, uint8_t *proto,
		    uint16_t *port)
{
	char again[GRANT_SETNAME_LEN];
	uint8_t fam = grant_set_family(set), pr;
	const char *p = set + (fam == CKQ_AF_INET6 ? 5 : 4);
	unsigned long v = 0;
	size_t i;

	if (!fam)
		return CKQ_ERR_FORMAT;
	if (!strncmp(p, "tcp-", 4))
		pr = CKQ_PROTO_TCP;
	else if (!strncmp(p, "udp-", 4))
		pr = CKQ_PROTO_UDP;
	else
		return CKQ_ERR_FORMAT;
	p += 4;
	for (i = 0; p[i] >= '0' && p[i] <= '9' && i < 5; i++)
		v = v * 10 + (unsigned long)(p[i] - '0');
	if (p[i] || v == 0 || v > 65535)
		return CKQ_ERR_FORMAT;
	/* Only the one spelling grant_set_name writes: no "ckq-tcp-022". */
	grant_set_name(again, fam, pr, (uint16_t)v);
	if (strcmp(again, set))
		return CKQ_ERR_FORMAT;
	*family = fam;
	*proto = pr;
	*port = (uint16_t)v;
	return 0;
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

struct sets_filter {
	grant_set_cb cb;
	void *arg;
};

static int only_ckq(const char *set, void *arg)
{
	struct sets_filter *f = arg;

	return grant_set_family(set) ? f->cb(set, f->arg) : 0;
}

/* Both backends list every set they see; which are ckq's is said here. */
int grant_list_sets(struct grant *g, grant_set_cb cb, void *arg)
{
	struct sets_filter f = { cb, arg };

	return g->ops->list_sets(g, only_ckq, &f);
}

int grant_set_info(struct grant *g, const char *set, uint32_t *refs, uint8_t *family)
{
	int r = check_set(g, set);

	if (r)
		return r;
	return g->ops->set_info(g, set, refs, family);
}

static int on_set(const char *set, void *arg)
{
	struct grant_sets *s = arg;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char (*n)[GRANT_SETNAME_LEN] = realloc(s->name, cap * sizeof(*n));

		if (!n)
			return CKQ_ERR_NOMEM;
		s->name = n;
		s->cap = cap;
	}
	snprintf(s->name[s->n++], GRANT_SETNAME_LEN, "%s", set);
	return 0;
}

int grant_sets_read(struct grant *g, struct grant_sets *out)
{
	memset(out, 0, sizeof(*out));
	return grant_list_sets(g, on_set, out);
}

void grant_sets_free(struct grant_sets *s)
{
	free(s->name);
	memset(s, 0, sizeof(*s));
}

struct entries_ctx {
	struct grant_entries *out;
	const char *set;
	const char *user;
};

static int on_entry(const struct ckq_addr *addr, uint32_t left,
		    const char *comment, void *arg)
{
	struct entries_ctx *c = arg;
	struct grant_entries *es = c->out;
	struct grant_entry *e;

	if (c->user && (!comment || strcmp(comment, c->user)))
		return 0;
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 64;
		struct grant_entry *n = realloc(es->e, cap * sizeof(*n));

		if (!n)
			return CKQ_ERR_NOMEM;
		es->e = n;
		es->cap = cap;
	}
	e = &es->e[es->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->set, sizeof(e->set), "%s", c->set);
	e->addr = *addr;
	e->timeout_left = left;
	snprintf(e->comment, sizeof(e->comment), "%s", comment ? comment : "");
	return 0;
}

/* Set names first: a listing is never changed, nor nested, while it is read. */
int grant_entries_read(struct grant *g, const char *user,
		       struct grant_entries *out)
{
	struct entries_ctx c = { .out = out, .user = user };
	struct grant_sets sets;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = grant_sets_read(g, &sets);
	for (i = 0; ret >= 0 && i < sets.n; i++) {
		c.set = sets.name[i];
		ret = grant_list(g, c.set, on_entry, &c);
		if (ret == CKQ_ERR_NOENT)
			ret = 0;	/* destroyed since the first dump */
	}
	grant_sets_free(&sets);
	return ret;
}

void grant_entries_free(struct grant_entries *e)
{
	free(e->e);
	memset(e, 0, sizeof(*e));
}
