/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "ckqd.h"
#include "crypto.h"
#include "err.h"

int pending_init(struct pending *p, size_t cap)
{
	p->e = calloc(cap, sizeof(*p->e));
	if (!p->e)
		return CKQ_ERR_NOMEM;
	p->cap = cap;
	p->count = 0;
	return 0;
}

void pending_free(struct pending *p)
{
	if (!p->e)
		return;
	wipe(p->e, p->cap * sizeof(*p->e));
	free(p->e);
	p->e = NULL;
	p->cap = p->count = 0;
}

/*
 * Linear scans: the table holds at most max_pending entries, and a scan
 * happens only for a datagram that passed the pre-check, next to which an
 * RSA operation costs a hundred times more.
 */
struct pending_entry *pending_by_sid(struct pending *p, const uint8_t sid[CKQ_SID_LEN])
{
	size_t i;

	for (i = 0; i < p->cap; i++)
		if (p->e[i].used && !memcmp(p->e[i].s.sid, sid, CKQ_SID_LEN))
			return &p->e[i];
	return NULL;
}

struct pending_entry *pending_by_h1(struct pending *p, const uint8_t h1[CKQ_HASH_LEN])
{
	size_t i;

	for (i = 0; i < p->cap; i++)
		if (p->e[i].used && !memcmp(p->e[i].s.h1, h1, CKQ_HASH_LEN))
			return &p->e[i];
	return NULL;
}

void pending_release(struct pending *p, struct pending_entry *e)
{
	if (e->used)
		p->count--;
	wipe(e, sizeof(*e));
}

struct pending_entry *pending_alloc(struct pending *p, uint64_t now_ms, bool *evicted)
{
	struct pending_entry *oldest = NULL;
	size_t i;

	*evicted = false;
	for (i = 0; i < p->cap; i++) {
		struct pending_entry *e = &p->e[i];

		if (!e->used || e->expires_ms <= now_ms) {
			pending_release(p, e);
			e->used = true;
			p->count++;
			return e;
		}
		if (!oldest || e->expires_ms < oldest->expires_ms)
			oldest = e;
	}
	*evicted = true;
	pending_release(p, oldest);
	oldest->used = true;
	p->count++;
	return oldest;
}

size_t pending_expire(struct pending *p, uint64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < p->cap; i++)
		if (p->e[i].used && p->e[i].expires_ms <= now_ms) {
			pending_release(p, &p->e[i]);
			n++;
		}
	return n;
}
