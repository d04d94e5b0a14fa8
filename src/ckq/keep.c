/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "knock.h"
#include "log.h"	/* mono_ms */

/* A failed renewal is tried again this soon, with a new code. */
#define RENEW_RETRY_MS 2000

static volatile sig_atomic_t knock_signals;

static void on_signal(int sig)
{
	(void)sig;
	knock_signals++;
}

bool knock_interrupted(const struct knock *k)
{
	return k->wait_mask && knock_signals != k->signals_seen;
}

/*
 * When to renew and when the grant ends, on the monotonic clock. The
 * lifetime is read against our clock, which may be off the server's: it
 * is never taken longer than what was asked for.
 */
static void schedule(const struct knock *k, const struct ckq_result *res,
		     uint64_t *renew_at, uint64_t *ends_at)
{
	uint64_t now = mono_ms(), wall = (uint64_t)time(NULL), life_ms;

	life_ms = res->expires > wall ? (res->expires - wall) * 1000 : 0;
	if (k->req.duration && life_ms > (uint64_t)k->req.duration * 1000)
		life_ms = (uint64_t)k->req.duration * 1000;
	*ends_at = now + life_ms;
	*renew_at = now + (life_ms * 2 / 3 > 1000 ? life_ms * 2 / 3 : 1000);
}

/* Sleeps until `until` (monotonic ms); KNOCK_INTR when a signal came. */
static enum knock_wait knock_sleep(const struct knock *k, uint64_t until)
{
	for (;;) {
		uint64_t now = mono_ms();
		struct timespec ts;

		if (knock_interrupted(k))
			return KNOCK_INTR;
		if (now >= until)
			return KNOCK_OK;
		ts = ms_ts(until - now);
		ppoll(NULL, 0, &ts, k->wait_mask);
	}
}

/*
 * --keep: renews the grant until SIGINT or SIGTERM. A code works once,
 * so each renewal takes a new one; a failed renewal is tried again, with
 * yet another code, until the grant has run out.
 */
int keep_open(struct knock *k, const struct knock_opts *o, struct ckq_result *res,
		     uint32_t last_otp)
{
	struct sigaction sa, old_int, old_term;
	sigset_t block, orig, waiting;
	struct ckq_result next;
	uint64_t renew_at, ends_at;
	char when[32], why[96];
	enum knock_wait w;
	uint32_t otp = 0;
	int r, ret = EXIT_GRANTED;
	bool used;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	waiting = orig;
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGTERM);
	k->wait_mask = &waiting;
	k->child_mask = &orig;
	k->signals_seen = knock_signals;
	k->brief = true;

	schedule(k, res, &renew_at, &ends_at);
	for (;;) {
		if (knock_sleep(k, renew_at) == KNOCK_INTR)
			break;
		snprintf(why, sizeof(why), " to renew %s/%u (open until %s)",
			 proto_name(res->proto), res->port,
			 knock_clock_str(res->expires, when, sizeof(when)));
		w = otp_get(k, why, true, ends_at, &otp);
		used = w == KNOCK_OK && otp == last_otp;
		r = EXIT_REFUSED;
		if (used)
			fprintf(stderr, "ckq open: that code was used by the last knock, and a code "
					"works once: waiting for the next\n");
		else if (w == KNOCK_OK)
			r = knock_once(k, CKQ_REQ_OPEN, otp, &next);
		if (w == KNOCK_INTR || knock_interrupted(k))
			break;
		if (r == EXIT_GRANTED) {
			last_otp = otp;
			*res = next;
			knock_print_result(k, "renewed", res);
			schedule(k, res, &renew_at, &ends_at);
			continue;
		}
		if (mono_ms() >= ends_at) {
			fprintf(stderr, "ckq open: could not renew the grant: %s/%u for %s expired at %s\n",
				proto_name(res->proto), res->port, k->local,
				knock_clock_str(res->expires, when, sizeof(when)));
			ret = r == EXIT_AUTH ? EXIT_AUTH : EXIT_REFUSED;
			goto out;
		}
		if (!used)
			fprintf(stderr, "ckq open: the renewal failed; trying again with a new code "
					"until the grant ends at %s\n",
				knock_clock_str(res->expires, when, sizeof(when)));
		renew_at = mono_ms() + RENEW_RETRY_MS;
		if (renew_at > ends_at)
			renew_at = ends_at;
	}

	/* Interrupted: a second signal ends the close too. */
	k->signals_seen = knock_signals;
	if (o->close_on_exit) {
		w = otp_get(k, " to close the port", true, 0, &otp);
		r = w == KNOCK_FAILED ? EXIT_INPUT : EXIT_REFUSED;
		if (w == KNOCK_OK && otp == last_otp)
			fprintf(stderr, "ckq open: that code was used by the last knock, and a code "
					"works once\n");
		else if (w == KNOCK_OK)
			r = knock_once(k, CKQ_REQ_CLOSE, otp, &next);
		if (r == EXIT_GRANTED) {
			knock_print_result(k, "closed", &next);
			goto out;
		}
		fprintf(stderr, "ckq open: could not close %s/%u\n", proto_name(res->proto), res->port);
		ret = r;
	}
	fprintf(stdout, "%s/%u stays open for %s until %s\n", proto_name(res->proto), res->port,
		k->local, knock_clock_str(res->expires, when, sizeof(when)));
	fflush(stdout);
out:
	otp = last_otp = 0;
	k->wait_mask = k->child_mask = NULL;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return ret;
}
