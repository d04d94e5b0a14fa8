/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckqd.h"
#include "err.h"
#include "grant.h"

/*
 * Shared addresses: every user behind one address who opened one port holds
 * a grant on the same kernel entry. An open never shortens another user's
 * grant (the entry keeps the longest), and a close ends only the closer's:
 * the entry stays, with the longest of the others' times, while anyone else
 * holds it. The kernel is the truth about whether the entry exists (the
 * admin may have closed it, or it expired); the table below only says who
 * else holds it. All of it under d->lock, which also guards the ipset
 * session.
 */
bool holders_ready(struct ckqd *d)
{
	if (!d->holders)
		d->holders = holdtab_new(HOLDERS_MAX);
	return d->holders != NULL;
}

void engine_free(struct ckqd *d)
{
	holdtab_free(d->holders);
	d->holders = NULL;
}

static struct holder *holder_longest(struct ckqd *d, const char *set, const struct ckq_addr *addr,
				     const char *not, uint64_t now)
{
	return holdtab_longest(d->holders, set, addr, not, now);
}

static void holder_drop(struct ckqd *d, const char *set, const struct ckq_addr *addr,
			const char *user)
{
	holdtab_drop(d->holders, set, addr, user);
}

/*
 * A full table gives up the grant that ends first: at worst, that holder's
 * grant can then be shortened or closed by another's, as before this table
 * existed.
 */
static void holder_set(struct ckqd *d, const char *set, const struct ckq_addr *addr,
		       const char *user, uint64_t expires, uint64_t now)
{
	holdtab_set(d->holders, set, addr, user, expires, now);
}

struct learn_ctx {
	struct ckqd *d;
	const char *set;
	uint64_t now;
};

static int learn_entry(const struct ckq_addr *addr, uint32_t left, const char *comment,
		       void *arg)
{
	struct learn_ctx *c = arg;

	/* Ours carry the user's name; 0 is "no timeout": not a grant of ours. */
	if (left && comment && user_name_valid(comment, strlen(comment)) &&
	    !holder_longest(c->d, c->set, addr, NULL, c->now))
		holder_set(c->d, c->set, addr, comment, c->now + left, c->now);
	return 0;
}

/*
 * An entry in the kernel that no holder explains was made before we
 * started (or was given up when the table was full): its comment names
 * whose it is, and its timeout until when. Read once for the whole set.
 */
static void holders_learn(struct ckqd *d, const char *set, const struct ckq_addr *addr,
			  uint64_t now)
{
	struct learn_ctx c = { d, set, now };

	if (!holder_longest(d, set, addr, NULL, now))
		grant_list(d->grant, set, learn_entry, &c);
}

/* user's open of (set, addr) for `duration` seconds. */
int grant_open_shared(struct ckqd *d, const char *set, const struct ckq_addr *addr,
		      const char *user, uint32_t duration, uint64_t now)
{
	struct holder *other;
	int present = grant_test(d->grant, set, addr);

	if (present < 0)
		return present;
	if (!present)
		holder_drop(d, set, addr, NULL);	/* closed by the admin, or expired */
	else
		holders_learn(d, set, addr, now);
	other = holder_longest(d, set, addr, user, now);
	holder_set(d, set, addr, user, now + duration, now);
	/* Another user's longer grant stays as it is: timeout and comment. */
	if (present && other && other->expires > now + duration)
		return 0;
	return grant_add(d->grant, set, addr, duration, user);
}

/* user's close of (set, addr): the entry goes once nobody else holds it. */
int grant_close_shared(struct ckqd *d, const char *set, const struct ckq_addr *addr,
		       const char *user, uint64_t now)
{
	struct holder *other;
	int present = grant_test(d->grant, set, addr);

	/* No such set: nothing to close, as grant_del would say. */
	if (present < 0 && present != CKQ_ERR_NOENT)
		return present;
	if (present <= 0) {
		holder_drop(d, set, addr, NULL);
		return 0;
	}
	holders_learn(d, set, addr, now);
	holder_drop(d, set, addr, user);
	other = holder_longest(d, set, addr, NULL, now);
	if (!other) {
		int ret = grant_del(d->grant, set, addr);

		return ret == CKQ_ERR_NOENT ? 0 : ret;
	}
	/* The others' longest grant, no more: this user's time is given back. */
	return grant_add(d->grant, set, addr, (uint32_t)(other->expires - now), other->user);
}

/*
 * Grants of a user who is gone or revoked end with the reload that learns
 * it, so none made while the admin's own close raced us survives.
 */
void engine_close_user(struct ckqd *d, const char *user)
{
	struct grant_entries ge;
	char a[CKQ_ADDR_STRLEN];
	size_t i;

	/* The ipset session is shared with the workers' grants. */
	pthread_mutex_lock(&d->lock);
	/* Read whole before any is closed: a listing is never changed while it is read. */
	if (grant_entries_read(d->grant, user, &ge) < 0)
		log_err("cannot list the ipsets to close %s's grants: %s", user,
			grant_errmsg(d->grant));
	for (i = 0; i < ge.n; i++) {
		const struct grant_entry *g = &ge.e[i];

		/* Another user's grant on the address keeps it, for their time. */
		if ((holders_ready(d) &&
		     grant_close_shared(d, g->set, &g->addr, user, d->now()) == 0) ||
		    grant_del(d->grant, g->set, &g->addr) == 0)
			log_notice("grant closed user=%s src=%s set=%s: user removed or revoked",
				   user, addr_str(&g->addr, a, sizeof(a)), g->set);
	}
	grant_entries_free(&ge);
	/*
	 * And wherever the user held a grant that another's longer one hid; or
	 * where ckq-admin, closing the user's grants by name, took the entry
	 * that another user's grant also held: that one is given back.
	 */
	for (i = 0; d->holders;) {
		uint64_t now = d->now();
		struct holder *h = holdtab_next_of(d->holders, user, &i, now), *other;

		if (!h)
			break;
		holdtab_forget(d->holders, h);
		other = holder_longest(d, h->set, &h->addr, NULL, now);
		if (other && grant_test(d->grant, h->set, &h->addr) == 0 &&
		    grant_add(d->grant, h->set, &h->addr, (uint32_t)(other->expires - now),
			      other->user) == 0)
			log_notice("grant kept user=%s src=%s set=%s: %s's grant on the address was closed, not theirs",
				   other->user, addr_str(&h->addr, a, sizeof(a)), h->set, user);
	}
	pthread_mutex_unlock(&d->lock);
}
