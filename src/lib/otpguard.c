/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "otpguard.h"

static struct otpguard_entry *find(const struct otpguard *g, const char *user,
				   const uint8_t *fp)
{
	size_t i;

	for (i = 0; i < OTPGUARD_SLOTS; i++) {
		const struct otpguard_entry *e = &g->e[i];

		if (e->user[0] && !strcmp(e->user, user) &&
		    (!fp || !memcmp(e->fp, fp, CKQ_FP_LEN)))
			return (struct otpguard_entry *)e;
	}
	return NULL;
}

uint64_t otpguard_locked(const struct otpguard *g, const char *user,
			 const uint8_t fp[CKQ_FP_LEN], uint64_t now)
{
	const struct otpguard_entry *e = find(g, user, fp);

	return e && e->locked_until > now ? e->locked_until - now : 0;
}

/*
 * A free slot, else the one whose last wrong code is oldest among those not
 * locked now: a lock is never forgotten to make room.
 */
static struct otpguard_entry *take(struct otpguard *g, uint64_t now)
{
	struct otpguard_entry *v = NULL;
	size_t i;

	for (i = 0; i < OTPGUARD_SLOTS; i++) {
		struct otpguard_entry *e = &g->e[i];

		if (!e->user[0])
			return e;
		if (e->locked_until <= now && (!v || e->last_fail < v->last_fail))
			v = e;
	}
	return v;
}

enum otpguard_result otpguard_fail(struct otpguard *g, const char *user,
				   const uint8_t fp[CKQ_FP_LEN], uint64_t now,
				   uint64_t *until, uint32_t *strikes)
{
	struct otpguard_entry *e = find(g, user, fp);
	uint64_t lock;
	uint32_t over;

	if (e && now >= e->last_fail + OTPGUARD_FORGET && e->locked_until <= now)
		memset(e, 0, sizeof(*e));
	if (!e || !e->user[0]) {
		e = e ? e : take(g, now);
		if (!e)
			return OTPGUARD_FULL;
		memset(e, 0, sizeof(*e));
		snprintf(e->user, sizeof(e->user), "%s", user);
		memcpy(e->fp, fp, CKQ_FP_LEN);
	}
	e->strikes++;
	e->last_fail = now;
	*strikes = e->strikes;
	if (e->strikes < OTPGUARD_FREE)
		return OTPGUARD_COUNTED;
	/* The budget's last code locks; each code after a lock doubles it. */
	over = e->strikes - OTPGUARD_FREE;
	lock = over >= 16 ? OTPGUARD_LOCK_MAX : (uint64_t)OTPGUARD_LOCK_MIN << over;
	if (lock > OTPGUARD_LOCK_MAX)
		lock = OTPGUARD_LOCK_MAX;
	e->locked_until = now + lock;
	*until = e->locked_until;
	g->lockouts++;
	if (over == 0) {
		e->locked_at = now;
		return OTPGUARD_FIRST_LOCK;
	}
	return OTPGUARD_LOCKED;
}

void otpguard_success(struct otpguard *g, const char *user, const uint8_t fp[CKQ_FP_LEN])
{
	struct otpguard_entry *e = find(g, user, fp);

	if (e)
		memset(e, 0, sizeof(*e));
}

bool otpguard_clear(struct otpguard *g, const char *user, uint64_t now)
{
	struct otpguard_entry *e;
	bool was = false;

	while ((e = find(g, user, NULL))) {
		was |= e->locked_until > now;
		memset(e, 0, sizeof(*e));
	}
	return was;
}

uint64_t otpguard_locked_at(const struct otpguard *g, const char *user, uint64_t now)
{
	size_t i;

	for (i = 0; i < OTPGUARD_SLOTS; i++) {
		const struct otpguard_entry *e = &g->e[i];

		if (e->user[0] && !strcmp(e->user, user) && e->locked_until > now)
			return e->locked_at ? e->locked_at : 1;
	}
	return 0;
}

size_t otpguard_count_locked(const struct otpguard *g, uint64_t now)
{
	size_t i, n = 0;

	for (i = 0; i < OTPGUARD_SLOTS; i++)
		n += g->e[i].user[0] && g->e[i].locked_until > now;
	return n;
}
