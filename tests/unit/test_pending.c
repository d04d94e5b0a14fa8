/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "../../src/ckqd/ckqd.h"
#include "err.h"
#include "tap.h"

int main(void)
{
	struct pending p;
	struct pending_entry *e, *first;
	uint8_t sid[CKQ_SID_LEN], h1[CKQ_HASH_LEN];
	bool evicted;
	size_t i;

	is_int(pending_init(&p, 4), 0, "init");
	for (i = 0; i < 4; i++) {
		e = pending_alloc(&p, 1000, &evicted);
		ok(e && !evicted, "slot %zu without eviction", i);
		memset(e->s.sid, (int)i + 1, CKQ_SID_LEN);
		memset(e->s.h1, (int)i + 0x10, CKQ_HASH_LEN);
		e->expires_ms = 2000 + i;
	}
	is_int(p.count, 4, "four pending");
	memset(sid, 3, sizeof(sid));
	e = pending_by_sid(&p, sid);
	ok(e && e->expires_ms == 2002, "found by session id");
	memset(h1, 0x11, sizeof(h1));
	e = pending_by_h1(&p, h1);
	ok(e && e->expires_ms == 2001, "found by message-1 digest");
	memset(sid, 9, sizeof(sid));
	ok(!pending_by_sid(&p, sid), "unknown session id not found");

	/* Full and nothing expired: the oldest goes, the table never grows. */
	e = pending_alloc(&p, 1500, &evicted);
	ok(evicted, "full table evicts");
	memset(sid, 1, sizeof(sid));
	ok(!pending_by_sid(&p, sid), "the oldest entry was the one evicted");
	ok(e->s.sid[0] == 0 && e->expires_ms == 0, "an evicted slot is wiped");
	is_int(p.count, 4, "count stays at capacity");
	e->expires_ms = 5000;

	/* Past their expiry, entries make room without eviction. */
	first = pending_alloc(&p, 2001, &evicted);
	ok(first && !evicted, "an expired slot is reused");
	first->expires_ms = 4000;
	is_int(pending_expire(&p, 3000), 2, "expire drops what is past its time");
	is_int(p.count, 2, "two left");
	pending_release(&p, first);
	is_int(p.count, 1, "release");
	is_int(pending_expire(&p, 6000), 1, "the last one expires");
	is_int(p.count, 0, "empty");
	pending_free(&p);
	pending_free(&p);
	ok(1, "free is idempotent");
	return done_testing();
}
