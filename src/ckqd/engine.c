/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ckqd.h"
#include "err.h"
#include "grant.h"
#include "pkt.h"
#include "replay.h"
#include "srclimit.h"
#include "totp.h"

/*
 * One log line per decision, in key=value form so fail2ban and friends can
 * match it; rate-limited because the sender chooses how often it fires.
 */
static void refuse(struct ckqd *d, const struct pkt_udp *p, const char *user,
		   enum ckq_refusal reason)
{
	char src[CKQ_ADDR_STRLEN];

	CNT_INC(d->cnt.refused[reason]);
	log_rl(&d->rl_refuse, LOG_NOTICE, "knock refused reason=%s user=%s src=%s",
	       stats_reason_name(reason), user && *user ? user : "-",
	       addr_str(&p->src, src, sizeof(src)));
}

static void send_reply(struct ckqd *d, const struct pkt_udp *p,
		       const uint8_t *msg, size_t len)
{
	uint8_t pkt[PKT_IPV6_HDR_LEN + PKT_UDP_HDR_LEN + CKQ_MSG_MAX];
	int n, fd = p->src.family == CKQ_AF_INET ? d->raw4 : d->raw6;

	n = pkt_build_udp(pkt, sizeof(pkt), &p->dst, d->conf.knock_port,
			  &p->src, p->sport, msg, len);
	if (n < 0 || fd < 0 || pkt_raw_send(fd, pkt, (size_t)n) < 0) {
		CNT_INC(d->cnt.send_errors);
		log_rl(&d->rl_error, LOG_WARNING, "cannot send reply: %s",
		       n < 0 ? ckq_strerror(n) : fd < 0 ? "no raw socket for this family"
						     : "raw socket send failed");
	}
}

static uint32_t grant_time(const struct ckqd *d, const struct ckq_user *u, uint32_t asked)
{
	uint32_t max = d->conf.max_grant;

	if (u->max_grant && u->max_grant < max)
		max = u->max_grant;
	if (asked == 0)
		asked = d->conf.default_grant;
	return asked < max ? asked : max;
}

/*
 * ckq-admin unlock USER leaves STATE_DIR/unlock.USER; we look for it only
 * when that user's key is locked, so it costs nothing otherwise, and honour
 * it only if it was left after the lock began: an old one does not pre-empt
 * a new lock. Caller holds d->lock.
 */
static bool unlock_requested(struct ckqd *d, const char *user, uint64_t now)
{
	char path[PATH_MAX];
	struct stat st;
	uint64_t since = otpguard_locked_at(&d->otpguard, user, now);
	int n;

	if (!d->conf.state_dir[0])
		return false;
	n = snprintf(path, sizeof(path), "%s/unlock.%s", d->conf.state_dir, user);
	if (n < 0 || (size_t)n >= sizeof(path) || fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	unlink(path);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_mtime < since)
		return false;
	otpguard_clear(&d->otpguard, user, now);
	log_notice("user %s: wrong-code lock cleared by ckq-admin unlock", user);
	return true;
}

/*
 * A wrong code with a valid signature: the user's key was used by someone
 * who does not have the authenticator, or the user mistyped. Caller holds
 * d->lock.
 */
static void wrong_code(struct ckqd *d, const struct pkt_udp *p, const struct ckq_user *u,
		       uint32_t code, uint64_t now)
{
	char src[CKQ_ADDR_STRLEN], when[32];
	uint64_t until = 0, step;
	uint32_t strikes = 0;
	struct tm tm;
	time_t t;

	refuse(d, p, u->name, CKQ_REFUSE_BAD_OTP);
	/* A code already used proves the authenticator, not a guess: not charged. */
	if (totp_verify(u->totp, u->totp_len, now, code, 0, &step) == 0)
		return;
	addr_str(&p->src, src, sizeof(src));
	switch (otpguard_fail(&d->otpguard, u->name, user_key_fp(u), now, &until, &strikes)) {
	case OTPGUARD_COUNTED:
		break;
	case OTPGUARD_FIRST_LOCK:
		t = (time_t)until;
		if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
			snprintf(when, sizeof(when), "%llu", (unsigned long long)until);
		/* Once per lock episode, never rate-limited: the admin must see it. */
		log_err("ALERT user %s: %u wrong TOTP codes signed with the user's key (last from %s): "
			"the private key is probably stolen. Knocks of this key are refused until %s, "
			"longer with each further wrong code; revoke the user or run "
			"'ckq-admin unlock %s'", u->name, strikes, src, when, u->name);
		break;
	case OTPGUARD_LOCKED:
		log_rl(&d->rl_error, LOG_WARNING,
		       "user %s: another wrong TOTP code with the user's key from %s (%u since "
		       "the last right one): locked for %llu s", u->name, src, strikes,
		       (unsigned long long)(until - now));
		break;
	case OTPGUARD_FULL:
		log_rl(&d->rl_error, LOG_ERR,
		       "user %s: wrong TOTP code, and no room to count it: %d users' keys are locked",
		       u->name, OTPGUARD_SLOTS);
		break;
	}
}

/*
 * Counts a message 1 that would need the private key, and says whether we
 * are under load. Caller holds d->lock.
 */
static bool load_note(struct ckqd *d, uint64_t now_ms)
{
	if (now_ms - d->load_window_ms >= 1000) {
		d->load_window_ms = now_ms;
		d->load_count = 0;
	}
	if (++d->load_count > LOAD_PER_SEC)
		d->under_load_until_ms = now_ms + LOAD_HOLD_MS;
	return now_ms < d->under_load_until_ms;
}

/* The secret rotates every two minutes; a cookie of the last one still counts. */
static int cookie_for(struct ckqd *d, const struct pkt_udp *p, int which, uint64_t now_ms,
		      uint8_t cookie[CKQ_COOKIE_LEN])
{
	uint8_t in[1 + 16 + 2], mac[CKQ_MAC1_LEN];
	int ret;

	if (!d->cookie_rotated_ms || now_ms - d->cookie_rotated_ms >= COOKIE_ROTATE_MS) {
		memcpy(d->cookie_secret[1], d->cookie_secret[0], CKQ_HASH_LEN);
		if (ckq_random(d->cookie_secret[0], CKQ_HASH_LEN) < 0)
			return CKQ_ERR_RANDOM;
		if (!d->cookie_rotated_ms)
			memcpy(d->cookie_secret[1], d->cookie_secret[0], CKQ_HASH_LEN);
		d->cookie_rotated_ms = now_ms;
	}
	in[0] = p->src.family;
	memcpy(in + 1, p->src.a, 16);
	in[17] = (uint8_t)(p->sport >> 8);
	in[18] = (uint8_t)p->sport;
	ret = mac1_compute(d->cookie_secret[which], in, sizeof(in), mac);
	memcpy(cookie, mac, CKQ_COOKIE_LEN);
	return ret;
}

/* A valid mac2: the sender got our cookie at this address and port. */
static bool mac2_valid(struct ckqd *d, const struct pkt_udp *p, size_t core, uint64_t now_ms)
{
	uint8_t cookie[CKQ_COOKIE_LEN], mac2[CKQ_MAC2_LEN];
	bool ok = false;
	int i;

	for (i = 0; i < 2 && !ok; i++)
		ok = cookie_for(d, p, i, now_ms, cookie) == 0 &&
		     proto_mac2(cookie, p->payload, core, mac2) == 0 &&
		     ct_equal(mac2, p->payload + core, CKQ_MAC2_LEN);
	wipe(cookie, sizeof(cookie));
	return ok;
}

static void send_cookie(struct ckqd *d, const struct pkt_udp *p, uint8_t suite, size_t core,
			uint64_t now_ms)
{
	uint8_t cookie[CKQ_COOKIE_LEN], msg[CKQ_COOKIE_MSG_LEN];
	size_t len = 0;
	int ret = cookie_for(d, p, 0, now_ms, cookie);

	if (ret == 0 && suite == CKQ_SUITE_2)
		ret = s2_cookie_build(&d->s2, p->payload, core, cookie, msg, sizeof(msg), &len);
	else if (ret == 0)
		ret = proto_cookie_build(d->server, p->payload, core, cookie, msg, sizeof(msg), &len);
	if (ret == 0 && len <= p->payload_len) {
		CNT_INC(d->cnt.cookies);
		send_reply(d, p, msg, len);
	}
	wipe(cookie, sizeof(cookie));
}

/*
 * What differs between the suites is behind the functions below (the
 * parsers, the server key, the user's key type); the checks, refusals,
 * counters and tables around them are the same for both (doc/protocol.md
 * 11.5: the order of section 4 holds, suite by suite).
 */

/* A message 1 of either suite, opened; req is the request of the one used. */
struct msg1 {
	uint8_t suite;
	const struct ckq_request *req;
	struct ckq_msg1 m1;
	struct s2_msg1 m2;
	struct ckq_key *ukey;		/* suite 1: the user's key, unpacked */
};

static int request_core_len(struct ckqd *d, uint8_t suite, const struct pkt_udp *p,
			    size_t *core)
{
	if (suite == CKQ_SUITE_2)
		return s2_request_core_len(p->payload, p->payload_len, core);
	return proto_request_core_len(d->server, p->payload, p->payload_len, core);
}

/* The one private-key operation: an RSA decryption, or an X25519. */
static int request_open(struct ckqd *d, const struct pkt_udp *p, size_t core, struct msg1 *m)
{
	if (m->suite == CKQ_SUITE_2) {
		m->req = &m->m2.req;
		return s2_request_open(&d->s2, p->payload, core, &m->m2);
	}
	m->req = &m->m1.req;
	return proto_request_open(d->server, p->payload, core, &m->m1);
}

/*
 * The user's signature. A user has one key, so one suite (doc/protocol.md
 * 11.1, 11.10): a request of the other suite, or (suite 2) of the other
 * signature kind, is refused before any public-key work. 0, or
 * CKQ_ERR_SIGNATURE to refuse, or another error of ours.
 */
static int request_verify(struct ckqd *d, const struct ckq_user *u, struct msg1 *m)
{
	int ret;

	if (user_suite(u) != m->suite)
		return CKQ_ERR_SIGNATURE;
	if (m->suite == CKQ_SUITE_2)
		return s2_request_verify(&d->s2, u->ssh, &m->m2) < 0 ? CKQ_ERR_SIGNATURE : 0;
	/* Users' keys are kept packed: this knock's is unpacked for the check. */
	ret = key_unpack(u->pub, &m->ukey);
	if (ret < 0)
		return ret;
	return proto_request_verify(d->server, m->ukey, &m->m1) < 0 ? CKQ_ERR_SIGNATURE : 0;
}

/* The pending entry's session and message 2, from a verified message 1. */
static int challenge_build(struct ckqd *d, struct pending_entry *e, struct msg1 *m)
{
	e->suite = m->suite;
	if (m->suite == CKQ_SUITE_2) {
		e->s2 = m->m2.s;
		if (ckq_random(e->s2.sid, sizeof(e->s2.sid)) < 0 ||
		    ckq_random(e->s2.ns, sizeof(e->s2.ns)) < 0)
			return CKQ_ERR_RANDOM;
		memcpy(e->s.h1, e->s2.h1, sizeof(e->s.h1));
		memcpy(e->s.sid, e->s2.sid, sizeof(e->s.sid));
		memcpy(e->s.nc, e->s2.nc, sizeof(e->s.nc));
		memcpy(e->s.ns, e->s2.ns, sizeof(e->s.ns));
		return s2_challenge_build(&d->s2, &e->s2, e->reply, sizeof(e->reply),
					  &e->reply_len);
	}
	e->s = m->m1.s;
	if (ckq_random(e->s.sid, sizeof(e->s.sid)) < 0 ||
	    ckq_random(e->s.ns, sizeof(e->s.ns)) < 0)
		return CKQ_ERR_RANDOM;
	return proto_challenge_build(d->server, &e->s, e->reply, sizeof(e->reply),
				     &e->reply_len);
}

static void handle_request(struct ckqd *d, const struct pkt_udp *p, uint8_t suite)
{
	struct msg1 m;
	const struct ckq_request *req;
	struct ckq_user *u;
	struct pending_entry *e;
	uint8_t h1[CKQ_HASH_LEN];
	uint64_t now = d->now(), step = 0, skew, now_ms = mono_ms();
	bool evicted, locked = false, proven = false, loaded;
	size_t core = 0;
	int ret;

	memset(&m, 0, sizeof(m));
	m.suite = suite;
	/* H1 and everything but the mac2 check read the core: a mac2 changes no digest. */
	if (request_core_len(d, suite, p, &core) < 0 ||
	    proto_digest(p->payload, core, h1) < 0)
		return;
	/*
	 * The shared tables are read and changed under d->lock; the key work
	 * in between runs unlocked, in parallel on every queue worker.
	 */
	pthread_mutex_lock(&d->lock);
	/* A lost challenge: the client sends the same bytes, we answer the same. */
	e = pending_by_h1(&d->pending, h1);
	if (e) {
		if (addr_equal(&e->src, &p->src) && e->sport == p->sport && !e->done) {
			CNT_INC(d->cnt.retransmits);
			send_reply(d, p, e->reply, e->reply_len);
		} else if (!addr_equal(&e->src, &p->src)) {
			refuse(d, p, NULL, CKQ_REFUSE_REPLAY);
		}
		pthread_mutex_unlock(&d->lock);
		return;
	}
	if (replay_contains(d->replay, h1, now)) {
		pthread_mutex_unlock(&d->lock);
		refuse(d, p, NULL, CKQ_REFUSE_REPLAY);
		return;
	}
	/*
	 * Under load, the private key works only for senders that proved they
	 * receive at their address: the others get a cookie to prove it with
	 * (a spoofed source never sees it). Only proven senders are charged to
	 * their source's budget, so nobody can spend a spoofed victim's.
	 */
	loaded = load_note(d, now_ms);
	if (core < p->payload_len)
		proven = mac2_valid(d, p, core, now_ms);
	if (loaded && !proven) {
		send_cookie(d, p, suite, core, now_ms);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	/* Before the private-key work: one source cannot take the CPU. */
	if (proven && d->srclimit && !srclimit_take(d->srclimit, &p->src, now_ms)) {
		pthread_mutex_unlock(&d->lock);
		refuse(d, p, NULL, CKQ_REFUSE_RATE_LIMITED);
		return;
	}
	pthread_mutex_unlock(&d->lock);
	if (request_open(d, p, core, &m) < 0) {
		refuse(d, p, NULL, CKQ_REFUSE_UNDECRYPTABLE);
		goto out;
	}
	req = m.req;
	u = userdb_find(d->users, req->user);
	if (!u) {
		refuse(d, p, req->user, CKQ_REFUSE_UNKNOWN_USER);
		goto out;
	}
	if (u->revoked) {
		refuse(d, p, u->name, CKQ_REFUSE_REVOKED);
		goto out;
	}
	ret = request_verify(d, u, &m);
	if (ret == CKQ_ERR_SIGNATURE) {
		refuse(d, p, u->name, CKQ_REFUSE_BAD_SIGNATURE);
		goto out;
	} else if (ret < 0) {
		log_rl(&d->rl_error, LOG_ERR, "cannot unpack %s's key", u->name);
		goto out;
	}
	skew = req->timestamp > now ? req->timestamp - now : now - req->timestamp;
	if (skew > d->conf.freshness) {
		refuse(d, p, u->name, CKQ_REFUSE_STALE_TIMESTAMP);
		goto out;
	}
	if (u->expires && now >= u->expires) {
		refuse(d, p, u->name, CKQ_REFUSE_EXPIRED);
		goto out;
	}
	if (!user_source_ok(u, &p->src)) {
		refuse(d, p, u->name, CKQ_REFUSE_SOURCE_NOT_ALLOWED);
		goto out;
	}
	/*
	 * A client behind NAT may leave the address to us, if its user may:
	 * the grant then goes to whatever address the request came from.
	 */
	if (req->addr.family == CKQ_AF_ANY) {
		if (!u->nat) {
			refuse(d, p, u->name, CKQ_REFUSE_NAT_NOT_ALLOWED);
			goto out;
		}
	} else if (!addr_equal(&req->addr, &p->src)) {
		refuse(d, p, u->name, CKQ_REFUSE_ADDRESS_MISMATCH);
		goto out;
	}
	if (!user_may(u, req->proto, req->port)) {
		refuse(d, p, u->name, CKQ_REFUSE_PORT_NOT_ALLOWED);
		goto out;
	}
	/*
	 * Last, so that a request failing elsewhere does not burn the code;
	 * locked, so that two workers never both accept one code or message.
	 */
	pthread_mutex_lock(&d->lock);
	locked = true;
	/* Even the right code: a thief must not learn that a guess was right. */
	if (otpguard_locked(&d->otpguard, u->name, user_key_fp(u), now) &&
	    !unlock_requested(d, u->name, now)) {
		refuse(d, p, u->name, CKQ_REFUSE_OTP_LOCKED);
		goto out;
	}
	if (totp_verify(u->totp, u->totp_len, now, req->otp, u->totp_last_step, &step) < 0) {
		/*
		 * Remembered, so that its retransmissions are refused as replays
		 * before any key work, and one wrong code is charged once.
		 */
		replay_check_add(d->replay, h1, now, req->timestamp + d->conf.freshness + 1);
		wrong_code(d, p, u, req->otp, now);
		goto out;
	}
	ret = replay_check_add(d->replay, h1, now, req->timestamp + d->conf.freshness + 1);
	if (ret < 0) {
		refuse(d, p, u->name,
		       ret == CKQ_ERR_FULL ? CKQ_REFUSE_REPLAY_CACHE_FULL : CKQ_REFUSE_REPLAY);
		goto out;
	}
	u->totp_last_step = step;
	otpguard_success(&d->otpguard, u->name, user_key_fp(u));
	d->state_dirty = true;
	/* Saved now unless saved within the second: the sweep catches up. */
	if (d->conf.state_dir[0] && mono_ms() - d->state_saved_ms >= 1000) {
		d->state_saved_ms = mono_ms();
		state_save(d);
	}

	e = pending_alloc(&d->pending, mono_ms(), &evicted);
	if (evicted)
		log_rl(&d->rl_error, LOG_WARNING,
		       "pending table full (%zu): dropped the oldest challenge",
		       d->pending.cap);
	if (challenge_build(d, e, &m) < 0) {
		log_rl(&d->rl_error, LOG_ERR, "cannot build a challenge");
		pending_release(&d->pending, e);
		goto out;
	}
	e->src = p->src;
	e->sport = p->sport;
	memcpy(e->ufp, user_key_fp(u), CKQ_FP_LEN);
	memcpy(e->user, u->name, sizeof(e->user));
	e->request = req->request;
	e->proto = req->proto;
	e->port = req->port;
	e->duration = grant_time(d, u, req->duration);
	e->expires_ms = mono_ms() + (uint64_t)d->conf.challenge_timeout * 1000;
	pending_index(&d->pending, e);
	send_reply(d, p, e->reply, e->reply_len);
out:
	if (locked)
		pthread_mutex_unlock(&d->lock);
	key_free(m.ukey);
	wipe(&m, sizeof(m));
}

/* A verified message 3: the open or close, and its result, under d->lock. */
static void grant_locked(struct ckqd *d, const struct pkt_udp *p, struct pending_entry *e,
			 const uint8_t h3[CKQ_HASH_LEN])
{
	struct ckq_result res;
	char set[GRANT_SETNAME_LEN], src[CKQ_ADDR_STRLEN];
	uint64_t now;
	int ret;

	memset(&res, 0, sizeof(res));
	res.addr = e->src;
	res.proto = e->proto;
	res.port = e->port;
	grant_set_name(set, e->src.family, e->proto, e->port);
	addr_str(&e->src, src, sizeof(src));
	now = d->now();
	if (!holders_ready(d)) {
		ret = CKQ_ERR_NOMEM;
	} else if (e->request == CKQ_REQ_OPEN) {
		ret = grant_open_shared(d, set, &e->src, e->user, e->duration, now);
		res.status = CKQ_RES_GRANTED;
		res.expires = now + e->duration;
	} else {
		ret = grant_close_shared(d, set, &e->src, e->user, now);
		res.status = CKQ_RES_CLOSED;
	}
	if (ret < 0) {
		log_rl(&d->rl_error, LOG_ERR, "knock failed reason=ipset user=%s src=%s set=%s: %s",
		       e->user, src, set, grant_errmsg(d->grant));
		CNT_INC(d->cnt.refused[CKQ_REFUSE_IPSET]);
		pending_release(&d->pending, e);
		return;
	}
	if ((e->suite == CKQ_SUITE_2 ?
	     s2_result_build(&d->s2, &e->s2, &res, e->reply, sizeof(e->reply), &e->reply_len) :
	     proto_result_build(d->server, &e->s, &res, e->reply, sizeof(e->reply),
				&e->reply_len)) < 0) {
		log_rl(&d->rl_error, LOG_ERR, "cannot build a result");
		pending_release(&d->pending, e);
		return;
	}
	e->done = true;
	memcpy(e->h3, h3, CKQ_HASH_LEN);
	if (res.status == CKQ_RES_GRANTED) {
		CNT_INC(d->cnt.granted);
		log_rl(&d->rl_grant, LOG_NOTICE,
		       "knock granted user=%s src=%s port=%s/%u duration=%u",
		       e->user, src, proto_name(e->proto), e->port, e->duration);
	} else {
		CNT_INC(d->cnt.closed);
		log_rl(&d->rl_grant, LOG_NOTICE, "knock closed user=%s src=%s port=%s/%u",
		       e->user, src, proto_name(e->proto), e->port);
	}
	send_reply(d, p, e->reply, e->reply_len);
}

/*
 * The pending entry of a message 3, under d->lock: NULL (refused) unless it
 * is there, of this suite, for this source, and not answered yet; an
 * answered one gets its stored result again if this is the same message.
 */
static struct pending_entry *response_entry(struct ckqd *d, const struct pkt_udp *p,
					    uint8_t suite, const uint8_t sid[CKQ_SID_LEN],
					    const uint8_t h3[CKQ_HASH_LEN])
{
	struct pending_entry *e = pending_by_sid(&d->pending, sid);

	/* A session remembers its suite (doc/protocol.md 11.10). */
	if (!e || e->suite != suite || !addr_equal(&e->src, &p->src)) {
		refuse(d, p, NULL, CKQ_REFUSE_UNKNOWN_SESSION);
		return NULL;
	}
	if (e->done) {
		/* The result was lost: repeat it, never act twice. */
		if (ct_equal(h3, e->h3, CKQ_HASH_LEN)) {
			CNT_INC(d->cnt.retransmits);
			send_reply(d, p, e->reply, e->reply_len);
		} else {
			refuse(d, p, e->user, CKQ_REFUSE_NONCE_REUSED);
		}
		return NULL;
	}
	return e;
}

/* The session index of a message 3 that passed its suite's pre-check. */
static int response_sid(uint8_t suite, const struct pkt_udp *p, uint8_t sid[CKQ_SID_LEN])
{
	struct cur c = cur_init(p->payload, p->payload_len);

	if (suite != CKQ_SUITE_2)
		return proto_response_sid(p->payload, p->payload_len, sid);
	cur_take(&c, CKQ_HDR_LEN);
	return cur_copy(&c, sid, CKQ_SID_LEN) ? 0 : CKQ_ERR_TRUNCATED;
}

/*
 * Message 3's check, on a copy of the session: suite 1 verifies the
 * user's signature, suite 2 opens it under K_c2s (no public-key work).
 */
static bool response_verified(struct ckqd *d, const struct pkt_udp *p, const struct ckq_user *u,
			      uint8_t suite, const struct ckq_session *s,
			      const struct s2_session *s2)
{
	struct ckq_key *ukey = NULL;
	bool ok;

	if (suite == CKQ_SUITE_2)
		return s2_response_open(&d->s2, s2, p->payload, p->payload_len) == 0;
	ok = key_unpack(u->pub, &ukey) == 0 &&
	     proto_response_open(d->server, ukey, s, p->payload, p->payload_len) == 0;
	key_free(ukey);
	return ok;
}

/*
 * Message 3: the tables are read, and the grant made, under d->lock; the
 * check in between runs unlocked, on a copy of the session and a key of
 * its own, so that no datagram holds the lock for a key operation. The
 * entry is looked up again afterwards: it may have expired, been evicted
 * or been answered by another worker meanwhile.
 */
static void handle_response(struct ckqd *d, const struct pkt_udp *p, uint8_t suite)
{
	struct pending_entry *e;
	const struct ckq_user *u;
	struct ckq_session s;
	struct s2_session s2;
	uint8_t sid[CKQ_SID_LEN], h3[CKQ_HASH_LEN];
	char user[CKQ_USER_MAX + 1];
	bool verified;

	if (response_sid(suite, p, sid) < 0) {
		refuse(d, p, NULL, CKQ_REFUSE_UNKNOWN_SESSION);
		return;
	}
	if (proto_digest(p->payload, p->payload_len, h3) < 0)
		return;
	pthread_mutex_lock(&d->lock);
	e = response_entry(d, p, suite, sid, h3);
	if (!e) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	/* users_lock is held for reading around all of this: u stays valid. */
	u = userdb_find(d->users, e->user);
	/* A reload in between may have given the user another key: the old one is done. */
	if (!u || u->revoked || user_suite(u) != e->suite ||
	    !ct_equal(user_key_fp(u), e->ufp, CKQ_FP_LEN)) {
		refuse(d, p, e->user, u ? CKQ_REFUSE_REVOKED : CKQ_REFUSE_UNKNOWN_USER);
		pending_release(&d->pending, e);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	s = e->s;
	s2 = e->s2;
	memcpy(user, e->user, sizeof(user));
	pthread_mutex_unlock(&d->lock);

	verified = response_verified(d, p, u, suite, &s, &s2);

	pthread_mutex_lock(&d->lock);
	e = response_entry(d, p, suite, sid, h3);
	if (e && (!ct_equal(e->s.h1, s.h1, CKQ_HASH_LEN) || !ct_equal(e->s.ns, s.ns, CKQ_NONCE_LEN))) {
		/* The slot was given to another knock meanwhile. */
		refuse(d, p, NULL, CKQ_REFUSE_UNKNOWN_SESSION);
		e = NULL;
	}
	if (e && !verified)
		refuse(d, p, user, CKQ_REFUSE_BAD_RESPONSE);
	else if (e)
		grant_locked(d, p, e, h3);
	pthread_mutex_unlock(&d->lock);
	wipe(&s, sizeof(s));
	wipe(&s2, sizeof(s2));
}

void engine_counters(struct ckqd *d, struct ckq_stats *out)
{
	const uint64_t *in = (const uint64_t *)&d->cnt;
	uint64_t *o = (uint64_t *)out;
	size_t i;

	_Static_assert(sizeof(struct ckq_stats) % sizeof(uint64_t) == 0,
		       "struct ckq_stats holds only uint64_t");
	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = __atomic_load_n(&in[i], __ATOMIC_RELAXED);
}

/*
 * The header's suite byte picks the layout checks, the server key and the
 * mac1 key (doc/protocol.md 11.5); without server-x25519.key a suite 2
 * datagram is junk. The message type, or a negative code.
 */
static int precheck(struct ckqd *d, const struct pkt_udp *p, uint8_t *suite)
{
	struct cur c = cur_init(p->payload, p->payload_len);
	uint8_t sid[CKQ_SID_LEN];

	cur_take(&c, 4);	/* magic and version: each suite's parser checks them */
	*suite = cur_u8(&c);
	if (c.err || *suite != CKQ_SUITE_2) {
		*suite = CKQ_SUITE_1;
		return proto_precheck(d->server, p->payload, p->payload_len);
	}
	if (!d->x25519)
		return CKQ_ERR_SUITE;
	switch (cur_u8(&c)) {
	case CKQ_MSG_REQUEST:
		return s2_request_precheck(&d->s2, p->payload, p->payload_len);
	case CKQ_MSG_RESPONSE:
		return s2_response_precheck(&d->s2, p->payload, p->payload_len, sid);
	default:
		return CKQ_ERR_TYPE;
	}
}

/*
 * Every knock packet is dropped: it never reaches a socket, and nothing is
 * bypassed. Junk touches nothing shared between the workers: no lock, no
 * common counter.
 */
int engine_packet(const uint8_t *pkt, size_t len, void *arg)
{
	struct worker *w = arg;
	struct ckqd *d = w->d;
	struct pkt_udp p;
	uint8_t suite;
	int type;

	WCNT_INC(w->packets);
	if (pkt_parse_udp(pkt, len, &p) < 0 || p.dport != w->knock_port) {
		WCNT_INC(w->junk);
		return NF_DROP;
	}
	type = precheck(d, &p, &suite);
	if (type < 0) {
		WCNT_INC(w->junk);
		log_rl(&d->rl_junk, LOG_DEBUG, "junk dropped: %s", ckq_strerror(type));
		return NF_DROP;
	}
	pthread_rwlock_rdlock(&d->users_lock);
	if (type == CKQ_MSG_REQUEST)
		handle_request(d, &p, suite);
	else
		handle_response(d, &p, suite);
	pthread_rwlock_unlock(&d->users_lock);
	return NF_DROP;
}
